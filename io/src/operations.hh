// Each operation defined once: how io_uring prepares it, how a readiness backend attempts it
// without blocking, and how the blocking pool runs it. Backends dispatch here by opcode.
#pragma once

#include <percore/io/request.hh>

#if PERCORE_HAVE_IO_URING
#include <liburing.h>
#endif

namespace percore::io::detail {

inline bool is_zero_copy(opcode op) noexcept {
  return op == opcode::send_zero_copy || op == opcode::sendmsg_zero_copy;
}

// The send that copies what a zero-copy send would have lent (for where zero copy is refused).
inline opcode copying_form(opcode op) noexcept {
  return op == opcode::sendmsg_zero_copy ? opcode::sendmsg : opcode::send;
}

#if PERCORE_HAVE_IO_URING
// Fills `sqe` for `r` (user_data is the caller's business).
void prepare_uring(request& r, io_uring_sqe* sqe) noexcept;
#endif

enum class readiness_outcome {
  done,            // r.result holds the outcome
  wait_readable,   // try again when the fd is readable
  wait_writable,   // try again when the fd is writable
  run_blocking,    // the syscall may block (regular files, open, fsync): use the blocking pool
  backend_timer,   // the backend implements it with its own clock (timeout)
};

// Tries `r` without blocking. `regular_file` says whether r.fd is a regular file or block
// device, which epoll cannot wait for.
readiness_outcome attempt_readiness(request& r, bool regular_file) noexcept;

// Runs `r` with the blocking syscall; called on a blocking-pool thread.
void perform_blocking(request& r) noexcept;

}  // namespace percore::io::detail
