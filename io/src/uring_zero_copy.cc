// uring_zero_copy: the two completions of a zero-copy send, the fall-back to a copy where the
// kernel or the socket refuses, and giving up a TCP connection to get a cancelled send's buffer
// back from a kernel that would otherwise wait for the peer.
#include "uring_zero_copy.hh"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>

namespace percore::io::detail {
namespace {

// Kept in request::backend_state while the backend holds a zero-copy send.
enum state_bit : std::uint8_t {
  taken = 1,             // its result came with IORING_CQE_F_MORE: the notification is to come
  refused_socket = 2,    // EOPNOTSUPP with the notification to come: then it is sent as a copy
  cancel_requested = 4,
  connection_given_up = 8,
};

bool has(const request& r, state_bit bit) noexcept { return (r.backend_state & bit) != 0; }
void add(request& r, state_bit bit) noexcept { r.backend_state |= bit; }

}  // namespace

bool uring_zero_copy::kernel_supports(opcode op) {
  if (!probed_) {
    probed_ = true;
    if (io_uring_probe* probe = io_uring_get_probe_ring(&ring_)) {
      has_send_ = io_uring_opcode_supported(probe, IORING_OP_SEND_ZC) != 0;
      has_sendmsg_ = io_uring_opcode_supported(probe, IORING_OP_SENDMSG_ZC) != 0;
      io_uring_free_probe(probe);
    }
  }
  return op == opcode::sendmsg_zero_copy ? has_sendmsg_ : has_send_;
}

void uring_zero_copy::started(request& r) noexcept {
  r.backend_state = 0;
  in_flight_.insert(r);
}

uring_zero_copy::next_step uring_zero_copy::completed(request& r, std::int32_t result,
                                                      std::uint32_t flags) noexcept {
  const bool more = (flags & IORING_CQE_F_MORE) != 0;
  if ((flags & IORING_CQE_F_NOTIF) == 0) {
    // Unix sockets, for one, cannot lend pages to the kernel: a copy will do.
    if (result == -EOPNOTSUPP) {
      if (!more) return refused(r);
      add(r, refused_socket);
      return next_step::wait;
    }
    r.result = result;
    r.more = more;
    if (!more) {
      in_flight_.erase(r);
      return next_step::deliver;
    }
    add(r, taken);
    // Cancelled before the kernel took these bytes: it would hold them until the peer reads.
    if (has(r, cancel_requested) && result > 0) give_up_connection(r);
    return next_step::deliver;
  }
  if (has(r, refused_socket)) return refused(r);
  in_flight_.erase(r);
  // The bytes the first completion counted died with the connection: nothing says how many
  // of them the peer had.
  if (has(r, connection_given_up)) r.result = -ECANCELED;
  r.more = false;
  return next_step::deliver;
}

uring_zero_copy::next_step uring_zero_copy::refused(request& r) noexcept {
  in_flight_.erase(r);
  if (has(r, cancel_requested)) {
    r.result = -ECANCELED;
    r.more = false;
    return next_step::deliver;
  }
  return next_step::send_a_copy;
}

bool uring_zero_copy::cancel(request& r) noexcept {
  add(r, cancel_requested);
  if (has(r, taken)) {
    give_up_connection(r);
    return false;
  }
  return !has(r, refused_socket);
}

void uring_zero_copy::cancel_all() noexcept {
  in_flight_.for_each([this](request& r) { cancel(r); });
}

// A TCP socket keeps sent bytes, and so the buffer they are in, until the peer acknowledges
// them; a peer that stopped reading never does. Disconnecting (connect to AF_UNSPEC) drops them
// and resets the connection: the notification comes at once. Other sockets let go of a buffer
// once its bytes are out, on their own.
void uring_zero_copy::give_up_connection(request& r) noexcept {
  if (has(r, connection_given_up)) return;
  int protocol = 0;
  socklen_t size = sizeof protocol;
  if (::getsockopt(r.fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &size) != 0 ||
      protocol != IPPROTO_TCP) {
    return;
  }
  sockaddr unspecified{};
  unspecified.sa_family = AF_UNSPEC;
  [[maybe_unused]] const int disconnected = ::connect(r.fd, &unspecified, sizeof unspecified);
  add(r, connection_given_up);
}

}  // namespace percore::io::detail
