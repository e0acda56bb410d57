// epoll backend: attempt first, register each fd once (edge-triggered), keep per-fd FIFO wait
// lists, and deliver every completion from poll() on the owning thread.
#include "epoll_backend.hh"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <system_error>

#include "operations.hh"

namespace percore::io {
namespace {

using std::chrono::nanoseconds;

// Where a request is while the backend holds it, kept in request::backend_state.
enum class place : std::uint8_t {
  none,
  waiting_readable,  // the three wait lists, in wake_on order
  waiting_writable,
  waiting_any_event,
  timer,
  blocking_pool,
  ready,
  starting,            // a multishot request to attempt at the next chance
  running,             // a multishot request delivering its results right now
  running_cancelled,   // ... and cancelled by one of its own completion functions
};

place place_of(const request& r) noexcept { return static_cast<place>(r.backend_state); }
void set_place(request& r, place where) noexcept {
  r.backend_state = static_cast<std::uint8_t>(where);
}

// EPOLLPRI too, so that a poll request for POLLPRI hears about out-of-band data.
constexpr std::uint32_t registered_events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI | EPOLLET;
constexpr std::uint32_t wakes_readers = EPOLLIN | EPOLLRDHUP | EPOLLPRI | EPOLLERR | EPOLLHUP;
constexpr std::uint32_t wakes_writers = EPOLLOUT | EPOLLERR | EPOLLHUP;

// Beyond this a timeout is "never" for practical purposes, and the deadline cannot overflow.
constexpr long long longest_timeout_seconds = 100LL * 365 * 24 * 3600;

int checked(int fd, const char* what) {
  if (fd < 0) throw std::system_error(errno, std::system_category(), what);
  return fd;
}

bool reads_or_writes(opcode op) noexcept {
  return op == opcode::read || op == opcode::write || op == opcode::readv ||
         op == opcode::writev;
}

}  // namespace

epoll_backend::owned_fd::~owned_fd() { ::close(fd_); }

epoll_backend::epoll_backend(const backend_options& options)
    : epoll_fd_(checked(::epoll_create1(EPOLL_CLOEXEC), "epoll_create1")),
      wake_fd_(checked(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), "eventfd")),
      events_(std::max(1u, options.ring_entries)),
      pool_(options.blocking_threads, [this] { wake(); }) {
  epoll_event wake_event{};
  wake_event.events = EPOLLIN;
  wake_event.data.fd = wake_fd_.get();
  if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, wake_fd_.get(), &wake_event) < 0) {
    throw std::system_error(errno, std::system_category(), "epoll_ctl(eventfd)");
  }
}

std::string epoll_backend::describe() const {
  return "epoll (blocking pool: " + std::to_string(pool_.max_threads()) + " threads)";
}

bool epoll_backend::submit(request& r) {
  if (r.multishot) {
    starting_.push_back(r);
    set_place(r, place::starting);
    ++in_flight_;
    return false;
  }
  if (r.op == opcode::close) forget(r.fd);
  using enum detail::readiness_outcome;
  switch (detail::attempt_readiness(r, runs_blocking(r))) {
    case done:
      note_new_fd(r);
      return true;
    case wait_readable:
      return wait(r, r.op == opcode::poll ? wake_on::any_event : wake_on::readable);
    case wait_writable:
      return wait(r, r.op == opcode::poll ? wake_on::any_event : wake_on::writable);
    case run_blocking:
      pool_.push(r);
      set_place(r, place::blocking_pool);
      ++in_flight_;
      return false;
    case backend_timer:
      start_timer(r);
      return false;
  }
  r.result = -EINVAL;
  return true;
}

