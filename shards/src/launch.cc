// launch: validate, place, start one pinned thread per shard with its engine and mesh endpoint,
// run main on shard 0, stop everyone (main's end, stop(), SIGINT/SIGTERM), drain, join.
#include <percore/shards/launch.hh>

#include <poll.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <atomic>
#include <bit>
#include <cstdio>
#include <cstring>
#include <latch>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <percore/engine/event.hh>
#include <percore/engine/operations.hh>
#include <percore/engine/spawn.hh>
#include <percore/engine/timer.hh>
#include <percore/shards/mesh.hh>
#include <percore/shards/sharded.hh>
#include <percore/shards/topology.hh>

namespace percore {
namespace {

// Everything the shards of one launch share. Written before the threads start, or atomic.
struct launch_state {
  launch_state(const launch_config& launch_configuration, std::vector<shard_placement> places)
      : config(launch_configuration),
        placement(std::move(places)),
        numa_nodes(numa_nodes_of(placement)),
        mesh(static_cast<unsigned>(placement.size()), config.mesh_capacity),
        engines_ready(static_cast<std::ptrdiff_t>(placement.size())),
        engines_idle(static_cast<std::ptrdiff_t>(placement.size())),
        errors(placement.size()) {}

  unsigned shards() const noexcept { return static_cast<unsigned>(placement.size()); }

  // Called on shard `from` (a signal, percore::stop): main is cancelled on shard 0, which then
  // stops the services left running, while every shard still serves, and only then stops
  // the shards. Stopping them at once would cancel the services' own stop, mid-way.
  void request_main_stop(unsigned from, int code) {
    int expected_unset = -1;
    stop_code.compare_exchange_strong(expected_unset, code);
    main_stop_requested.store(true, std::memory_order_release);
    if (from != 0) mesh.endpoint(from).wake_if_sleeping(mesh.endpoint(0));
  }

  // Called on shard `from`: every shard sees stop_requested at its next drain. Shard 0 does
  // this once main and the services are done, or any shard whose engine failed.
  void request_stop(unsigned from, int code) {
    request_main_stop(from, code);
    stop_requested.store(true, std::memory_order_release);
    wake_sleeping_shards(from);
  }

  // After a flag the shards watch changed, on shard `from`: those asleep must look at it.
  void wake_sleeping_shards(unsigned from) {
    detail::shard_endpoint& caller = mesh.endpoint(from);
    for (unsigned shard = 0; shard < shards(); ++shard) {
      if (shard != from) caller.wake_if_sleeping(mesh.endpoint(shard));
    }
  }

