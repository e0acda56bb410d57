// The executor's run loop over task queues (weighted virtual runtime), root completion and
// cancellation. The clock is read once per batch of tasks, not per task.
#include <percore/engine/executor.hh>

#include <cstdio>
#include <limits>
#include <optional>
#include <stdexcept>
#include <system_error>

namespace percore {
namespace {

// Reading the clock costs about as much as running a trivial task, so a queue checks its time
// slice after this many tasks (and whenever a latency queue asks for the CPU).
constexpr unsigned tasks_between_clock_reads = 16;

constexpr std::uint64_t virtual_scale = 1000;

void report_lost_exception(const std::exception_ptr& exception) noexcept {
  try {
    std::rethrow_exception(exception);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "percore: a detached task ended with an exception: %s\n", error.what());
  } catch (...) {
    std::fprintf(stderr, "percore: a detached task ended with an exception of unknown type\n");
  }
}

}  // namespace

executor::executor(std::chrono::nanoseconds time_slice) : time_slice_(time_slice) {
  queues_.reserve(8);
  queues_.push_back(queue_state{task_queue_options{1000, false, "main"}});
}

executor::~executor() = default;

task_queue_handle executor::create_queue(task_queue_options options) {
  if (options.shares == 0 || options.shares > 1'000'000) {
    throw std::invalid_argument("percore: task queue shares " + std::to_string(options.shares) +
                                " out of range (accepted: 1..1000000)");
  }
  if (queues_.size() >= std::numeric_limits<std::uint16_t>::max()) {
    throw std::length_error("percore: too many task queues");
  }
  queue_state state{std::move(options)};
  // A new queue starts level with the least advanced one instead of owing it all history.
  std::uint64_t least = std::numeric_limits<std::uint64_t>::max();
  for (const auto& queue : queues_) least = std::min(least, queue.virtual_runtime);
  state.virtual_runtime = least;
  // Running tasks hold pointers into queues_ only as `running_queue_`, which is re-derived
  // from the index after a possible reallocation.
  const std::ptrdiff_t running = running_queue_ ? running_queue_ - queues_.data() : -1;
  queues_.push_back(std::move(state));
  if (running >= 0) running_queue_ = queues_.data() + running;
  return task_queue_handle{static_cast<std::uint16_t>(queues_.size() - 1)};
}

std::chrono::nanoseconds executor::queue_runtime(task_queue_handle queue) const {
  return queues_.at(queue.index).runtime;
}

task_queue_handle executor::current_queue() const noexcept {
  return task_queue_handle{current_ ? current_->queue : std::uint16_t{0}};
}

void executor::schedule_slow(queue_state& queue) noexcept {
  if (queue.ready == 1 && running_queue_ != &queue) {
    // A queue waking from idle must not bank the CPU time it did not use. (A task of the
    // running queue yielding is not a wake-up: that queue was never idle.)
    std::uint64_t least = std::numeric_limits<std::uint64_t>::max();
    for (const auto& other : queues_) {
      if (&other != &queue && other.ready > 0) least = std::min(least, other.virtual_runtime);
    }
    if (least != std::numeric_limits<std::uint64_t>::max() && queue.virtual_runtime < least) {
      queue.virtual_runtime = least;
    }
  }
  if (queue.options.latency && running_queue_ != nullptr && running_queue_ != &queue) {
    preempt_requested_ = true;
  }
}

executor::queue_state* executor::pick_queue() noexcept {
  queue_state* best = nullptr;
  std::uint64_t best_key = 0;
  for (auto& queue : queues_) {
    if (queue.ready == 0) continue;
    std::uint64_t key = queue.virtual_runtime;
    if (queue.options.latency) {
      // A latency queue jumps ahead by up to one time slice of its own virtual time: it runs
      // first when it wakes, yet a busy one still cannot starve the others.
      const std::uint64_t bonus = static_cast<std::uint64_t>(time_slice_.count()) *
                                  virtual_scale / queue.options.shares;
      key -= std::min(key, bonus);
    }
    if (best == nullptr || key < best_key) {
      best = &queue;
      best_key = key;
    }
  }
  return best;
}

