// engine_benchmarks: Google Benchmark micro-benchmarks of the engine's hot paths (spawn+join,
// yield, timers, NOP round trips) beside raw liburing, ending with the engine/raw NOP ratios.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <percore/percore.hh>

#if PERCORE_HAVE_IO_URING
#include <liburing.h>
#endif

namespace {

using percore::task;
using namespace std::chrono_literals;

// Each benchmark runs its whole `for (auto _ : state)` loop inside one task of one engine, so
// the timed region holds only the operation and the engine's loop turns, never set-up.
template <class Body>
void run_on(benchmark::State& state, std::optional<percore::io::backend_kind> kind, Body body) {
  try {
    percore::engine shard(percore::engine_config{.backend = kind});
    shard.run([&]() -> task<void> { co_await body(state); });
  } catch (const std::exception& error) {
    state.SkipWithError(error.what());
  }
}

// The default backend (io_uring when the kernel allows it) for what is not about I/O.
constexpr std::nullopt_t default_backend = std::nullopt;

task<std::uint64_t> identity(std::uint64_t value) { co_return value; }

task<void> spawn_join(benchmark::State& state) {
  std::uint64_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(co_await percore::spawn(identity(i)));
    ++i;
  }
}
void BM_spawn_join(benchmark::State& state) { run_on(state, default_backend, spawn_join); }
BENCHMARK(BM_spawn_join);

task<void> yield_until(const bool& stop) {
  while (!stop) co_await percore::yield();
}

