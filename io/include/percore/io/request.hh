// io::request: one I/O operation as the backends see it: what to do, the arguments it owns a
// pointer to, and where to report the completion. It lives in the awaiting coroutine's frame.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <linux/time_types.h>

namespace percore::io {

class provided_buffers;

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
  recvmsg,
  sendmsg,
  recv_provided,  // recv into a buffer the backend picks from `buffers`
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
  void* buffer = nullptr;          // read/write/recv/send buffer, iovec array, sockaddr, path,
                                   // msghdr (recvmsg/sendmsg)
  std::uint32_t length = 0;        // bytes, iovec count, or sockaddr length
  int flags = 0;                   // open flags, MSG_* flags, poll mask, fsync flags, accept4 flags
  std::uint64_t offset = no_offset;
  union {
    std::uint32_t mode;            // openat
    socklen_t* address_length;     // accept (in/out)
    __kernel_timespec* duration;   // timeout
    provided_buffers* buffers;     // recv_provided: the group to pick from
  };

  // A multishot request (accept, recv_provided) stays in flight and completes once per result:
  // `complete` runs with `more` true while further completions will follow, and a last time
  // with `more` false (an error, end of stream, or -ECANCELED after cancel()).
  bool multishot = false;
  bool more = false;
  // recv_provided: the buffer of the group that holds this completion's bytes.
  std::uint16_t buffer_id = 0;

  // Outcome, as the kernel reports it: a byte count / fd / 0, or -errno.
  std::int32_t result = 0;

  // Called on the owning thread when the backend is done with the request (and with every
  // pointer in it): once, or once per result for a multishot request. Never called from inside
  // backend::submit. It may submit and cancel requests (a multishot owner re-arms from here),
  // but must not poll() or destroy the backend. After the last completion the request may be
  // destroyed inside `complete`.
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