bool epoll_backend::runs_blocking(const request& r) {
  if (!reads_or_writes(r.op) || r.fd < 0) return false;
  const auto fd = static_cast<std::size_t>(r.fd);
  if (fd < fds_.size() && fds_[fd].kind != fd_kind::unknown) {
    return fds_[fd].kind == fd_kind::blocking;
  }
  struct stat status {};
  if (::fstat(r.fd, &status) < 0) return false;  // the attempt itself reports the error
  fd_kind kind = fd_kind::blocking;
  if (!S_ISREG(status.st_mode) && !S_ISBLK(status.st_mode)) {
    const int flags = ::fcntl(r.fd, F_GETFL);
    if (flags < 0) return false;
    if (flags & O_NONBLOCK) kind = fd_kind::pollable;
  }
  state_of(r.fd).kind = kind;
  return kind == fd_kind::blocking;
}

bool epoll_backend::wait(request& r, wake_on reason) {
  if (!register_fd(r)) return true;
  enqueue_waiter(r, reason);
  ++in_flight_;
  return false;
}

bool epoll_backend::register_fd(request& r) {
  const auto fd = static_cast<std::size_t>(r.fd);
  if (fd < fds_.size() && fds_[fd].registered) return true;
  // Adding an fd that is already ready queues its event at once, so readiness that came after
  // the failed attempt is not lost and the attempt needs no repeating.
  epoll_event event{};
  event.events = registered_events;
  event.data.fd = r.fd;
  if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, r.fd, &event) < 0 &&
      (errno != EEXIST || ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_MOD, r.fd, &event) < 0)) {
    r.result = -errno;
    return false;
  }
  state_of(r.fd).registered = true;
  return true;
}

void epoll_backend::enqueue_waiter(request& r, wake_on reason) noexcept {
  const auto index = static_cast<std::size_t>(reason);
  fds_[static_cast<std::size_t>(r.fd)].waiters[index].push_back(r);
  set_place(r, static_cast<place>(static_cast<std::size_t>(place::waiting_readable) + index));
  ++waiting_on_epoll_;
}

// Runs outside every wait list and queue, so that the completion functions it calls may
// submit and cancel requests, this one included.
void epoll_backend::start_multishots() {
  while (request* r = starting_.pop_front()) {
    set_place(*r, place::running);
    if (!run_multishot(*r)) continue;
    if (register_fd(*r)) {
      enqueue_waiter(*r, wake_on::readable);
    } else {
      queue_completion(*r);
    }
  }
}

// Attempts until the socket has nothing more (true: wait for readability) or the request ends
// (false: its last completion is queued). Results in between are delivered here and now.
bool epoll_backend::run_multishot(request& r) {
  for (;;) {
    if (detail::attempt_readiness(r, false) != detail::readiness_outcome::done) return true;
    const bool ends = r.result < 0 || (r.op == opcode::recv_provided && r.result == 0);
    if (ends) {
      queue_completion(r);
      return false;
    }
    note_new_fd(r);
    r.more = true;
    ++delivered_in_place_;
    r.complete(r);
    if (place_of(r) == place::running_cancelled) {
      finish(r, -ECANCELED);
      return false;
    }
  }
}

epoll_backend::fd_state& epoll_backend::state_of(int fd) {
  const auto index = static_cast<std::size_t>(fd);
  if (index >= fds_.size()) fds_.resize(std::max(index + 1, fds_.size() * 2));
  return fds_[index];
}

void epoll_backend::forget(int fd) noexcept {
  if (fd < 0 || static_cast<std::size_t>(fd) >= fds_.size()) return;
  fd_state& state = fds_[static_cast<std::size_t>(fd)];
  for (detail::request_fifo& waiters : state.waiters) {
    while (request* r = waiters.pop_front()) {
      --waiting_on_epoll_;
      finish(*r, -EBADF);
    }
  }
  state = fd_state{};
}

void epoll_backend::note_new_fd(const request& r) {
  if (r.result < 0) return;
  // The number was free, so whatever we knew under it belongs to an fd closed behind our back.
  if (r.op == opcode::openat) forget(r.result);
  if (r.op == opcode::accept) {
    forget(r.result);
    state_of(r.result).kind = fd_kind::pollable;  // accepted with SOCK_NONBLOCK
  }
}

