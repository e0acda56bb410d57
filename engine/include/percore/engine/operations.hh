// The I/O operations a task awaits: each returns an awaitable that owns its request until the
// kernel is done with it. Cancelling the task cancels the operation in the kernel.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

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
  explicit io_operation(const io::request& request) noexcept
      : detail::cancel_hook{&on_cancel}, request_(request) {}
  io_operation(const io_operation&) = delete;

  bool await_ready() const noexcept { return false; }

  bool await_suspend(std::coroutine_handle<> self) {
    detail::promise_base& root = detail::current_task();
    if (detail::cancel_pending(root)) {
      request_.result = -ECANCELED;
      return false;
    }
    root_ = &root;
    request_.owner = this;
    request_.complete = &on_complete;
    if (current_backend().submit(request_)) {
      // Finished at once (a readiness backend with data ready). Keep going unless the slice
      // is used up, so a stream of ready sockets cannot monopolise the shard.
      if (!detail::local_executor->need_preempt()) return false;
      detail::park(self, nullptr);
      detail::local_executor->schedule(root);
      return true;
    }
    detail::park(self, this);
    return true;
  }

  [[nodiscard]] result<Value> await_resume() const {
    return detail::convert_result<Value>(request_.result);
  }

 private:
  static void on_complete(io::request& request) noexcept {
    auto* self = static_cast<io_operation*>(request.owner);
    detail::wake(*self->root_);
  }
  static void on_cancel(detail::cancel_hook& hook) noexcept {
    // The completion still comes, with -ECANCELED or the real result if the kernel was first;
    // until then the request and its buffers stay where they are.
    current_backend().cancel(static_cast<io_operation&>(hook).request_);
  }

  detail::promise_base* root_ = nullptr;
  io::request request_;
};

// A timeout operation ends with ETIME when it expires: that is its success.
class [[nodiscard]] timeout_operation {
 public:
  explicit timeout_operation(std::chrono::nanoseconds duration) noexcept;
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

io_operation<void> nop() noexcept;
io_operation<std::size_t> read(int fd, std::span<std::byte> buffer,
                               std::uint64_t offset = io::no_offset) noexcept;
io_operation<std::size_t> write(int fd, std::span<const std::byte> buffer,
                                std::uint64_t offset = io::no_offset) noexcept;
io_operation<std::size_t> readv(int fd, std::span<const iovec> buffers,
                                std::uint64_t offset = io::no_offset) noexcept;
io_operation<std::size_t> writev(int fd, std::span<const iovec> buffers,
                                 std::uint64_t offset = io::no_offset) noexcept;
// Waits until `events` (POLLIN, POLLOUT, ...) are ready; the value is the ready mask.
io_operation<unsigned> poll(int fd, unsigned events) noexcept;
timeout_operation timeout(std::chrono::nanoseconds duration) noexcept;
io_operation<void> fsync(int fd, bool data_only = false) noexcept;
// `path` must stay valid until the operation completes. O_CLOEXEC is always added.
io_operation<int> openat(int directory_fd, const char* path, int flags, unsigned mode = 0644) noexcept;
io_operation<void> close(int fd) noexcept;
// `address`/`length` may be null; `length` must stay valid until completion.
io_operation<int> accept(int fd, sockaddr* address = nullptr, socklen_t* length = nullptr) noexcept;
io_operation<void> connect(int fd, const sockaddr* address, socklen_t length) noexcept;
io_operation<std::size_t> recv(int fd, std::span<std::byte> buffer, int flags = 0) noexcept;
io_operation<std::size_t> send(int fd, std::span<const std::byte> buffer, int flags = 0) noexcept;

// Creates file descriptors the way the current backend wants them (O_NONBLOCK for readiness
// backends, blocking for io_uring) and close-on-exec. Synchronous: these never block.
result<std::array<int, 2>> make_pipe();
result<int> make_socket(int domain, int type, int protocol = 0);

}  // namespace percore
