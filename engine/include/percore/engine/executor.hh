// executor: runs a shard's ready tasks, queue by queue. Task queues have shares and a latency
// flag; the executor picks the ready queue with the least weighted virtual runtime.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <percore/engine/cycle_clock.hh>
#include <percore/engine/task.hh>

namespace percore {

struct task_queue_options {
  // Relative CPU share when several queues have ready work (1..1,000,000).
  unsigned shares = 1000;
  // Ready work in a latency queue preempts a running non-latency queue at once.
  bool latency = false;
  std::string name;
};

// Identifies a task queue of the engine it was created on.
struct task_queue_handle {
  std::uint16_t index = 0;
  friend bool operator==(task_queue_handle, task_queue_handle) = default;
};

namespace detail {
// A primitive that parks tasks outside the backend and the timers (an event's wait list)
// registers here while it has waiters, so that a stopping engine can cancel them: no task is
// left suspended, with its destructors unrun, when an engine stops.
struct parked_waiters {
  void (*cancel_all)(parked_waiters&) noexcept = nullptr;
  parked_waiters* previous = nullptr;
  parked_waiters* next = nullptr;
};
}  // namespace detail

class executor {
 public:
  using clock = cycle_clock;

  explicit executor(std::chrono::nanoseconds time_slice);
  ~executor();
  executor(const executor&) = delete;
  executor& operator=(const executor&) = delete;

  task_queue_handle create_queue(task_queue_options options);
  // CPU time the queue's tasks have used so far (up to the last queue switch or turn). Only
  // counted while there is more than one queue: with one, nothing needs it.
  std::chrono::nanoseconds queue_runtime(task_queue_handle queue) const;
  task_queue_handle current_queue() const noexcept;

  // Makes a suspended root runnable (at the back of its queue).
  void schedule(detail::promise_base& root) noexcept {
    queue_state& queue = queues_[root.queue];
    root.next = nullptr;
    if (queue.tail) {
      queue.tail->next = &root;
    } else {
      queue.head = &root;
    }
    queue.tail = &root;
    ++queue.ready;
    ++ready_count_;
    // Only with several queues is there fairness to keep or a latency queue to let in.
    if (queues_.size() > 1) schedule_slow(queue);
  }

  // Runs ready tasks until none is left or one time slice has passed.
  void run_ready();
  bool has_ready() const noexcept { return ready_count_ > 0; }

  // True once the running task has had its time slice, or a latency queue wants the CPU.
  bool need_preempt() noexcept { return preempt_requested_ || slice_used_up(); }

  // The root whose code is running now (null outside a task).
  detail::promise_base* current() const noexcept { return current_; }
  void set_current(detail::promise_base* root) noexcept { current_ = root; }

  // Roots spawned and not yet freed.
  std::size_t live_tasks() const noexcept { return live_tasks_; }
  void on_spawned() noexcept { ++live_tasks_; }
  void on_freed() noexcept { --live_tasks_; }

  void register_parked(detail::parked_waiters& waiters) noexcept {
    waiters.previous = nullptr;
    waiters.next = parked_;
    if (parked_ != nullptr) parked_->previous = &waiters;
    parked_ = &waiters;
  }
  void unregister_parked(detail::parked_waiters& waiters) noexcept {
    if (waiters.previous != nullptr) {
      waiters.previous->next = waiters.next;
    } else if (parked_ == &waiters) {
      parked_ = waiters.next;
    }
    if (waiters.next != nullptr) waiters.next->previous = waiters.previous;
    waiters.previous = waiters.next = nullptr;
  }
  // Cancels every task parked on a registered primitive (each unregisters itself).
  void cancel_parked() noexcept {
    while (parked_ != nullptr) parked_->cancel_all(*parked_);
  }

  // Once stopping, every cancellable wait ends at once with operation_canceled.
  bool stopping() const noexcept { return stopping_; }
  void set_stopping(bool stopping) noexcept { stopping_ = stopping; }

 private:
  struct queue_state {
    task_queue_options options;
    detail::promise_base* head = nullptr;
    detail::promise_base* tail = nullptr;
    std::size_t ready = 0;
    // Runtime divided by shares, in nanoseconds scaled by 1000 so that small shares still
    // advance: the queue with the smallest value runs next.
    std::uint64_t virtual_runtime = 0;
    std::chrono::nanoseconds runtime{0};
  };

  static constexpr std::size_t no_queue = ~std::size_t{0};

  bool slice_used_up() noexcept {
    const clock::time_point now = clock::now();
    if (!slice_started_) {
      slice_started_ = true;
      slice_end_ = now + time_slice_;
      return false;
    }
    return now >= slice_end_;
  }

