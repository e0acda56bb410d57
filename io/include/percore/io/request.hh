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
  send_zero_copy,     // send without copying the buffer (io_uring SEND_ZC); see below
  sendmsg_zero_copy,  // sendmsg without copying the buffers (io_uring SENDMSG_ZC)
};

const char* to_string(opcode op) noexcept;

// Offsets use this value for "the current file position" (pipes, sockets, character devices).
inline constexpr std::uint64_t no_offset = ~std::uint64_t{0};

// fsync flag: flush data only, like fdatasync (the same bit as IORING_FSYNC_DATASYNC).
inline constexpr int fsync_data_only = 1;

struct request {
  // What to do. Which fields matter depends on `op`; unused ones are ignored.
  opcode op = opcode::nop;
  // Private to the backend that holds the request, and to the operation's readiness
  // implementation (set once it started: connect). Here, in the bytes op leaves before fd, they
  // keep a request at 80 bytes.
  std::uint8_t backend_state = 0;
  bool readiness_started = false;
  int fd = -1;
  void* buffer = nullptr;          // read/write/recv/send buffer, iovec array, sockaddr, path,
                                   // msghdr (recvmsg, sendmsg, sendmsg_zero_copy)
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
  // A zero-copy send lends its buffer to the kernel. On io_uring it completes twice: first with
  // its result and `more` true (the bytes are taken but still read from the buffer), then, once
  // the kernel has let go of the buffer, a last time with `more` false and the same result. A
  // backend or socket that cannot send without copying (epoll; Unix sockets; kernels before 6.0)
  // sends a copy instead and completes once (io_uring turns `op` into send or sendmsg then).
  // Cancelling one whose bytes the kernel holds resets a TCP connection: the kernel keeps them
  // until the peer acknowledges them, which a peer that stopped reading never does; the last
  // completion then says -ECANCELED.
  bool multishot = false;
  bool more = false;
  // recv_provided: the buffer of the group that holds this completion's bytes.
  std::uint16_t buffer_id = 0;

  // Outcome, as the kernel reports it: a byte count / fd / 0, or -errno.
  std::int32_t result = 0;

  // Called on the owning thread when the backend is done with the request (and with every
  // pointer in it): once, once per result for a multishot request, or twice for a zero-copy
  // send (see above). Never called from inside backend::submit. It may submit and cancel
  // requests (a multishot owner re-arms from here), but must not poll() or destroy the backend.
  // After the last completion the request may be destroyed inside `complete`.
  void (*complete)(request&) noexcept = nullptr;
  void* owner = nullptr;           // for `complete`: the awaiting task, a test fixture, ...

  // Private to the backend that holds the request: wait lists, the blocking pool's queue, the
  // io_uring backend's zero-copy sends.
  request* backend_next = nullptr;
  request* backend_previous = nullptr;

  request() : mode(0) {}
};

}  // namespace percore::io