void executor::run_ready() {
  if (ready_count_ == 0) return;
  if (queues_.size() == 1) {
    // One queue: no choice to make and no one to account against.
    run_queue(queues_.front(), std::nullopt);
    return;
  }
  // One clock read per queue run. The time since the previous read, the reactor's turn
  // included, is charged to the queue that ran last: it asked for that I/O.
  clock::time_point now = clock::now();
  charge_last_run(now);
  const clock::time_point turn_end = now + time_slice_;
  while (ready_count_ > 0) {
    queue_state* queue = pick_queue();
    last_run_queue_ = static_cast<std::size_t>(queue - queues_.data());
    last_run_start_ = now;
    run_queue(*queue, now + time_slice_);
    if (ready_count_ == 0) break;
    now = clock::now();
    charge_last_run(now);
    if (now >= turn_end) break;
  }
}

void executor::charge_last_run(clock::time_point now) noexcept {
  if (last_run_queue_ == no_queue) return;
  queue_state& ran = queues_[last_run_queue_];
  // max(): the clock may step back by a few microseconds once, when calibration ends.
  const auto used = std::max(std::chrono::nanoseconds::zero(),
                             std::chrono::duration_cast<std::chrono::nanoseconds>(now - last_run_start_));
  ran.runtime += used;
  ran.virtual_runtime +=
      static_cast<std::uint64_t>(used.count()) * virtual_scale / ran.options.shares;
  last_run_queue_ = no_queue;
}

void executor::run_queue(queue_state& queue, std::optional<clock::time_point> slice_end) {
  preempt_requested_ = false;
  slice_started_ = slice_end.has_value();
  if (slice_end) slice_end_ = *slice_end;
  running_queue_ = &queue;
  const std::uint16_t index = static_cast<std::uint16_t>(&queue - queues_.data());
  unsigned until_clock_read = tasks_between_clock_reads;
  for (;;) {
    queue_state& state = queues_[index];
    detail::promise_base* root = state.head;
    if (root == nullptr) break;
    state.head = root->next;
    if (state.head == nullptr) {
      state.tail = nullptr;
    } else {
      // The next root's coroutine reads its frame as soon as it runs: fetch it while this one does.
      detail::prefetch_frame(*state.head, 0);
    }
    --state.ready;
    --ready_count_;
    current_ = root;
    // The root may finish and free itself here: it is not touched after resume().
    root->leaf.resume();
    current_ = nullptr;
    if (preempt_requested_) break;
    if (--until_clock_read == 0) {
      if (slice_used_up()) break;
      until_clock_read = tasks_between_clock_reads;
    }
  }
  running_queue_ = nullptr;
}

namespace detail {

executor& current_executor() {
  if (local_executor == nullptr) {
    throw std::logic_error("percore: no engine runs on this thread (spawn and I/O need one)");
  }
  return *local_executor;
}

void throw_outside_task() {
  throw std::logic_error(
      "percore: this operation must be awaited inside a task running on an engine "
      "(not from a thread without one, nor from outside a task)");
}

std::coroutine_handle<> finish_root(promise_base& root, std::coroutine_handle<> frame) noexcept {
  root.flags |= is_finished;
  root.waiting_on = nullptr;
  if (root.has(is_detached)) {
    if (root.exception) report_lost_exception(root.exception);
    frame.destroy();
    local_executor->on_freed();
    return std::noop_coroutine();
  }
  if (promise_base* joiner = root.joiner()) {
    joiner->waiting_on = nullptr;
    if (joiner->queue == root.queue) {
      // Same queue: hand the CPU straight to the joiner instead of a trip through the queue.
      local_executor->set_current(joiner);
      return joiner->leaf;
    }
    local_executor->schedule(*joiner);
  }
  return std::noop_coroutine();
}

void request_cancel(promise_base& root) noexcept {
  if (root.has(is_finished)) return;
  root.flags |= cancel_requested;
  if (cancel_hook* hook = root.waiting_on) {
    root.waiting_on = nullptr;
    hook->interrupt(*hook);
  }
}

void throw_empty_await(const char* what) {
  throw std::logic_error(std::string("percore: co_await on ") + what);
}

}  // namespace detail
}  // namespace percore
