// submit_to(shard, fn): runs fn on another shard and brings its value (or exception) back to
// the caller's task; invoke_on_all and map_reduce run a function on every shard.
#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include <percore/engine/executor.hh>
#include <percore/engine/spawn.hh>
#include <percore/engine/task.hh>
#include <percore/shards/mesh.hh>
#include <percore/shards/shard_id.hh>

namespace percore {

namespace detail {

template <class T>
struct task_value {
  using type = T;
};
template <class T>
struct task_value<task<T>> {
  using type = T;
};

// What `fn` gives once awaited: its return value, or the value of the task it returns.
template <class Function>
using submitted_value_t = typename task_value<std::invoke_result_t<Function&>>::type;

// Runs `fn` and awaits the task it returns, if it returns one.
template <class Function>
task<submitted_value_t<Function>> invoke_awaiting(Function& fn) {
  if constexpr (std::is_void_v<submitted_value_t<Function>>) {
    if constexpr (std::is_void_v<std::invoke_result_t<Function&>>) {
      fn();
    } else {
      co_await fn();
    }
  } else if constexpr (std::is_same_v<std::invoke_result_t<Function&>,
                                      task<submitted_value_t<Function>>>) {
    co_return co_await fn();
  } else {
    co_return fn();
  }
}

// A call in flight to another shard. It lives in the caller's frame, which waits for the
// reply whatever happens (cancellation included), so the other shard never sees it freed.
template <class Function>
struct remote_call {
  using value_type = submitted_value_t<Function>;

  remote_call(Function&& moved, unsigned from) : function(std::move(moved)), origin(from) {}

  Function function;
  unsigned origin;
  std::optional<std::conditional_t<std::is_void_v<value_type>, bool, value_type>> value;
  std::exception_ptr exception;
  promise_base* waiter = nullptr;
  bool answered = false;

  static constexpr bool returns_task =
      !std::is_same_v<std::invoke_result_t<Function&>, submitted_value_t<Function>>;

  // On the target shard. A function that returns a task runs as a task of its own; any other
  // runs right here, in the drain, and answers at once (a task is spawned only if the ring home
  // is full).
  static void serve(void* payload) {
    auto* call = static_cast<remote_call*>(payload);
    if constexpr (returns_task) {
      spawn(run_and_reply(call)).detach();
    } else {
      try {
        if constexpr (std::is_void_v<value_type>) {
          call->function();
          call->value.emplace(true);
        } else {
          call->value.emplace(call->function());
        }
      } catch (...) {
        call->exception = std::current_exception();
      }
      current_endpoint().post(call->origin, mesh_message{&answer, call});
    }
  }
  static task<void> run_and_reply(remote_call* call) {
    try {
      if constexpr (std::is_void_v<value_type>) {
        co_await invoke_awaiting(call->function);
        call->value.emplace(true);
      } else {
        call->value.emplace(co_await invoke_awaiting(call->function));
      }
    } catch (...) {
      call->exception = std::current_exception();
    }
    shard_endpoint& endpoint = current_endpoint();
    const mesh_message reply{&answer, call};
    if (!endpoint.try_send(call->origin, reply)) co_await endpoint.send(call->origin, reply);
  }
  // Back on the caller's shard.
  static void answer(void* payload) {
    auto* call = static_cast<remote_call*>(payload);
    call->answered = true;
    if (call->waiter != nullptr) wake(*call->waiter);
  }

  // Waiting for the answer is not cancellable: the call's memory is in this frame.
  bool await_ready() const noexcept { return answered; }
  void await_suspend(std::coroutine_handle<> self) { waiter = &park(self, nullptr); }
  void await_resume() const noexcept {}

  value_type take() {
    if (exception) std::rethrow_exception(exception);
    if constexpr (!std::is_void_v<value_type>) return std::move(*value);
  }
};

}  // namespace detail

// Runs `function()` on shard `shard` and returns its value. `function` may return a value,
// void or a task<T> (awaited there). Exceptions travel back and are rethrown here; errors as
// values (result<T>) travel like any value. On the calling shard itself it runs in place.
// The function object is moved to the other shard: capture by value what it needs.
template <class Function>
task<detail::submitted_value_t<Function>> submit_to(unsigned shard, Function function) {
  if (shard >= shard_count()) {
    throw std::out_of_range("percore: submit_to shard " + std::to_string(shard) +
                            " (there are " + std::to_string(shard_count()) + " shards)");
  }
  if (shard == this_shard_id()) co_return co_await detail::invoke_awaiting(function);
  detail::remote_call<Function> call(std::move(function), this_shard_id());
  detail::shard_endpoint& endpoint = detail::current_endpoint();
  const detail::mesh_message request{&decltype(call)::serve, &call};
  if (!endpoint.try_send(shard, request)) co_await endpoint.send(shard, request);
  co_await call;
  co_return call.take();
}

// Runs `function()` on every shard (copies of it), concurrently, and waits for all.
template <class Function>
task<void> invoke_on_all(Function function) {
  std::vector<join_handle<detail::submitted_value_t<Function>>> calls;
  calls.reserve(shard_count());
  for (unsigned shard = 0; shard < shard_count(); ++shard) {
    calls.push_back(spawn(submit_to(shard, function)));
  }
  for (auto& call : calls) co_await call;
}

// Runs `mapper()` on every shard and folds the values with `reducer(accumulated, value)`,
// starting from `initial`, in shard order.
template <class Mapper, class Value, class Reducer>
task<Value> map_reduce(Mapper mapper, Value initial, Reducer reducer) {
  std::vector<join_handle<detail::submitted_value_t<Mapper>>> calls;
  calls.reserve(shard_count());
  for (unsigned shard = 0; shard < shard_count(); ++shard) {
    calls.push_back(spawn(submit_to(shard, mapper)));
  }
  for (auto& call : calls) initial = reducer(std::move(initial), co_await call);
  co_return initial;
}

}  // namespace percore