  void schedule_slow(queue_state& queue) noexcept;
  queue_state* pick_queue() noexcept;
  void charge_last_run(clock::time_point now) noexcept;
  void run_queue(queue_state& queue, std::optional<clock::time_point> slice_end);

  std::vector<queue_state> queues_;
  std::size_t ready_count_ = 0;
  detail::promise_base* current_ = nullptr;
  queue_state* running_queue_ = nullptr;
  // The queue that ran last and when it started; charged at the next clock read.
  std::size_t last_run_queue_ = no_queue;
  clock::time_point last_run_start_{};
  std::chrono::nanoseconds time_slice_;
  // With a single task queue nothing needs the time at the start of a turn, so the slice starts
  // at its first check instead: a turn that runs a few short tasks reads no clock at all.
  clock::time_point slice_end_{};
  bool slice_started_ = false;
  bool preempt_requested_ = false;
  bool stopping_ = false;
  detail::parked_waiters* parked_ = nullptr;
  std::size_t live_tasks_ = 0;
};

namespace detail {
// The executor of the engine running on this thread, or null.
constinit inline thread_local executor* local_executor = nullptr;

[[noreturn]] void throw_outside_task();

// The running root; throws std::logic_error when called outside a task on an engine.
inline promise_base& current_task() {
  executor* running = local_executor;
  if (running == nullptr || running->current() == nullptr) [[unlikely]] throw_outside_task();
  return *running->current();
}

// Whether an awaitable should end at once with operation_canceled.
inline bool cancel_pending(const promise_base& root) noexcept {
  return root.has(cancel_requested) || local_executor->stopping();
}

// Asks the root to stop: sets the flag and interrupts what it waits on, if anything.
void request_cancel(promise_base& root) noexcept;

// Suspends `leaf` as the resumption point of `root` (the running root), waiting on `hook` (may be
// null). For awaiters that already looked the root up.
inline void park(promise_base& root, std::coroutine_handle<> leaf, cancel_hook* hook) noexcept {
  root.leaf = leaf;
  root.waiting_on = hook;
  root.flags &= static_cast<std::uint16_t>(~woken_by_cancel);
}

// Suspends `leaf` as the running root's resumption point, waiting on `hook` (may be null).
inline promise_base& park(std::coroutine_handle<> leaf, cancel_hook* hook) {
  promise_base& root = current_task();
  park(root, leaf, hook);
  return root;
}

// How much of a root's frame is fetched ahead of running it, in cache lines from its promise:
// six cover a connection's frame of up to 384 bytes (line-aligned: frame_pool) with its
// suspension point, which clang keeps at the frame's end. Four, which missed the echo's at byte
// 256, cost 8% more user CPU per echo (docs/net.md).
inline constexpr int hot_frame_lines = 6;

// Starts fetching lines `first` to hot_frame_lines - 1 of the frame that `root` heads.
inline void prefetch_frame(const promise_base& root, int first) noexcept {
  const char* frame = reinterpret_cast<const char*>(&root);
  for (int line = first; line < hot_frame_lines; ++line) {
    __builtin_prefetch(frame + line * frame_pool::cache_line);
  }
}

// Makes a parked root runnable again; `by_cancel` records why for the awaitable.
inline void wake(promise_base& root, bool by_cancel = false) noexcept {
  // A root woken by a completion runs within this turn's batch (64 at most), and its frame is
  // often far from the cache by now: start fetching it, as the run queue will need it. Its first
  // line is written just below.
  prefetch_frame(root, 1);
  root.waiting_on = nullptr;
  if (by_cancel) root.flags |= woken_by_cancel;
  local_executor->schedule(root);
}
}  // namespace detail

// True when the running task has used its time slice and should let others run.
inline bool need_preempt() noexcept {
  return detail::local_executor != nullptr && detail::local_executor->need_preempt();
}

// co_await yield(): lets every other ready task of the queue run first.
struct yield_awaitable {
  bool force;
  bool await_ready() const noexcept { return !force && !need_preempt(); }
  void await_suspend(std::coroutine_handle<> self) {
    detail::promise_base& root = detail::park(self, nullptr);
    detail::local_executor->schedule(root);
  }
  void await_resume() const noexcept {}
};
inline yield_awaitable yield() noexcept { return {true}; }
// co_await maybe_yield(): yields only when the time slice is used up (cheap otherwise).
inline yield_awaitable maybe_yield() noexcept { return {false}; }

}  // namespace percore
