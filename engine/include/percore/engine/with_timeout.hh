// with_timeout(duration, work): runs `work` as a child task; if it has not finished by the
// deadline it is cancelled, awaited to its end, and the caller gets std::errc::timed_out.
#pragma once

#include <chrono>
#include <system_error>

#include <percore/engine/spawn.hh>
#include <percore/engine/task.hh>
#include <percore/engine/timer.hh>
#include <percore/io/result.hh>

namespace percore {

namespace detail {
template <class T>
struct timeout_result {
  using type = result<T>;
};
template <class T>
struct timeout_result<result<T>> {
  using type = result<T>;
};

// Cancels the child when the deadline passes; lives in with_timeout's frame.
struct deadline_guard : timer_entry {
  deadline_guard() = default;
  deadline_guard(const deadline_guard&) = delete;
  // Disarms on every way out, an exception from the child included.
  ~deadline_guard() { current_timers().disarm(*this); }

  promise_base* child = nullptr;
  bool expired = false;
  static void on_deadline(timer_entry& entry) noexcept {
    auto& self = static_cast<deadline_guard&>(entry);
    self.expired = true;
    request_cancel(*self.child);
  }
};
}  // namespace detail

// The result is result<T> (or T itself when T already is a result<U>). A child that finishes
// with a value even though the deadline passed keeps that value: nothing it did is lost. A
// child that ends with an error, or a plain T, after the deadline gives std::errc::timed_out.
// The child never outlives the call: cancelling the caller cancels it too.
template <class T, class Rep, class Period>
task<typename detail::timeout_result<T>::type> with_timeout(
    std::chrono::duration<Rep, Period> duration, task<T> work) {
  using result_type = typename detail::timeout_result<T>::type;
  join_handle<T> child = spawn(std::move(work));
  detail::deadline_guard guard;
  guard.deadline = timer_set::clock::now() +
                   std::chrono::duration_cast<timer_set::clock::duration>(duration);
  guard.fire = &detail::deadline_guard::on_deadline;
  guard.child = child.promise_of();
  detail::current_timers().arm(guard);
  if constexpr (std::is_void_v<T>) {
    co_await child;
    if (guard.expired) co_return std::make_error_code(std::errc::timed_out);
    co_return result_type{};
  } else {
    T value = co_await child;
    if constexpr (is_result_v<T>) {
      if (guard.expired && !value.has_value()) co_return std::make_error_code(std::errc::timed_out);
      co_return value;
    } else {
      if (guard.expired) co_return std::make_error_code(std::errc::timed_out);
      co_return result_type(std::move(value));
    }
  }
}

}  // namespace percore