// range(0) tasks yield in turn: one iteration is one round in which each of them yields once.
task<void> yield_round(benchmark::State& state) {
  bool stop = false;
  std::vector<percore::join_handle<void>> partners;
  for (std::int64_t i = 1; i < state.range(0); ++i) partners.push_back(percore::spawn(yield_until(stop)));
  for (auto _ : state) co_await percore::yield();
  stop = true;
  for (auto& partner : partners) co_await partner;
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
void BM_yield(benchmark::State& state) { run_on(state, default_backend, yield_round); }
BENCHMARK(BM_yield)->ArgName("tasks")->Arg(1)->Arg(2);

// A timer armed for "now": arm, one loop turn, fire, wake.
task<void> sleep_zero(benchmark::State& state) {
  for (auto _ : state) (void)co_await percore::sleep_for(0ns);
}
void BM_timer_arm_fire(benchmark::State& state) { run_on(state, default_backend, sleep_zero); }
BENCHMARK(BM_timer_arm_fire);

task<void> nop_one_by_one(benchmark::State& state) {
  for (auto _ : state) {
    if (!co_await percore::nop()) state.SkipWithError("nop failed");
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_nop_epoll_engine(benchmark::State& state) {
  run_on(state, percore::io::backend_kind::epoll, nop_one_by_one);
}
BENCHMARK(BM_nop_epoll_engine);

#if PERCORE_HAVE_IO_URING

void BM_nop_uring_engine(benchmark::State& state) {
  run_on(state, percore::io::backend_kind::io_uring, nop_one_by_one);
}
BENCHMARK(BM_nop_uring_engine);

task<void> nop_until(const bool& stop, std::uint64_t& completed) {
  while (!stop) {
    (void)co_await percore::nop();
    ++completed;
  }
}

// range(0) tasks each issue NOPs back to back; the engine submits what they prepared in one
// io_uring_enter per loop turn. The benchmark's own task is one of them.
task<void> nop_batch(benchmark::State& state) {
  bool stop = false;
  std::uint64_t completed = 0;
  std::vector<percore::join_handle<void>> others;
  for (std::int64_t i = 1; i < state.range(0); ++i) {
    others.push_back(percore::spawn(nop_until(stop, completed)));
  }
  for (auto _ : state) {
    (void)co_await percore::nop();
    ++completed;
  }
  // Read before the other tasks run again: only completions inside the timed loop count.
  state.SetItemsProcessed(static_cast<std::int64_t>(completed));
  stop = true;
  for (auto& other : others) co_await other;
}
void BM_nop_batch_uring_engine(benchmark::State& state) {
  run_on(state, percore::io::backend_kind::io_uring, nop_batch);
}
BENCHMARK(BM_nop_batch_uring_engine)->ArgName("tasks")->Arg(32);

// A ring set up as the engine sets up its own (best flags the kernel accepts, registered ring
// fd), so that the comparison measures the engine and not a difference of kernel paths.
class raw_ring {
 public:
  raw_ring() {
    for (unsigned flags : {IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN |
                               IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SINGLE_ISSUER |
                               IORING_SETUP_DEFER_TASKRUN,
                           0u}) {
      io_uring_params params{};
      params.flags = flags | IORING_SETUP_CQSIZE;
      params.cq_entries = 512;
      if ((error_ = io_uring_queue_init_params(256, &ring_, &params)) == 0) break;
    }
    if (error_ == 0) io_uring_register_ring_fd(&ring_);
  }
  ~raw_ring() {
    if (error_ == 0) io_uring_queue_exit(&ring_);
  }
  bool ok() const { return error_ == 0; }
  io_uring* get() { return &ring_; }

 private:
  io_uring ring_{};
  int error_ = -1;
};

// One NOP per io_uring_enter: get an SQE, prepare, submit and wait for 1, mark it seen.
void BM_nop_uring_raw(benchmark::State& state) {
  raw_ring ring;
  if (!ring.ok()) return state.SkipWithError("io_uring_queue_init_params failed");
  for (auto _ : state) {
    io_uring_sqe* sqe = io_uring_get_sqe(ring.get());
    io_uring_prep_nop(sqe);
    io_uring_sqe_set_data64(sqe, 1);
    io_uring_submit_and_wait(ring.get(), 1);
    io_uring_cqe* cqe;
    if (io_uring_peek_cqe(ring.get(), &cqe) != 0 || cqe->res != 0) state.SkipWithError("nop failed");
    io_uring_cqe_seen(ring.get(), cqe);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_nop_uring_raw);

// range(0) NOPs per io_uring_enter, the raw counterpart of BM_nop_batch_uring_engine.
void BM_nop_batch_uring_raw(benchmark::State& state) {
  raw_ring ring;
  if (!ring.ok()) return state.SkipWithError("io_uring_queue_init_params failed");
  const auto batch = static_cast<unsigned>(state.range(0));
  for (auto _ : state) {
    for (unsigned i = 0; i < batch; ++i) {
      io_uring_sqe* sqe = io_uring_get_sqe(ring.get());
      io_uring_prep_nop(sqe);
      io_uring_sqe_set_data64(sqe, i + 1);
    }
    io_uring_submit_and_wait(ring.get(), batch);
    unsigned head;
    unsigned seen = 0;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(ring.get(), head, cqe) {
      benchmark::DoNotOptimize(cqe->res);
      ++seen;
    }
    if (seen != batch) state.SkipWithError("missing completions");
    io_uring_cq_advance(ring.get(), seen);
  }
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_nop_batch_uring_raw)->ArgName("tasks")->Arg(32);

#endif

// The console table, then one line per engine/raw pair: the engine's NOP rate over raw
// liburing's (1.0 = no overhead), which is what the engine is judged by.
class ratio_reporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      auto rate = run.counters.find("items_per_second");
      if (run.error_occurred || rate == run.counters.end()) continue;
      rates_[run.benchmark_name()] = rate->second.value;
    }
    ConsoleReporter::ReportRuns(runs);
  }

  void print_ratios() const {
    compare("BM_nop_uring_engine", "BM_nop_uring_raw");
    compare("BM_nop_batch_uring_engine/tasks:32", "BM_nop_batch_uring_raw/tasks:32");
  }

 private:
  void compare(const std::string& engine, const std::string& raw) const {
    auto ours = rates_.find(engine);
    auto theirs = rates_.find(raw);
    if (ours == rates_.end() || theirs == rates_.end()) return;
    std::printf("NOP rate %s / %s = %.2f (%.2f vs %.2f M/s)\n", engine.c_str(), raw.c_str(),
                ours->second / theirs->second, ours->second / 1e6, theirs->second / 1e6);
  }

  std::map<std::string, double> rates_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  ratio_reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_ratios();
  benchmark::Shutdown();
  return 0;
}
