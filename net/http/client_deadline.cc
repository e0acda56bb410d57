// Firing a client connection's deadline: re-armed while the deadline has moved on, else the wait
// the task is parked on is interrupted (retried each loop turn until the task is caught waiting).
#include <percore/net/http/client_deadline.hh>

namespace percore::net::http::detail {

void client_deadline::start(std::chrono::nanoseconds timeout) {
  task_ = &percore::detail::current_task();
  expired_ = false;
  current_ = timer_set::clock::now() +
             std::chrono::duration_cast<timer_set::clock::duration>(timeout);
  if (this->armed && this->deadline <= current_) return;
  timers_ = &percore::detail::current_timers();
  timers_->disarm(*this);
  this->deadline = current_;
  timers_->arm(*this);
}

void client_deadline::on_fire(percore::detail::timer_entry& entry) noexcept {
  auto& self = static_cast<client_deadline&>(entry);
  if (self.task_ == nullptr) return;
  const timer_set::clock::time_point now = timer_set::clock::now();
  if (now < self.current_) {
    self.deadline = self.current_;
    self.timers_->arm(self);
    return;
  }
  self.expired_ = true;
  if (percore::detail::cancel_hook* hook = self.task_->waiting_on) {
    self.task_->waiting_on = nullptr;
    hook->interrupt(*hook);
    return;
  }
  // The task is running or about to run: it may still park on one more wait (a partial write
  // continuing). Try again next loop turn (just after `now`, so that the firing loop under way
  // does not see it due); finish() ends the retries.
  self.deadline = now + timer_set::clock::duration(1);
  self.timers_->arm(self);
}

}  // namespace percore::net::http::detail
