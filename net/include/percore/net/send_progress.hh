// send_progress: the part of a buffer still to send over a socket, and the request sending the
// next piece: each completion either ends the transfer or starts the send of what is left.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include <percore/engine/operations.hh>
#include <percore/io/request.hh>
#include <percore/io/result.hh>
#include <percore/net/stream_error.hh>

namespace percore::net::detail {

// Inline, as the awaiters around it are: a call per send cost a fifth of write_all's
// instructions for a small message.
struct send_progress {
  // A send that took nothing of a non-empty buffer: waiting would not help.
  static constexpr std::int32_t stalled = 1;

  int fd = -1;
  std::int32_t outcome = 0;  // 0 (sent, or under way), -errno, or stalled
  std::span<const std::byte> rest;
  io::request request;

  // A new transfer over a progress whose request served an earlier one.
  void begin(int socket, std::span<const std::byte> bytes) noexcept {
    request = io::request{};
    fd = socket;
    rest = bytes;
    outcome = 0;
  }

  // Submits sends of `rest` until one waits in the kernel (false) or all is sent or one failed
  // (true). Completions go to `complete` with `owner` in the request.
  bool send_rest(void* owner, void (*complete)(io::request&) noexcept) {
    for (;;) {
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

  // Records what one send did; true when more is left to send, and then the request is clean
  // again (the backend's marks on it gone) for the next send.
  bool took(std::int32_t sent) noexcept {
    if (sent < 0) [[unlikely]] {
      outcome = sent;
      return false;
    }
    if (sent == 0) [[unlikely]] {
      outcome = stalled;
      return false;
    }
    rest = rest.subspan(static_cast<std::size_t>(sent));
    if (rest.empty()) return false;
    request = io::request{};
    return true;
  }

  result<void> value() const noexcept {
    if (outcome == 0) [[likely]] return {};
    if (outcome == stalled) return make_error_code(stream_errc::sink_stalled);
    return error_from_errno(-outcome);
  }
};

}  // namespace percore::net::detail
