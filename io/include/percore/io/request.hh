// io::request: one I/O operation as the backends see it: what to do, the arguments it owns a
// pointer to, and where to report the completion. It lives in the awaiting coroutine's frame.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <linux/time_types.h>

namespace percore::io {

enum class opcode : std::uint8_t {
  nop,
  read,
  write,
  readv,
  writev,
  poll,
  timeout,
  fsync,
  openat,
  close,
  accept,
  connect,
  recv,
  send,
};

const char* to_string(opcode op) noexcept;

// Offsets use this value for "the current file position" (pipes, sockets, character devices).
inline constexpr std::uint64_t no_offset = ~std::uint64_t{0};

// fsync flag: flush data only, like fdatasync (the same bit as IORING_FSYNC_DATASYNC).
inline constexpr int fsync_data_only = 1;

struct request {
  // What to do. Which fields matter depends on `op`; unused ones are ignored.
  opcode op = opcode::nop;
  int fd = -1;
  void* buffer = nullptr;          // read/write/recv/send buffer, iovec array, sockaddr, path
  std::uint32_t length = 0;        // bytes, iovec count, or sockaddr length
  int flags = 0;                   // open flags, MSG_* flags, poll mask, fsync flags, accept4 flags
  std::uint64_t offset = no_offset;
  union {
    std::uint32_t mode;            // openat
    socklen_t* address_length;     // accept (in/out)
    __kernel_timespec* duration;   // timeout
  };

  // Outcome, as the kernel reports it: a byte count / fd / 0, or -errno.
  std::int32_t result = 0;

  // Called once, on the owning thread, when the backend is done with the request (and with
  // every pointer in it). Never called from inside backend::submit; it must not call into the
  // backend itself (it only makes the waiting task runnable).
  void (*complete)(request&) noexcept = nullptr;
  void* owner = nullptr;           // for `complete`: the awaiting task, a test fixture, ...

  // Private to the backend that holds the request (wait lists, blocking pool queue).
  request* backend_next = nullptr;
  std::uint8_t backend_state = 0;
  // Private to the operation's readiness implementation: set once it started (connect).
  bool readiness_started = false;

  request() : mode(0) {}
};

}  // namespace percore::io
