// The epoll backend: sockets and pipes try the syscall first and wait for edge-triggered
// readiness on EAGAIN; regular files go to the blocking pool; timeouts run on our own clock.
#pragma once

#include <sys/epoll.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include <percore/io/backend.hh>

#include "blocking_pool.hh"
#include "readiness_buffers.hh"

namespace percore::io {

// An fd waited on here is registered with epoll once, for good; the backend forgets it when it
// is closed through opcode::close or forget_fd, or when accept/openat hand its number out again.
// Anything that is not a regular file should be O_NONBLOCK (wants_nonblocking_fds): read and
// write on a blocking pipe go to the blocking pool, but accept and connect on a blocking socket
// would block the owning thread.
//
// Multishot requests are emulated with the same completions io_uring gives: the request waits
// for readability like any other, and each readiness event retries it until EAGAIN, delivering
// one completion (with `more`) per result, until an error or end of stream ends it.
class epoll_backend final : public backend {
 public:
  explicit epoll_backend(const backend_options& options);

  backend_kind kind() const noexcept override { return backend_kind::epoll; }
  std::string describe() const override;
  bool submit(request& r) override;
  void cancel(request& r) override;
  void cancel_all() override;
  std::size_t poll(std::optional<std::chrono::nanoseconds> timeout) override;
  void wake() override;
  void forget_fd(int fd) noexcept override { forget(fd); }
  provided_buffers& create_buffer_group(std::uint16_t count, std::uint32_t size) override;
  std::size_t in_flight() const noexcept override { return in_flight_; }
  bool wants_nonblocking_fds() const noexcept override { return true; }

 private:
  using clock = std::chrono::steady_clock;

  // What wakes a waiting request up. Poll requests can ask for both directions at once, so
  // they are retried on any event of their fd.
  enum class wake_on : std::uint8_t { readable, writable, any_event };

  // Whether read/write on an fd can wait for readiness or must run on the blocking pool
  // (regular files and block devices, which epoll refuses, and fds in blocking mode).
  enum class fd_kind : std::uint8_t { unknown, pollable, blocking };

  struct fd_state {
    std::array<detail::request_fifo, 3> waiters;  // indexed by wake_on
    bool registered = false;
    fd_kind kind = fd_kind::unknown;
  };

  struct pending_timer {
    clock::time_point deadline;
    request* r;
  };

  class owned_fd {
   public:
    explicit owned_fd(int fd) noexcept : fd_(fd) {}
    ~owned_fd();
    owned_fd(const owned_fd&) = delete;
    owned_fd& operator=(const owned_fd&) = delete;
    int get() const noexcept { return fd_; }

   private:
    int fd_;
  };

  bool runs_blocking(const request& r);
  bool wait(request& r, wake_on reason);
  bool register_fd(request& r);
  void enqueue_waiter(request& r, wake_on reason) noexcept;
  void start_multishots();
  bool run_multishot(request& r);
  fd_state& state_of(int fd);
  void forget(int fd) noexcept;
  void note_new_fd(const request& r);
  void start_timer(request& r);
  void expire_timers(clock::time_point now);
  void collect_timers_and_pool();
  void wait_for_events(std::optional<std::chrono::nanoseconds> wait);
  int epoll_wait_for(std::optional<std::chrono::nanoseconds> wait);
  void retry_waiters(int fd, std::uint32_t events);
  void retry(detail::request_fifo& waiters);
  void finish(request& r, int result) noexcept;
  void queue_completion(request& r) noexcept;
  std::size_t deliver_ready();

  owned_fd epoll_fd_;
  // Other threads (and the blocking pool) write here to interrupt a wait; level-triggered, so
  // it stays reported until poll() drains it.
  owned_fd wake_fd_;
  std::vector<epoll_event> events_;
  std::vector<fd_state> fds_;
  std::vector<pending_timer> timers_;  // earliest deadline first
  detail::request_fifo ready_;         // finished, delivered by the next poll()
  // Multishot requests submitted since the last poll(): the first attempt happens there, since
  // submit() cannot deliver their completions.
  detail::request_fifo starting_;
  // Completions of multishot requests delivered during this poll() as they happened.
  std::size_t delivered_in_place_ = 0;
  std::vector<std::unique_ptr<detail::readiness_buffers>> buffer_groups_;
  std::size_t in_flight_ = 0;
  std::size_t waiting_on_epoll_ = 0;
  // Cleared when the kernel or a seccomp profile refuses epoll_pwait2 (then ms resolution).
  bool have_epoll_pwait2_ = true;
  // Last, so that its threads are joined before the wake fd they notify through is closed.
  detail::blocking_pool pool_;
};

}  // namespace percore::io
