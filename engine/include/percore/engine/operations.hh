// The I/O operations a task awaits: each returns an awaitable that owns its request until the
// kernel is done with it. Cancelling the task cancels the operation in the kernel.
#pragma once

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <span>

#include <percore/engine/executor.hh>
#include <percore/io/backend.hh>
#include <percore/io/request.hh>
#include <percore/io/result.hh>

namespace percore {

io::backend& current_backend();

namespace detail {

// The backend of the engine running on this thread (set with the executor); a task that is
// running implies an engine, so operations read it without a check.
constinit inline thread_local io::backend* local_backend = nullptr;

// Requests carry 32-bit lengths; a larger buffer is served in part, as a short read or write.
inline std::uint32_t clamp_length(std::size_t length) noexcept {
  return static_cast<std::uint32_t>(std::min<std::size_t>(length, 0xffff'ffffu));
}

// How a completed request's result (count, fd, revents or -errno) becomes the awaiter's value.
template <class Value>
result<Value> convert_result(std::int32_t outcome) {
  if (outcome < 0) return error_from_errno(-outcome);
  if constexpr (std::is_void_v<Value>) {
    return {};
  } else {
    return static_cast<Value>(outcome);
  }
}

}  // namespace detail

template <class Value>
class [[nodiscard]] io_operation : detail::cancel_hook {
 public:
  // Builds the request in place: `configure` fills what the opcode needs.
  template <class Configure>
  io_operation(io::opcode op, int fd, Configure&& configure) noexcept
      : detail::cancel_hook{&on_cancel} {
    request_.op = op;
    request_.fd = fd;
    configure(request_);
  }
  io_operation(const io_operation&) = delete;

  bool await_ready() const noexcept { return false; }

  bool await_suspend(std::coroutine_handle<> self) {
    detail::promise_base& root = detail::current_task();
    // close always runs: cleanup after a cancellation must not leak the descriptor.
    const bool cancellable = request_.op != io::opcode::close;
    if (cancellable && detail::cancel_pending(root)) {
      request_.result = -ECANCELED;
      return false;
    }
    root_ = &root;
    request_.owner = this;
    request_.complete = &on_complete;
    if (detail::local_backend->submit(request_)) {
      // Finished at once (a readiness backend with data ready). Keep going unless the slice
      // is used up, so a stream of ready sockets cannot monopolise the shard.
      if (!detail::local_executor->need_preempt()) return false;
      detail::park(root, self, nullptr);
      detail::local_executor->schedule(root);
      return true;
    }
    detail::park(root, self, cancellable ? this : nullptr);
    return true;
  }

  [[nodiscard]] result<Value> await_resume() const {
    return detail::convert_result<Value>(request_.result);
  }

 private:
  static void on_complete(io::request& request) noexcept {
    // A zero-copy send's first completion: the kernel still reads the buffer until the last.
    if (request.more) return;
    auto* self = static_cast<io_operation*>(request.owner);
    detail::wake(*self->root_);
  }
  static void on_cancel(detail::cancel_hook& hook) noexcept {
    // The completion still comes, with -ECANCELED or the real result if the kernel was first;
    // until then the request and its buffers stay where they are.
    detail::local_backend->cancel(static_cast<io_operation&>(hook).request_);
  }

  detail::promise_base* root_ = nullptr;
  io::request request_;
};

// A timeout operation ends with ETIME when it expires: that is its success.
class [[nodiscard]] timeout_operation {
 public:
  explicit timeout_operation(std::chrono::nanoseconds duration) noexcept
      : duration_{duration.count() / 1'000'000'000, duration.count() % 1'000'000'000},
        operation_(io::opcode::timeout, -1, [this](io::request& r) { r.duration = &duration_; }) {}
  timeout_operation(const timeout_operation&) = delete;
  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> self) { return operation_.await_suspend(self); }
  [[nodiscard]] result<void> await_resume() const {
    auto outcome = operation_.await_resume();
    if (outcome.error() == error_from_errno(ETIME)) return {};
    return outcome;
  }

 private:
  __kernel_timespec duration_;
  io_operation<void> operation_;
};

inline io_operation<void> nop() noexcept {
  return io_operation<void>(io::opcode::nop, -1, [](io::request&) {});
}

inline io_operation<std::size_t> read(int fd, std::span<std::byte> buffer,
                                      std::uint64_t offset = io::no_offset) noexcept {
  return io_operation<std::size_t>(io::opcode::read, fd, [&](io::request& r) {
    r.buffer = buffer.data();
    r.length = detail::clamp_length(buffer.size());
    r.offset = offset;
  });
}

inline io_operation<std::size_t> write(int fd, std::span<const std::byte> buffer,
                                       std::uint64_t offset = io::no_offset) noexcept {
  return io_operation<std::size_t>(io::opcode::write, fd, [&](io::request& r) {
    r.buffer = const_cast<std::byte*>(buffer.data());
    r.length = detail::clamp_length(buffer.size());
    r.offset = offset;
  });
}

inline io_operation<std::size_t> readv(int fd, std::span<const iovec> buffers,
                                       std::uint64_t offset = io::no_offset) noexcept {
  return io_operation<std::size_t>(io::opcode::readv, fd, [&](io::request& r) {
    r.buffer = const_cast<iovec*>(buffers.data());
    r.length = detail::clamp_length(buffers.size());
    r.offset = offset;
  });
}

inline io_operation<std::size_t> writev(int fd, std::span<const iovec> buffers,
                                        std::uint64_t offset = io::no_offset) noexcept {
  return io_operation<std::size_t>(io::opcode::writev, fd, [&](io::request& r) {
    r.buffer = const_cast<iovec*>(buffers.data());
    r.length = detail::clamp_length(buffers.size());
    r.offset = offset;
  });
}

// Waits until `events` (POLLIN, POLLOUT, ...) are ready; the value is the ready mask.
inline io_operation<unsigned> poll(int fd, unsigned events) noexcept {
  return io_operation<unsigned>(io::opcode::poll, fd,
                                [&](io::request& r) { r.flags = static_cast<int>(events); });
}

inline timeout_operation timeout(std::chrono::nanoseconds duration) noexcept {
  return timeout_operation(duration);
}

inline io_operation<void> fsync(int fd, bool data_only = false) noexcept {
  return io_operation<void>(io::opcode::fsync, fd, [&](io::request& r) {
    r.flags = data_only ? io::fsync_data_only : 0;
  });
}

// `path` must stay valid until the operation completes. O_CLOEXEC is always added.
inline io_operation<int> openat(int directory_fd, const char* path, int flags,
                                unsigned mode = 0644) noexcept {
  return io_operation<int>(io::opcode::openat, directory_fd, [&](io::request& r) {
    r.buffer = const_cast<char*>(path);
    r.flags = flags | O_CLOEXEC;
    r.mode = mode;
  });
}

// Not cancellable: it runs even in a cancelled task or a stopping engine, so cleanup is safe.
inline io_operation<void> close(int fd) noexcept {
  return io_operation<void>(io::opcode::close, fd, [](io::request&) {});
}

// `address`/`length` may be null; `length` must stay valid until completion. The new socket
// is close-on-exec (and non-blocking on readiness backends). Call it as percore::accept when an
// argument is a sockaddr*: argument-dependent lookup also finds ::accept.
inline io_operation<int> accept(int fd, sockaddr* address = nullptr,
                                socklen_t* length = nullptr) noexcept {
  return io_operation<int>(io::opcode::accept, fd, [&](io::request& r) {
    r.buffer = address;
    r.address_length = length;
    r.flags = SOCK_CLOEXEC;
  });
}

// Call it as percore::connect: argument-dependent lookup also finds ::connect.
inline io_operation<void> connect(int fd, const sockaddr* address, socklen_t length) noexcept {
  return io_operation<void>(io::opcode::connect, fd, [&](io::request& r) {
    r.buffer = const_cast<sockaddr*>(address);
    r.length = length;
  });
}

inline io_operation<std::size_t> recv(int fd, std::span<std::byte> buffer, int flags = 0) noexcept {
  return io_operation<std::size_t>(io::opcode::recv, fd, [&](io::request& r) {
    r.buffer = buffer.data();
    r.length = detail::clamp_length(buffer.size());
    r.flags = flags;
  });
}

inline io_operation<std::size_t> send(int fd, std::span<const std::byte> buffer,
                                      int flags = 0) noexcept {
  return io_operation<std::size_t>(io::opcode::send, fd, [&](io::request& r) {
    r.buffer = const_cast<std::byte*>(buffer.data());
    r.length = detail::clamp_length(buffer.size());
    r.flags = flags;
  });
}

// `message` (and everything it points to) must stay valid until the operation completes; the
// kernel writes msg_namelen and msg_flags back into it.
inline io_operation<std::size_t> recvmsg(int fd, msghdr* message, int flags = 0) noexcept {
  return io_operation<std::size_t>(io::opcode::recvmsg, fd, [&](io::request& r) {
    r.buffer = message;
    r.flags = flags;
  });
}

// Never raises SIGPIPE: a peer that is gone is an error value (EPIPE), as with send.
inline io_operation<std::size_t> sendmsg(int fd, const msghdr* message, int flags = 0) noexcept {
  return io_operation<std::size_t>(io::opcode::sendmsg, fd, [&](io::request& r) {
    r.buffer = const_cast<msghdr*>(message);
    r.flags = flags;
  });
}

// send and sendmsg that lend the buffers to the kernel instead of copying them (io_uring
// SEND_ZC and SENDMSG_ZC): the co_await returns once the kernel has let go of them, which on TCP
// is when the peer has acknowledged the bytes. Where zero copy is refused (epoll, a Unix socket,
// a kernel before 6.0) they send a copy. Cancelling one after the kernel took bytes of it resets
// a TCP connection, since only that gives the buffer back from a peer that stopped reading.
inline io_operation<std::size_t> send_zero_copy(int fd, std::span<const std::byte> buffer,
                                                int flags = 0) noexcept {
  return io_operation<std::size_t>(io::opcode::send_zero_copy, fd, [&](io::request& r) {
    r.buffer = const_cast<std::byte*>(buffer.data());
    r.length = detail::clamp_length(buffer.size());
    r.flags = flags;
  });
}

inline io_operation<std::size_t> sendmsg_zero_copy(int fd, const msghdr* message,
                                                   int flags = 0) noexcept {
  return io_operation<std::size_t>(io::opcode::sendmsg_zero_copy, fd, [&](io::request& r) {
    r.buffer = const_cast<msghdr*>(message);
    r.flags = flags;
  });
}

// Closes `fd` at once, for destructors, which cannot await: the current backend (if an engine
// runs on this thread) forgets what it knew under the number before the kernel reuses it.
inline void close_now(int fd) noexcept {
  if (detail::local_backend != nullptr) detail::local_backend->forget_fd(fd);
  ::close(fd);
}

// Creates file descriptors the way the current backend wants them (O_NONBLOCK for readiness
// backends, blocking for io_uring) and close-on-exec. Synchronous: these never block.
result<std::array<int, 2>> make_pipe();
result<int> make_socket(int domain, int type, int protocol = 0);

}  // namespace percore
