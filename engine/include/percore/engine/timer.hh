// Timers for tasks: sleep_for / sleep_until (cancellable awaits), and percore::timer, a
// callback armed for a deadline and cancelled at will.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>

#include <percore/engine/executor.hh>
#include <percore/engine/timer_set.hh>
#include <percore/io/result.hh>

namespace percore {

namespace detail {
timer_set& current_timers();
}

// co_await sleep_until(t): resumes at `t` or later; operation_canceled if the task is
// cancelled first.
class sleep_awaitable : detail::cancel_hook, detail::timer_entry {
 public:
  explicit sleep_awaitable(timer_set::clock::time_point deadline) noexcept
      : detail::cancel_hook{&on_cancel} {
    this->deadline = deadline;
    this->fire = &on_fire;
    this->wakes_task = true;
  }
  sleep_awaitable(const sleep_awaitable&) = delete;

  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> self) {
    detail::promise_base& root = detail::current_task();
    if (detail::cancel_pending(root)) {
      cancelled_ = true;
      return false;
    }
    detail::park(root, self, this);
    root_ = &root;
    detail::current_timers().arm(*this);
    return true;
  }
  result<void> await_resume() const noexcept {
    if (cancelled_) return std::make_error_code(std::errc::operation_canceled);
    return {};
  }

 private:
  static void on_fire(detail::timer_entry& entry) noexcept {
    auto& self = static_cast<sleep_awaitable&>(entry);
    // An engine that stops fires every timer early: that is a cancellation, not the deadline.
    if (detail::local_executor->stopping()) self.cancelled_ = true;
    detail::wake(*self.root_);
  }
  static void on_cancel(detail::cancel_hook& hook) noexcept {
    auto& self = static_cast<sleep_awaitable&>(hook);
    detail::current_timers().disarm(self);
    self.cancelled_ = true;
    detail::wake(*self.root_, true);
  }

  detail::promise_base* root_ = nullptr;
  bool cancelled_ = false;
};

// When the engine last read the clock: at most one loop turn old, and free. For deadlines of
// seconds pushed back at every request, where a clock read each time would cost more than the
// deadline's precision is worth. Needs an engine on the thread.
inline timer_set::clock::time_point recent_now() { return detail::current_timers().recent_now(); }

inline sleep_awaitable sleep_until(timer_set::clock::time_point deadline) noexcept {
  return sleep_awaitable(deadline);
}
template <class Rep, class Period>
sleep_awaitable sleep_for(std::chrono::duration<Rep, Period> duration) noexcept {
  return sleep_awaitable(timer_set::clock::now() +
                         std::chrono::duration_cast<timer_set::clock::duration>(duration));
}

// A callback run on the engine's thread at a deadline, optionally every period after.
// Arming, re-arming and cancelling never allocate; the timer belongs to the engine of the
// thread that arms it and must be cancelled or fired before that engine is destroyed (an
// engine that stops drops the timers still armed). The callback must not throw.
class timer : detail::timer_entry {
 public:
  using clock = timer_set::clock;

  explicit timer(std::function<void()> callback) : callback_(std::move(callback)) {
    this->fire = &on_fire;
  }
  ~timer() { cancel(); }
  timer(const timer&) = delete;
  timer& operator=(const timer&) = delete;

  // A period must be positive (std::invalid_argument otherwise).
  void arm(clock::time_point deadline, std::optional<clock::duration> period = std::nullopt) {
    if (period && period->count() <= 0) {
      throw std::invalid_argument("percore: timer period " + std::to_string(period->count()) +
                                  "ns is invalid (accepted: a positive duration)");
    }
    cancel();
    this->deadline = deadline;
    period_ = period;
    timers_ = &detail::current_timers();
    timers_->arm(*this);
  }
  void arm(clock::duration delay) { arm(clock::now() + delay); }
  void arm_periodic(clock::duration period) { arm(clock::now() + period, period); }

  // Returns true if the timer was armed (the callback will now not run).
  bool cancel() noexcept {
    if (!this->armed) return false;
    timers_->disarm(*this);
    return true;
  }
  bool is_armed() const noexcept { return this->armed; }

 private:
  static void on_fire(detail::timer_entry& entry) noexcept {
    auto& self = static_cast<timer&>(entry);
    if (self.period_) {
      self.deadline += *self.period_;
      self.timers_->arm(self);
    }
    self.callback_();
  }

  std::function<void()> callback_;
  std::optional<clock::duration> period_;
  timer_set* timers_ = nullptr;
};

}  // namespace percore
