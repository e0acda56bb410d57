// send_progress: sending what is left, piece after piece, and reading each send's outcome.
#include <percore/net/send_progress.hh>

#include <percore/engine/operations.hh>
#include <percore/net/stream_error.hh>

namespace percore::net::detail {

bool send_progress::send_rest(void* owner, void (*complete)(io::request&) noexcept) {
  for (;;) {
    request = io::request{};
    request.op = io::opcode::send;
    request.fd = fd;
    request.buffer = const_cast<std::byte*>(rest.data());
    request.length = percore::detail::clamp_length(rest.size());
    request.owner = owner;
    request.complete = complete;
    if (!percore::detail::local_backend->submit(request)) return false;
    if (!took(request.result)) return true;
  }
}

bool send_progress::took(std::int32_t sent) noexcept {
  if (sent < 0) {
    outcome = sent;
    return false;
  }
  if (sent == 0) {
    outcome = stalled;
    return false;
  }
  rest = rest.subspan(static_cast<std::size_t>(sent));
  return !rest.empty();
}

result<void> send_progress::value() const noexcept {
  if (outcome == stalled) return make_error_code(stream_errc::sink_stalled);
  if (outcome < 0) return error_from_errno(-outcome);
  return {};
}

}  // namespace percore::net::detail