  const launch_config& config;
  std::vector<shard_placement> placement;
  std::vector<int> numa_nodes;  // the nodes the shards are on, for numa_policy::interleave
  detail::mesh mesh;
  std::latch engines_ready;
  // No engine is destroyed before every shard is past its last wake of the others.
  std::latch engines_idle;
  std::atomic<bool> engine_failed{false};
  std::vector<std::exception_ptr> errors;
  std::atomic<bool> main_stop_requested{false};  // shard 0 watches it
  std::atomic<bool> stop_requested{false};       // the other shards watch it
  std::atomic<int> stop_code{-1};  // -1: stopped because main returned
  std::atomic<unsigned> finished{0};
  std::atomic<bool> all_finished{false};
  int main_result = 0;
  // sharded services started and not yet stopped, in start order.
  std::mutex services_lock;
  std::vector<std::pair<const void*, std::function<task<void>()>>> services;
};

constinit thread_local unsigned local_shard_id = 0;
constinit thread_local launch_state* local_launch = nullptr;

// Shard 0's listener for SIGINT and SIGTERM: the first asks for an orderly stop, a second
// one exits at once (an operator who presses Ctrl-C twice means it).
task<void> listen_for_signals(int signal_fd, launch_state& state) {
  bool asked_once = false;
  for (;;) {
    // poll, then a non-blocking read: the same on io_uring and epoll, whatever the fd's mode.
    if (!co_await poll(signal_fd, POLLIN)) co_return;  // cancelled at stop
    signalfd_siginfo info{};
    if (::read(signal_fd, &info, sizeof info) != static_cast<ssize_t>(sizeof info)) continue;
    const int code = 128 + static_cast<int>(info.ssi_signo);
    if (asked_once) ::_exit(code);
    asked_once = true;
    std::fprintf(stderr, "percore: %s received, stopping (again to exit at once)\n",
                 ::strsignal(static_cast<int>(info.ssi_signo)));
    state.request_main_stop(0, code);
  }
}

// Stops, last started first, the services the program left running.
task<void> stop_remaining_services(launch_state& state) {
  for (;;) {
    std::function<task<void>()> stop_one;
    {
      std::lock_guard lock(state.services_lock);
      if (state.services.empty()) co_return;
      stop_one = std::move(state.services.back().second);
    }
    co_await stop_one();  // unregisters it
  }
}

void run_shard(launch_state& state, unsigned id, const std::function<task<int>()>& main,
               int signal_fd) {
  local_shard_id = id;
  local_launch = &state;
  struct leave_launch {
    ~leave_launch() {
      local_launch = nullptr;
      detail::local_endpoint = nullptr;
    }
  } leave;
  std::optional<engine> runner;
  try {
    const shard_placement& place = state.placement[id];
    if (state.config.pin_threads) pin_current_thread(place.cpu);
    set_thread_memory_policy(state.config.placement.numa, place.numa_node, state.numa_nodes);
    frame_pool::local().set_limit(state.config.memory_per_shard);
    runner.emplace(state.config.engine);
    detail::shard_endpoint& endpoint = state.mesh.endpoint(id);
    endpoint.attach(*runner);
    detail::local_endpoint = &endpoint;
  } catch (...) {
    state.errors[id] = std::current_exception();
    state.engine_failed.store(true);
  }
  state.engines_ready.arrive_and_wait();
  if (state.engine_failed.load()) return;

  detail::shard_endpoint& endpoint = state.mesh.endpoint(id);
  try {
    if (id == 0) {
      state.main_result = runner->run([&]() -> task<int> {
        auto main_task = spawn(main());
        std::optional<join_handle<void>> signals;
        if (signal_fd >= 0) signals.emplace(spawn(listen_for_signals(signal_fd, state)));
        endpoint.on_stop(state.main_stop_requested, [&main_task] { main_task.cancel(); });
        // The handler refers to this frame: replace it before the frame ends.
        struct forget_handler {
          detail::shard_endpoint& endpoint;
          launch_state& state;
          ~forget_handler() { endpoint.on_stop(state.main_stop_requested, [] {}); }
        } forget{endpoint, state};
        int result = 1;
        std::exception_ptr failure;
        try {
          result = co_await main_task;
        } catch (...) {
          failure = std::current_exception();
        }
        if (signals) signals->cancel();
        co_await stop_remaining_services(state);
        state.request_stop(0, state.stop_code.load() >= 0 ? state.stop_code.load() : result);
        if (failure) std::rethrow_exception(failure);
        co_return result;
      });
    } else {
      runner->run([&]() -> task<void> {
        event stopped;
        endpoint.on_stop(state.stop_requested, [&stopped] { stopped.set(); });
        (void)co_await stopped.wait();
        endpoint.on_stop(state.stop_requested, [] {});
      });
    }
  } catch (...) {
    state.errors[id] = std::current_exception();
    state.request_stop(id, 1);
  }
  // Until every shard is done, keep serving what others still send (replies, frees).
  if (state.finished.fetch_add(1) + 1 == state.shards()) {
    state.all_finished.store(true, std::memory_order_release);
    state.wake_sleeping_shards(id);
  }
  runner->run([&]() -> task<void> {
    event everyone_done;
    endpoint.on_stop(state.all_finished, [&everyone_done] { everyone_done.set(); });
    (void)co_await everyone_done.wait();
    endpoint.on_stop(state.all_finished, [] {});
  });
  endpoint.detach();
  state.engines_idle.arrive_and_wait();
  runner->set_inbox(nullptr);
  frame_pool::local().set_limit(0);
}

}  // namespace

unsigned this_shard_id() {
  if (local_launch == nullptr) {
    throw std::logic_error("percore: this_shard_id() called off the shards (inside launch only)");
  }
  return local_shard_id;
}

unsigned shard_count() {
  if (local_launch == nullptr) {
    throw std::logic_error("percore: shard_count() called off the shards (inside launch only)");
  }
  return local_launch->shards();
}

void detail::register_service(const void* key, std::function<task<void>()> stop) {
  if (local_launch == nullptr) throw std::logic_error("percore: sharded services need a launch");
  std::lock_guard lock(local_launch->services_lock);
  local_launch->services.emplace_back(key, std::move(stop));
}

void detail::unregister_service(const void* key) {
  if (local_launch == nullptr) return;
  std::lock_guard lock(local_launch->services_lock);
  auto& services = local_launch->services;
  std::erase_if(services, [key](const auto& entry) { return entry.first == key; });
}

void stop(int exit_code) {
  if (local_launch == nullptr) {
    throw std::logic_error("percore: stop() called off the shards (inside launch only)");
  }
  local_launch->request_main_stop(local_shard_id, exit_code);
}

void launch_config::validate() const {
  engine.validate();
  if (memory_per_shard != 0 && memory_per_shard < frame_pool::chunk_size) {
    throw std::invalid_argument("percore: memory_per_shard " + std::to_string(memory_per_shard) +
                                " bytes is too small (accepted: 0 for no cap, or at least " +
                                std::to_string(frame_pool::chunk_size) + ")");
  }
  if (mesh_capacity < 2 || mesh_capacity > (std::size_t{1} << 20) ||
      !std::has_single_bit(mesh_capacity)) {
    throw std::invalid_argument("percore: mesh_capacity " + std::to_string(mesh_capacity) +
                                " is invalid (accepted: a power of two from 2 to 1048576)");
  }
}

int detail::launch_shards(const launch_config& config, std::function<task<int>()> main) {
  if (local_launch != nullptr) throw std::logic_error("percore: launch() inside a launch");
  config.validate();
  std::vector<shard_placement> placement;
  try {
    placement = plan_placement(config.placement, topology::detect());
  } catch (const std::invalid_argument& refused) {
    throw configuration_error(refused.what());
  }
  launch_state state(config, std::move(placement));

  // Signals go to shard 0's signalfd only: block them here, the threads inherit the mask.
  sigset_t stop_signals, previous;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, &previous);
  const int signal_fd = ::signalfd(-1, &stop_signals, SFD_CLOEXEC | SFD_NONBLOCK);

  // Shard 0 runs on the calling thread; give it back its affinity afterwards.
  cpu_set_t caller_affinity;
  const bool saved_affinity = ::sched_getaffinity(0, sizeof caller_affinity, &caller_affinity) == 0;

  std::vector<std::thread> threads;
  threads.reserve(state.shards());
  for (unsigned id = 1; id < state.shards(); ++id) {
    threads.emplace_back([&state, id, &main] { run_shard(state, id, main, -1); });
  }
  run_shard(state, 0, main, signal_fd);
  for (auto& thread : threads) thread.join();

  if (signal_fd >= 0) ::close(signal_fd);
  if (saved_affinity) ::sched_setaffinity(0, sizeof caller_affinity, &caller_affinity);
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  for (auto& error : state.errors) {
    if (error) std::rethrow_exception(error);
  }
  const int code = state.stop_code.load();
  return code >= 0 ? code : state.main_result;
}

}  // namespace percore
