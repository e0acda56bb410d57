// The request timeout of a client connection: a timer that, when a call on the connection runs
// past its deadline, interrupts the I/O the calling task waits on, without cancelling the task.
#pragma once

#include <chrono>

#include <percore/engine/executor.hh>
#include <percore/engine/timer.hh>
#include <percore/engine/timer_set.hh>

namespace percore::net::http::detail {

// Cancelling the task (as with_timeout does) would be sticky: every later wait of the caller's
// task would fail too. Interrupting only the wait lets the connection close and report
// timed_out while the caller carries on. The timer stays armed between calls and, when it fires
// before the current deadline, is re-armed for it: a deadline that moves at every call then
// costs a clock read, not a timer operation.
class client_deadline : percore::detail::timer_entry {
 public:
  client_deadline() noexcept { this->fire = &on_fire; }
  client_deadline(const client_deadline&) = delete;
  client_deadline& operator=(const client_deadline&) = delete;
  ~client_deadline() {
    if (this->armed) timers_->disarm(*this);
  }

  // A call of the running task begins: it must end within `timeout`.
  void start(std::chrono::nanoseconds timeout);
  // The call ended: a later firing does nothing.
  void finish() noexcept { task_ = nullptr; }
  // The deadline of the current (or last) call passed.
  bool expired() const noexcept { return expired_; }

 private:
  static void on_fire(percore::detail::timer_entry& entry) noexcept;

  percore::detail::promise_base* task_ = nullptr;
  timer_set* timers_ = nullptr;
  timer_set::clock::time_point current_{};
  bool expired_ = false;
};

}  // namespace percore::net::http::detail
