// spawn(task) starts a task of its own on the current engine and returns a join_handle:
// awaitable for the task's value, detach() to let it run free, cancel() to ask it to stop.
#pragma once

#include <coroutine>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include <percore/engine/executor.hh>
#include <percore/engine/task.hh>

namespace percore {

template <class T>
class [[nodiscard]] join_handle {
 public:
  using handle_type = std::coroutine_handle<detail::promise<T>>;

  join_handle() noexcept = default;
  explicit join_handle(handle_type frame) noexcept : frame_(frame) {}
  join_handle(join_handle&& other) noexcept : frame_(std::exchange(other.frame_, {})) {}
  join_handle& operator=(join_handle&& other) noexcept {
    if (this != &other) {
      detach();
      frame_ = std::exchange(other.frame_, {});
    }
    return *this;
  }
  // Dropping a handle detaches the task, as in Tokio: it keeps running to completion.
  ~join_handle() { detach(); }

  bool valid() const noexcept { return static_cast<bool>(frame_); }
  // The task's scheduling state, for engine primitives built on join handles.
  detail::promise_base* promise_of() const noexcept {
    return frame_ ? &frame_.promise() : nullptr;
  }
  bool done() const noexcept { return frame_ && frame_.promise().has(detail::is_finished); }

  // Lets the task run on its own; its frame is freed when it finishes.
  void detach() noexcept {
    if (!frame_) return;
    auto frame = std::exchange(frame_, {});
    if (frame.promise().has(detail::is_finished)) {
      destroy(frame);
    } else {
      frame.promise().flags |= detail::is_detached;
    }
  }

  // Asks the task to stop: what it waits on now, and every cancellable wait after, ends with
  // operation_canceled. The task decides what to return; await the handle to learn it.
  void cancel() noexcept {
    if (frame_) detail::request_cancel(frame_.promise());
  }

  // The result of a finished task (rethrows its exception); the handle becomes empty.
  T get() {
    if (!done()) {
      throw std::logic_error("percore: join_handle::get() on a task that has not finished");
    }
    return take();
  }

  // The awaiter refers to the handle, which must stay put while awaited (it holds the hook
  // that forwards cancellation).
  struct awaiter {
    join_handle& handle;
    bool await_ready() const {
      if (!handle.frame_) {
        detail::throw_empty_await("a join handle that is empty or already awaited");
      }
      return handle.done();
    }
    void await_suspend(std::coroutine_handle<> self) {
      detail::promise_base& joiner = detail::park(self, &handle.forward_cancel_);
      handle.frame_.promise().awaited_by = &joiner;
      handle.forward_cancel_.target = &handle.frame_.promise();
      // A joiner cancelled before it started waiting passes the cancellation on at once.
      if (detail::cancel_pending(joiner)) detail::request_cancel(handle.frame_.promise());
    }
    T await_resume() { return handle.take(); }
  };
  awaiter operator co_await() & noexcept { return awaiter{*this}; }
  awaiter operator co_await() && noexcept { return awaiter{*this}; }

 private:
  // Cancelling the joiner while it waits cancels the joined task (structured cancellation);
  // the joiner keeps waiting for it to finish, so the joined task never outlives the wait.
  struct forwarding_hook : detail::cancel_hook {
    detail::promise_base* target = nullptr;
    forwarding_hook() : detail::cancel_hook{&forward} {}
    static void forward(detail::cancel_hook& hook) noexcept {
      detail::request_cancel(*static_cast<forwarding_hook&>(hook).target);
    }
  };

  static void destroy(handle_type frame) noexcept {
    frame.destroy();
    detail::local_executor->on_freed();
  }

  T take() {
    auto frame = std::exchange(frame_, {});
    struct destroy_on_exit {
      handle_type frame;
      ~destroy_on_exit() { destroy(frame); }
    } guard{frame};
    return frame.promise().take();
  }

  handle_type frame_;
  forwarding_hook forward_cancel_;
};

namespace detail {
template <class T>
join_handle<T> spawn_on(executor& runner, task_queue_handle queue, task<T>&& work) {
  if (!work.valid()) throw_empty_await("spawn of a task that was moved from or already awaited");
  auto frame = work.release();
  promise<T>& root = frame.promise();
  root.flags |= is_root;
  root.queue = queue.index;
  root.leaf = frame;
  runner.on_spawned();
  runner.schedule(root);
  return join_handle<T>(frame);
}

executor& current_executor();
}  // namespace detail

// Starts `work` as a task of its own in the current task's queue (or the main queue).
template <class T>
join_handle<T> spawn(task<T> work) {
  executor& runner = detail::current_executor();
  return detail::spawn_on(runner, runner.current_queue(), std::move(work));
}

// Starts `work` in the given task queue.
template <class T>
join_handle<T> spawn(task_queue_handle queue, task<T> work) {
  return detail::spawn_on(detail::current_executor(), queue, std::move(work));
}

namespace detail {
// A callable taking references gets the frame's copies as lvalues (they live as long as the
// task); one taking move-only arguments by value (a socket, a unique_ptr) gets them moved.
template <class Function, class... Arguments>
concept invocable_with_lvalues = std::is_invocable_v<Function&, Arguments&...>;
template <class Function, class... Arguments>
concept invocable_in_frame =
    invocable_with_lvalues<Function, Arguments...> || std::is_invocable_v<Function&, Arguments&&...>;

template <class Function, class... Arguments>
using spawned_value_t = typename std::conditional_t<
    invocable_with_lvalues<Function, Arguments...>, std::invoke_result<Function&, Arguments&...>,
    std::invoke_result<Function&, Arguments&&...>>::type::value_type;

// Runs function(arguments...) with all of them held in this coroutine's frame.
template <class Value, class Function, class... Arguments>
task<Value> keep_alive(Function function, Arguments... arguments) {
  if constexpr (invocable_with_lvalues<Function, Arguments...>) {
    co_return co_await function(arguments...);
  } else {
    co_return co_await function(std::move(arguments)...);
  }
}
}  // namespace detail

// Starts the coroutine `function(arguments...)` as a task. The callable and the arguments are
// moved into the task's frame and live until it finishes, so a lambda's captures stay valid
// across suspensions (the "lambda coroutine" pitfall of other engines cannot happen here).
// Arguments reach the callable as lvalues, or moved when it takes them by value and they can
// only be moved.
template <class Function, class... Arguments>
  requires detail::invocable_in_frame<Function, Arguments...>
auto spawn(Function function, Arguments... arguments) {
  using value_type = detail::spawned_value_t<Function, Arguments...>;
  return spawn(detail::keep_alive<value_type>(std::move(function), std::move(arguments)...));
}

// The same, in the given task queue.
template <class Function, class... Arguments>
  requires detail::invocable_in_frame<Function, Arguments...>
auto spawn(task_queue_handle queue, Function function, Arguments... arguments) {
  using value_type = detail::spawned_value_t<Function, Arguments...>;
  return spawn(queue,
               detail::keep_alive<value_type>(std::move(function), std::move(arguments)...));
}

}  // namespace percore