void epoll_backend::start_timer(request& r) {
  const auto duration =
      std::chrono::seconds(std::min<long long>(r.duration->tv_sec, longest_timeout_seconds)) +
      nanoseconds(r.duration->tv_nsec);
  const pending_timer timer{clock::now() + std::chrono::duration_cast<clock::duration>(duration),
                            &r};
  // After the timers with the same deadline: equal timeouts expire in submission order.
  const auto position =
      std::upper_bound(timers_.begin(), timers_.end(), timer.deadline,
                       [](clock::time_point deadline, const pending_timer& other) {
                         return deadline < other.deadline;
                       });
  timers_.insert(position, timer);
  set_place(r, place::timer);
  ++in_flight_;
}

void epoll_backend::expire_timers(clock::time_point now) {
  const auto first_pending =
      std::find_if(timers_.begin(), timers_.end(),
                   [now](const pending_timer& timer) { return timer.deadline > now; });
  for (auto it = timers_.begin(); it != first_pending; ++it) finish(*it->r, -ETIME);
  timers_.erase(timers_.begin(), first_pending);
}

void epoll_backend::collect_timers_and_pool() {
  if (!timers_.empty()) expire_timers(clock::now());
  if (pool_.has_finished()) pool_.take_finished(ready_);
}

std::size_t epoll_backend::poll(std::optional<nanoseconds> timeout) {
  delivered_in_place_ = 0;
  start_multishots();
  collect_timers_and_pool();
  // Completions delivered by start_multishots() made tasks runnable: no sleeping now.
  const bool have_work = !ready_.empty() || delivered_in_place_ > 0;
  std::optional<nanoseconds> wait = have_work ? nanoseconds::zero() : timeout;
  if (!timers_.empty()) {
    const auto until_first = std::max(timers_.front().deadline - clock::now(), clock::duration{});
    if (!wait || until_first < *wait) wait = std::chrono::duration_cast<nanoseconds>(until_first);
  }
  const bool may_sleep = !wait || wait->count() > 0;
  if (may_sleep || waiting_on_epoll_ > 0) {
    wait_for_events(may_sleep ? wait : nanoseconds::zero());
    start_multishots();
    collect_timers_and_pool();
  }
  return deliver_ready() + delivered_in_place_;
}

void epoll_backend::wait_for_events(std::optional<nanoseconds> wait) {
  const int count = epoll_wait_for(wait);
  for (int i = 0; i < count; ++i) {
    const epoll_event& event = events_[static_cast<std::size_t>(i)];
    if (event.data.fd == wake_fd_.get()) {
      std::uint64_t wakes;
      [[maybe_unused]] auto drained = ::read(wake_fd_.get(), &wakes, sizeof wakes);
    } else {
      retry_waiters(event.data.fd, event.events);
    }
  }
}

