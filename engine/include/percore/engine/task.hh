// task<T>: the lazy, move-only coroutine every percore operation is written in. Awaiting one
// starts it; its value or exception reaches the awaiter; frames come from the frame_pool.
#pragma once

#include <coroutine>
#include <cstdint>
#include <exception>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include <percore/engine/frame_pool.hh>

namespace percore {

template <class T = void>
class task;

namespace detail {

// An awaitable that a task is suspended on registers one of these in the task, so that
// cancelling the task can reach it (to cancel a kernel operation, disarm a timer, ...).
struct cancel_hook {
  void (*interrupt)(cancel_hook&) noexcept;
};

enum task_flag : std::uint16_t {
  is_root = 1,            // spawned: scheduled by the executor on its own
  is_detached = 2,        // nobody will join: the frame frees itself when it finishes
  cancel_requested = 4,
  is_finished = 8,        // reached final suspend; the result is ready
  woken_by_cancel = 16,   // the last wake came from cancellation, not from the awaited event
};

// The part of every task's promise that the engine sees. A spawned task (a root) uses the
// fields below `exception` to be scheduled; a task awaited inside another uses only the first.
struct promise_base {
  // Child: the frame address of the coroutine awaiting it. Root: the root (promise_base) that
  // awaits its join handle. One field for both keeps a parked task small.
  void* awaited_by = nullptr;
  std::exception_ptr exception;
  // Intrusive link: the run queue of the task's task_queue, or the wait list of an event.
  promise_base* next = nullptr;
  // The innermost coroutine of this root that is suspended and should be resumed.
  std::coroutine_handle<> leaf;
  // Set while the root is suspended on something that cancellation can interrupt.
  cancel_hook* waiting_on = nullptr;
  std::uint16_t flags = 0;
  std::uint16_t queue = 0;

  bool has(task_flag flag) const noexcept { return (flags & flag) != 0; }
  std::coroutine_handle<> continuation() const noexcept {
    return std::coroutine_handle<>::from_address(awaited_by);
  }
  promise_base* joiner() const noexcept { return static_cast<promise_base*>(awaited_by); }

  static void* operator new(std::size_t size) { return frame_pool::local().allocate(size); }
  static void operator delete(void* frame, std::size_t size) noexcept {
    frame_pool::local().deallocate(frame, size);
  }
};

// Called when a root reaches its final suspend; returns the coroutine to run next.
std::coroutine_handle<> finish_root(promise_base& root, std::coroutine_handle<> frame) noexcept;

struct final_awaiter {
  bool await_ready() const noexcept { return false; }
  template <class Promise>
  std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> self) noexcept {
    promise_base& promise = self.promise();
    if (!promise.has(is_root)) return promise.continuation();
    return finish_root(promise, self);
  }
  void await_resume() const noexcept {}
};

template <class T>
struct promise;

template <class T>
struct promise_storage : promise_base {
  std::optional<T> value;
  template <class U>
  void return_value(U&& result) {
    value.emplace(std::forward<U>(result));
  }
  T take() {
    if (exception) std::rethrow_exception(exception);
    return std::move(*value);
  }
};

template <>
struct promise_storage<void> : promise_base {
  void return_void() noexcept {}
  void take() {
    if (exception) std::rethrow_exception(exception);
  }
};

template <class T>
struct promise : promise_storage<T> {
  task<T> get_return_object() noexcept;
  std::suspend_always initial_suspend() const noexcept { return {}; }
  final_awaiter final_suspend() const noexcept { return {}; }
  void unhandled_exception() noexcept { this->exception = std::current_exception(); }
};

[[noreturn]] void throw_empty_await(const char* what);

}  // namespace detail

template <class T>
class [[nodiscard]] task {
 public:
  using promise_type = detail::promise<T>;
  using value_type = T;
  using handle_type = std::coroutine_handle<promise_type>;

  task() noexcept = default;
  explicit task(handle_type frame) noexcept : frame_(frame) {}
  task(task&& other) noexcept : frame_(std::exchange(other.frame_, {})) {}
  task& operator=(task&& other) noexcept {
    if (this != &other) {
      reset();
      frame_ = std::exchange(other.frame_, {});
    }
    return *this;
  }
  ~task() { reset(); }

  // False for a moved-from or already awaited task.
  bool valid() const noexcept { return static_cast<bool>(frame_); }

  // Gives up ownership of the frame (spawn takes it this way).
  handle_type release() noexcept { return std::exchange(frame_, {}); }

  struct awaiter {
    handle_type frame;
    bool await_ready() const {
      if (!frame) detail::throw_empty_await("a task that was moved from or already awaited");
      return false;
    }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) noexcept {
      frame.promise().awaited_by = caller.address();
      return frame;
    }
    T await_resume() {
      // Destroy the child frame once its result is out, even when the result is an exception.
      struct destroy_on_exit {
        handle_type frame;
        ~destroy_on_exit() { frame.destroy(); }
      } guard{frame};
      return frame.promise().take();
    }
  };

  // Awaiting consumes the task: a second co_await on it is an error, not undefined behaviour.
  awaiter operator co_await() && noexcept { return awaiter{std::exchange(frame_, {})}; }
  awaiter operator co_await() & noexcept { return awaiter{std::exchange(frame_, {})}; }

 private:
  void reset() noexcept {
    if (frame_) frame_.destroy();
    frame_ = {};
  }
  handle_type frame_;
};

template <class T>
task<T> detail::promise<T>::get_return_object() noexcept {
  return task<T>(std::coroutine_handle<promise<T>>::from_promise(*this));
}

namespace detail {

// A task that an awaiter of another kind awaits in its stead (maybe_ready, write_all's zero-copy
// form): only its frame's handle, owned until the result is taken, so that it costs the awaiter
// one word. Empty when built from an empty task.
template <class T>
class awaited_child {
 public:
  awaited_child() noexcept = default;
  explicit awaited_child(task<T> child) noexcept : frame_(child.release()) {}
  awaited_child(const awaited_child&) = delete;
  awaited_child& operator=(const awaited_child&) = delete;
  // Never awaited, or its awaiter destroyed while it runs: the frame ends here.
  ~awaited_child() {
    if (frame_) frame_.destroy();
  }

  explicit operator bool() const noexcept { return static_cast<bool>(frame_); }

  std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) {
    typename task<T>::awaiter started{frame_};
    (void)started.await_ready();  // throws for a task that was moved from
    return started.await_suspend(caller);
  }
  T await_resume() { return typename task<T>::awaiter{std::exchange(frame_, {})}.await_resume(); }

 private:
  typename task<T>::handle_type frame_;
};

}  // namespace detail

}  // namespace percore
