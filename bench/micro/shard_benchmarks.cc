// shard_benchmarks: the cross-shard costs of issue 3's targets, on two shards pinned to the first
// two CPUs of the affinity mask: submit_to round trips to a busy-polling and to a sleeping
// shard, one-way mesh throughput, the frame pool against glibc malloc (same shard and freed on
// another shard), and the CPU an idle 2-shard engine burns.
//
// Linked with micro/cross_thread_floor.cc (which brings main()), so that the raw floors these
// figures are ratios of (SPSC busy-poll, eventfd and futex ping-pong, raw one-way throughput)
// run in the same binary and the same run.
#include <benchmark/benchmark.h>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include <percore/engine/frame_pool.hh>
#include <percore/engine/task.hh>
#include <percore/engine/timer.hh>
#include <percore/shards/launch.hh>
#include <percore/shards/mesh.hh>
#include <percore/shards/submit_to.hh>

namespace {

using percore::task;
using sample_clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Two shards, pinned: with `smp` 2 placement takes the two lowest CPUs of the affinity mask
// (0 and 1 on the 2-vCPU machine), as the floors do.
percore::launch_config two_shards(bool poll) {
  percore::launch_config config;
  config.placement.smp = 2;
  config.engine.poll = poll;
  return config;
}

// Runs `body(state)` (a task) as main on shard 0 of a fresh 2-shard launch.
template <class Body>
void on_two_shards(benchmark::State& state, bool poll, Body body) {
  try {
    percore::launch(two_shards(poll), [&state, &body]() -> task<void> { co_await body(state); });
  } catch (const std::exception& error) {
    state.SkipWithError(error.what());
  }
}

void report_percentiles(benchmark::State& state, std::vector<std::int64_t>& samples) {
  if (samples.empty()) return;
  std::sort(samples.begin(), samples.end());
  state.counters["p50_ns"] = static_cast<double>(samples[samples.size() / 2]);
  state.counters["p99_ns"] = static_cast<double>(samples[samples.size() * 99 / 100]);
}

// What the far shard runs: as little as a call can be. Named, not a temporary inside the
// co_await expression (g++ 12 mis-destroys those).
struct far_shard_id {
  unsigned operator()() const { return percore::this_shard_id(); }
};

// ---------------------------------------------------------------------------------------------
// (a) submit_to round trip, the target busy-polling (engine poll = true on both shards). One
// iteration is one round trip; each sample is the gap between consecutive clock reads, exactly
// as the floor's spsc_busy_poll_round_trip takes its samples, so the two compare directly.
task<void> busy_round_trips(benchmark::State& state) {
  const far_shard_id call;
  for (int i = 0; i < 10'000; ++i) benchmark::DoNotOptimize(co_await percore::submit_to(1, call));
  std::vector<std::int64_t> samples(state.max_iterations);
  std::size_t taken = 0;
  sample_clock::time_point last = sample_clock::now();
  for (auto _ : state) {
    benchmark::DoNotOptimize(co_await percore::submit_to(1, call));
    const sample_clock::time_point now = sample_clock::now();
    samples[taken++] = (now - last).count();
    last = now;
  }
  samples.resize(taken);
  report_percentiles(state, samples);
}
void BM_submit_to_busy(benchmark::State& state) { on_two_shards(state, true, busy_round_trips); }
BENCHMARK(BM_submit_to_busy)->Name("submit_to_busy_round_trip")
    ->Iterations(1'000'000)->UseRealTime()->Unit(benchmark::kNanosecond);

// (a) submit_to round trip to a sleeping shard (poll = false). Before each call shard 0 sleeps
// range(0) µs on a timer, long enough for shard 1 to have gone to sleep in its backend; only
// the call is timed (two clock reads around it). With a pause of 0 the calls follow each other
// as the eventfd floor's round trips do; the target still sleeps between them, as soon as it
// has answered.
task<void> sleeping_round_trips(benchmark::State& state) {
  const far_shard_id call;
  const auto pause = std::chrono::microseconds(state.range(0));
  for (int i = 0; i < 100; ++i) benchmark::DoNotOptimize(co_await percore::submit_to(1, call));
  std::vector<std::int64_t> samples(state.max_iterations);
  std::size_t taken = 0;
  for (auto _ : state) {
    if (pause.count() > 0) (void)co_await percore::sleep_for(pause);
    const sample_clock::time_point start = sample_clock::now();
    benchmark::DoNotOptimize(co_await percore::submit_to(1, call));
    const auto took = sample_clock::now() - start;
    samples[taken++] = took.count();
    state.SetIterationTime(std::chrono::duration<double>(took).count());
  }
  samples.resize(taken);
  report_percentiles(state, samples);
}
void BM_submit_to_sleeping(benchmark::State& state) {
  on_two_shards(state, false, sleeping_round_trips);
}
BENCHMARK(BM_submit_to_sleeping)->Name("submit_to_sleeping_round_trip")->ArgName("pause_us")
    ->Arg(200)->Iterations(10'000)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_submit_to_sleeping)->Name("submit_to_sleeping_round_trip")->ArgName("pause_us")
    ->Arg(0)->Iterations(50'000)->UseManualTime()->Unit(benchmark::kMicrosecond);

// ---------------------------------------------------------------------------------------------
// (b) One-way throughput on one pair: shard 0 sends 10,000,000 raw mesh messages to shard 1 as
// fast as the ring takes them (try_send, and send, which waits for room, when it is full);
// shard 1's loop drains them in batches and runs each (a counter increment). The time runs
// from the first send to the reply of a submit_to that follows the stream, so every message
// has been run on shard 1 when the clock stops. range(0): the engines busy-poll (1) or sleep
// when idle (0, the default configuration).
constexpr std::uint64_t stream_length = 10'000'000;
thread_local std::uint64_t received = 0;
void count_message(void*) { ++received; }

struct take_received {
  std::uint64_t operator()() const {
    const std::uint64_t count = received;
    received = 0;
    return count;
  }
};

task<void> one_way_stream(benchmark::State& state) {
  percore::detail::shard_endpoint& endpoint = percore::detail::current_endpoint();
  const take_received tally;
  for (auto _ : state) {
    const sample_clock::time_point start = sample_clock::now();
    for (std::uint64_t sequence = 0; sequence < stream_length; ++sequence) {
      const percore::detail::mesh_message message{&count_message,
                                                  reinterpret_cast<void*>(sequence)};
      if (!endpoint.try_send(1, message)) co_await endpoint.send(1, message);
    }
    const std::uint64_t arrived = co_await percore::submit_to(1, tally);
    state.SetIterationTime(std::chrono::duration<double>(sample_clock::now() - start).count());
    if (arrived != stream_length) {
      state.SkipWithError(("shard 1 received " + std::to_string(arrived) + " of " +
                           std::to_string(stream_length) + " messages")
                              .c_str());
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * stream_length));
}
void BM_one_way(benchmark::State& state) { on_two_shards(state, state.range(0) != 0, one_way_stream); }
BENCHMARK(BM_one_way)->Name("shard_one_way")->ArgName("poll")->Arg(0)->Arg(1)
    ->Iterations(1)->Repetitions(3)->ReportAggregatesOnly(false)->UseManualTime()
    ->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------------------------------------
// (c) 64-byte blocks from the frame pool against glibc malloc, on one thread: allocate and free
// at once (one iteration = one block), or allocate a batch of 256 and free them (one iteration
// = one batch; the rate is per block).
constexpr std::size_t block_size = 64;
constexpr std::size_t batch_blocks = 256;

struct pool_blocks {
  static void* allocate() { return percore::frame_pool::local().allocate(block_size); }
  static void free(void* block) { percore::frame_pool::local().deallocate(block, block_size); }
};
struct malloc_blocks {
  static void* allocate() { return std::malloc(block_size); }
  static void free(void* block) { std::free(block); }
};

template <class Blocks>
void BM_alloc_free(benchmark::State& state) {
  Blocks::free(Blocks::allocate());  // the pool's first chunk, malloc's tcache
  for (auto _ : state) {
    void* block = Blocks::allocate();
    benchmark::DoNotOptimize(block);
    Blocks::free(block);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_alloc_free<pool_blocks>)->Name("alloc_free_64/pool");
BENCHMARK(BM_alloc_free<malloc_blocks>)->Name("alloc_free_64/malloc");

template <class Blocks>
void BM_alloc_free_batch(benchmark::State& state) {
  std::vector<void*> blocks(batch_blocks);
  for (auto _ : state) {
    for (void*& block : blocks) {
      block = Blocks::allocate();
      benchmark::DoNotOptimize(block);
    }
    for (void* block : blocks) Blocks::free(block);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch_blocks));
}
BENCHMARK(BM_alloc_free_batch<pool_blocks>)->Name("alloc_free_64_batch256/pool");
BENCHMARK(BM_alloc_free_batch<malloc_blocks>)->Name("alloc_free_64_batch256/malloc");

// (c) Cross-shard: shard 0 allocates a batch of 1024 blocks, shard 1 frees them all (one
// submit_to per batch), and the next batch on shard 0 reuses what came back. The pool returns
// each block to its owner (a lock-free push onto the owner's remote list, taken back in bulk
// when a free list runs dry); glibc puts it in shard 1's tcache or back in the owning arena.
// The engines busy-poll so that the figure is the memory's cost, not the wake-ups': the
// submit_to round trip, spread over the batch, is well under a nanosecond per block.
constexpr std::size_t cross_batch = 1024;

template <class Blocks>
struct free_all {
  std::vector<void*>* blocks;
  void operator()() const {
    for (void* block : *blocks) Blocks::free(block);
  }
};

template <class Blocks>
task<void> cross_shard_frees(benchmark::State& state) {
  std::vector<void*> blocks(cross_batch);
  const free_all<Blocks> release{&blocks};
  for (int round = 0; round < 10; ++round) {
    for (void*& block : blocks) block = Blocks::allocate();
    co_await percore::submit_to(1, release);
  }
  for (auto _ : state) {
    for (void*& block : blocks) {
      block = Blocks::allocate();
      benchmark::DoNotOptimize(block);
    }
    co_await percore::submit_to(1, release);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * cross_batch));
}
template <class Blocks>
void BM_cross_shard_free(benchmark::State& state) {
  on_two_shards(state, true, cross_shard_frees<Blocks>);
}
BENCHMARK(BM_cross_shard_free<pool_blocks>)->Name("alloc_64_free_on_other_shard/pool")
    ->Iterations(5'000)->UseRealTime();
BENCHMARK(BM_cross_shard_free<malloc_blocks>)->Name("alloc_64_free_on_other_shard/malloc")
    ->Iterations(5'000)->UseRealTime();

// ---------------------------------------------------------------------------------------------
// (d) Idle: a 2-shard launch (default configuration: the engines sleep when idle) whose main
// sleeps 5 s. The process's CPU time over those 5 s (user + system, every thread), from
// getrusage and from /proc/self/stat, in % of one core.
double rusage_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& value) { return value.tv_sec + value.tv_usec * 1e-6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double proc_stat_seconds() {
  std::FILE* stat = std::fopen("/proc/self/stat", "r");
  if (stat == nullptr) return 0;
  char line[1024];
  const bool read = std::fgets(line, sizeof line, stat) != nullptr;
  std::fclose(stat);
  if (!read) return 0;
  // Fields 14 and 15 (utime, stime) in clock ticks, counted after the ")" that ends the name.
  const char* rest = std::strrchr(line, ')');
  unsigned long utime = 0, stime = 0;
  if (rest == nullptr ||
      std::sscanf(rest + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime,
                  &stime) != 2) {
    return 0;
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

constexpr auto idle_period = 5s;

task<void> idle_for_a_while(benchmark::State& state) {
  for (auto _ : state) {
    const double rusage_before = rusage_seconds(), stat_before = proc_stat_seconds();
    const sample_clock::time_point start = sample_clock::now();
    (void)co_await percore::sleep_for(idle_period);
    const double wall = std::chrono::duration<double>(sample_clock::now() - start).count();
    state.SetIterationTime(wall);
    state.counters["cpu_percent"] = 100 * (rusage_seconds() - rusage_before) / wall;
    state.counters["proc_stat_cpu_percent"] = 100 * (proc_stat_seconds() - stat_before) / wall;
  }
}
void BM_idle(benchmark::State& state) { on_two_shards(state, false, idle_for_a_while); }
BENCHMARK(BM_idle)->Name("shard_idle_cpu")->Iterations(1)->UseManualTime()
    ->Unit(benchmark::kSecond);

}  // namespace
