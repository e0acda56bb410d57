// maybe_ready<T>: what an operation that usually finishes without waiting returns: its value
// when it did, else the task that finishes it. Awaiting a ready one costs no coroutine frame.
#pragma once

#include <coroutine>
#include <optional>
#include <utility>

#include <percore/engine/task.hh>

namespace percore {

template <class T>
class [[nodiscard]] maybe_ready {
 public:
  maybe_ready(T value) : value_(std::move(value)) {}
  maybe_ready(task<T> rest) noexcept : rest_(std::move(rest)) {}
  maybe_ready(const maybe_ready&) = delete;

  bool await_ready() const noexcept { return value_.has_value(); }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) {
    typename task<T>::awaiter started = std::move(rest_).operator co_await();
    (void)started.await_ready();  // throws for a task that was moved from
    started_ = started.frame;
    return started.await_suspend(caller);
  }
  T await_resume() {
    if (value_) return std::move(*value_);
    return typename task<T>::awaiter{started_}.await_resume();
  }

 private:
  std::optional<T> value_;
  task<T> rest_;
  // The task's frame once awaited (its awaiter is only this handle): small in every frame.
  typename task<T>::handle_type started_;
};

}  // namespace percore