int epoll_backend::epoll_wait_for(std::optional<nanoseconds> wait) {
  const int capacity = static_cast<int>(events_.size());
  int count = -1;
  if (have_epoll_pwait2_) {
    timespec wait_for{};
    if (wait) {
      wait_for.tv_sec = static_cast<time_t>(wait->count() / 1'000'000'000);
      wait_for.tv_nsec = static_cast<long>(wait->count() % 1'000'000'000);
    }
    count = ::epoll_pwait2(epoll_fd_.get(), events_.data(), capacity, wait ? &wait_for : nullptr,
                           nullptr);
    have_epoll_pwait2_ = count >= 0 || (errno != ENOSYS && errno != EPERM);
  }
  if (!have_epoll_pwait2_) {
    // Round up: waking before a timer's deadline would only make us wait again.
    const long long milliseconds = wait ? (wait->count() + 999'999) / 1'000'000 : -1;
    count = ::epoll_wait(epoll_fd_.get(), events_.data(), capacity,
                         static_cast<int>(std::min<long long>(milliseconds, INT_MAX)));
  }
  if (count >= 0 || errno == EINTR) return std::max(count, 0);
  throw std::system_error(errno, std::system_category(), "epoll_wait");
}

void epoll_backend::retry_waiters(int fd, std::uint32_t events) {
  fd_state& state = fds_[static_cast<std::size_t>(fd)];
  if (events & wakes_readers) retry(state.waiters[static_cast<std::size_t>(wake_on::readable)]);
  if (events & wakes_writers) retry(state.waiters[static_cast<std::size_t>(wake_on::writable)]);
  retry(state.waiters[static_cast<std::size_t>(wake_on::any_event)]);
}

void epoll_backend::retry(detail::request_fifo& waiters) {
  waiters.remove_if([this](request& r) {
    if (r.multishot) {
      // Its results are delivered after the events are handled, outside this list.
      --waiting_on_epoll_;
      starting_.push_back(r);
      set_place(r, place::starting);
      return true;
    }
    if (detail::attempt_readiness(r, false) != detail::readiness_outcome::done) return false;
    --waiting_on_epoll_;
    queue_completion(r);
    return true;
  });
}

void epoll_backend::cancel(request& r) {
  switch (place_of(r)) {
    case place::waiting_readable:
    case place::waiting_writable:
    case place::waiting_any_event: {
      const auto index = static_cast<std::size_t>(place_of(r)) -
                         static_cast<std::size_t>(place::waiting_readable);
      fds_[static_cast<std::size_t>(r.fd)].waiters[index].remove(r);
      --waiting_on_epoll_;
      finish(r, -ECANCELED);
      return;
    }
    case place::timer: {
      const auto timer = std::find_if(timers_.begin(), timers_.end(),
                                      [&r](const pending_timer& t) { return t.r == &r; });
      timers_.erase(timer);
      finish(r, -ECANCELED);
      return;
    }
    case place::blocking_pool:
      // Once a pool thread runs it, the syscall finishes and reports its real result.
      if (pool_.remove_if_queued(r)) finish(r, -ECANCELED);
      return;
    case place::starting:
      starting_.remove(r);
      finish(r, -ECANCELED);
      return;
    case place::running: set_place(r, place::running_cancelled); return;
    case place::running_cancelled:
    case place::none:
    case place::ready: return;
  }
}

void epoll_backend::cancel_all() {
  if (waiting_on_epoll_ > 0) {
    for (fd_state& state : fds_) {
      for (detail::request_fifo& waiters : state.waiters) {
        while (request* r = waiters.pop_front()) finish(*r, -ECANCELED);
      }
    }
    waiting_on_epoll_ = 0;
  }
  for (const pending_timer& timer : timers_) finish(*timer.r, -ECANCELED);
  timers_.clear();
  while (request* r = starting_.pop_front()) finish(*r, -ECANCELED);
  detail::request_fifo not_started;
  pool_.take_queued(not_started);
  while (request* r = not_started.pop_front()) finish(*r, -ECANCELED);
}

void epoll_backend::finish(request& r, int result) noexcept {
  r.result = result;
  queue_completion(r);
}

void epoll_backend::queue_completion(request& r) noexcept {
  r.more = false;
  set_place(r, place::ready);
  ready_.push_back(r);
}

std::size_t epoll_backend::deliver_ready() {
  std::size_t delivered = 0;
  while (request* r = ready_.pop_front()) {
    set_place(*r, place::none);
    --in_flight_;
    ++delivered;
    note_new_fd(*r);
    r->complete(*r);
  }
  return delivered;
}

provided_buffers& epoll_backend::create_buffer_group(std::uint16_t count, std::uint32_t size) {
  buffer_groups_.push_back(std::make_unique<detail::readiness_buffers>(count, size));
  return *buffer_groups_.back();
}

void epoll_backend::wake() {
  const std::uint64_t one = 1;
  // A failed write means the counter is already huge: a wake is pending anyway.
  [[maybe_unused]] auto written = ::write(wake_fd_.get(), &one, sizeof one);
}

}  // namespace percore::io
