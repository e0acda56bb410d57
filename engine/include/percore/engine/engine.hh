// engine: one shard's worth of runtime on the calling thread: a backend, an executor, timers.
// engine::run(main) drives the loop until main's task finishes, then stops cleanly.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include <percore/engine/executor.hh>
#include <percore/engine/spawn.hh>
#include <percore/engine/task.hh>
#include <percore/engine/timer_set.hh>
#include <percore/io/backend.hh>

namespace percore {

struct engine_config {
  // nullopt: the PERCORE_BACKEND environment variable if set, else io_uring with a fallback to
  // epoll. An explicit choice that the kernel refuses is an error, not a fallback.
  std::optional<io::backend_kind> backend;
  // io_uring submission ring size: a power of two in 1..32768.
  unsigned ring_entries = 256;
  // How long a task queue runs before others and the reactor get their turn (1 µs .. 1 s).
  std::chrono::microseconds time_slice{500};
  // Threads for blocking work (regular-file I/O on epoll), started on first use: 1..256.
  unsigned blocking_threads = 4;
  // Spin on the backend instead of sleeping when idle (lower wake latency, a full core).
  bool poll = false;

  // Throws std::invalid_argument naming the bad value and what is accepted.
  void validate() const;
};

// Work that reaches an engine from other threads (the shard mesh). The engine drains it every
// loop turn and asks it before sleeping, so that nothing sent to a sleeping engine is missed.
class inbox {
 public:
  virtual ~inbox() = default;
  // Runs (or schedules) what has arrived; returns whether anything did.
  virtual bool drain() = 0;
  // The engine is about to sleep in its backend: publish that, then return false if work
  // arrived meanwhile (the engine then does not sleep).
  virtual bool prepare_to_sleep() noexcept = 0;
  // Awake again after a sleep that prepare_to_sleep allowed.
  virtual void woke_up() noexcept = 0;
};

class engine {
 public:
  // Validates the configuration and sets up the backend; throws before anything runs.
  explicit engine(engine_config config = {});
  ~engine();
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  // Runs `main()` (a callable returning task<R>) as the first task and drives the loop until it
  // finishes; then cancels what is still running or waiting on I/O or timers, drains, and
  // returns main's value (or rethrows its exception). One run at a time per thread.
  template <class Main>
  auto run(Main main) -> typename std::invoke_result_t<Main&>::value_type {
    activation active(*this);
    auto handle = spawn(std::move(main));
    for (;;) {
      executor_.run_ready();
      if (handle.done()) break;
      react();
    }
    stop_and_drain();
    return handle.get();
  }

  io::backend& backend() noexcept { return *backend_; }
  executor& tasks() noexcept { return executor_; }
  timer_set& timers() noexcept { return timers_; }
  const engine_config& config() const noexcept { return config_; }

  // Creates a task queue on this engine (see task_queue_options).
  task_queue_handle create_task_queue(task_queue_options options) {
    return executor_.create_queue(std::move(options));
  }

  // The engine running on this thread, or null.
  static engine* current() noexcept;

  // Attaches the inbox drained every turn (null to detach). Not owned.
  void set_inbox(inbox* incoming) noexcept { inbox_ = incoming; }

  // The reactor half of a loop turn: fire due timers, submit prepared I/O and reap
  // completions in one kernel entry, sleeping in the backend when no task is ready.
  void react();

 private:
  // Makes this engine the thread's current one for the duration of a run.
  class activation {
   public:
    explicit activation(engine& active);
    ~activation();

   private:
    engine* previous_engine_;
    executor* previous_executor_;
    io::backend* previous_backend_;
  };

  void stop_and_drain();

  engine_config config_;
  std::unique_ptr<io::backend> backend_;
  executor executor_;
  timer_set timers_;
  inbox* inbox_ = nullptr;
};

// The backend of the engine on this thread; throws std::logic_error if there is none.
io::backend& current_backend();

// Convenience: runs `main` on a new engine with `config` and returns its value.
template <class Main>
auto run(engine_config config, Main main) {
  engine runner(std::move(config));
  return runner.run(std::move(main));
}

}  // namespace percore
