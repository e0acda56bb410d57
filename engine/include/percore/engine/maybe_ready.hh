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
    return rest_.await_suspend(caller);
  }
  T await_resume() {
    if (value_) return std::move(*value_);
    return rest_.await_resume();
  }

 private:
  std::optional<T> value_;
  detail::awaited_child<T> rest_;
};

}  // namespace percore
