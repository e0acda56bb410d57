// cross_thread_floor: the raw costs the cross-shard targets are ratios of, between two threads
// pinned to two CPUs: SPSC busy-poll, eventfd and futex ping-pong, batched one-way throughput.
#include <benchmark/benchmark.h>

#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <percore/shards/spsc_ring.hh>

namespace {

using percore::spsc_ring;
using sample_clock = std::chrono::steady_clock;

constexpr std::uint64_t stop_message = std::numeric_limits<std::uint64_t>::max();

// The first two CPUs of the process's affinity mask: one for each side.
std::optional<std::pair<int, int>> two_cpus() {
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return std::nullopt;
  std::vector<int> cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE && cpus.size() < 2; ++cpu) {
    if (CPU_ISSET(cpu, &allowed)) cpus.push_back(cpu);
  }
  if (cpus.size() < 2) return std::nullopt;
  return std::pair{cpus[0], cpus[1]};
}

void pin_this_thread(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (int error = pthread_setaffinity_np(pthread_self(), sizeof set, &set)) {
    throw std::system_error(error, std::system_category(), "pthread_setaffinity_np");
  }
}

// Pins the benchmark's own thread for one run and restores its mask after, so that each
// benchmark starts from the same placement.
class pinned_here {
 public:
  explicit pinned_here(int cpu) {
    pthread_getaffinity_np(pthread_self(), sizeof saved_, &saved_);
    pin_this_thread(cpu);
  }
  ~pinned_here() { pthread_setaffinity_np(pthread_self(), sizeof saved_, &saved_); }
  pinned_here(const pinned_here&) = delete;
  pinned_here& operator=(const pinned_here&) = delete;

 private:
  cpu_set_t saved_;
};

// Lock-free rings poll; the floor is the cost of the line transfers alone.
template <class T>
void push_spinning(spsc_ring<T>& ring, T value) {
  while (!ring.try_push(std::move(value))) {
  }
}

// Each link runs one round trip at a time: round_trip() on the benchmark's thread, serve() on
// the partner's until stop().
struct spsc_link {
  spsc_ring<std::uint64_t> ping{64};
  spsc_ring<std::uint64_t> pong{64};

  void round_trip() {
    push_spinning(ping, std::uint64_t{1});
    while (!pong.try_pop()) {
    }
  }
  void serve() {
    for (;;) {
      std::optional<std::uint64_t> message;
      while (!(message = ping.try_pop())) {
      }
      if (*message == stop_message) return;
      push_spinning(pong, *message);
    }
  }
  void stop() { push_spinning(ping, stop_message); }
};

// The hardware's floor beneath the ring's: one atomic per direction, so one line crosses each
// way where the ring moves two (its write index's, then the slot's). Read a run's ring figure
// against this one: on a virtual machine both move with the host's placement of the vCPUs.
struct cache_line_link {
  alignas(percore::cache_line_size) std::atomic<std::uint64_t> ping{0};
  alignas(percore::cache_line_size) std::atomic<std::uint64_t> pong{0};
  std::uint64_t sent = 0;

  void round_trip() {
    ping.store(++sent, std::memory_order_release);
    while (pong.load(std::memory_order_acquire) != sent) {
    }
  }
  void serve() {
    for (std::uint64_t seen = 0;;) {
      std::uint64_t message;
      while ((message = ping.load(std::memory_order_acquire)) == seen) {
      }
      if (message == stop_message) return;
      pong.store(seen = message, std::memory_order_release);
    }
  }
  void stop() { ping.store(stop_message, std::memory_order_release); }
};

// Both sides block in read() while the other works, as a sleeping shard does on its eventfd.
struct eventfd_link {
  int ping = open_eventfd();
  int pong = open_eventfd();
  std::atomic<bool> stopping{false};

  eventfd_link() = default;
  eventfd_link(const eventfd_link&) = delete;
  eventfd_link& operator=(const eventfd_link&) = delete;
  ~eventfd_link() {
    close(ping);
    close(pong);
  }

  static int open_eventfd() {
    int fd = eventfd(0, EFD_CLOEXEC);
    if (fd < 0) throw std::system_error(errno, std::system_category(), "eventfd");
    return fd;
  }
  static void signal(int fd) {
    const std::uint64_t one = 1;
    if (write(fd, &one, sizeof one) != sizeof one) {
      throw std::system_error(errno, std::system_category(), "eventfd write");
    }
  }
  static void wait(int fd) {
    std::uint64_t count;
    if (read(fd, &count, sizeof count) != sizeof count) {
      throw std::system_error(errno, std::system_category(), "eventfd read");
    }
  }

  void round_trip() {
    signal(ping);
    wait(pong);
  }
  void serve() {
    for (;;) {
      wait(ping);
      if (stopping.load(std::memory_order_acquire)) return;
      signal(pong);
    }
  }
  void stop() {
    stopping.store(true, std::memory_order_release);
    signal(ping);
  }
};

// One word says whose turn it is; the side that waits sleeps in FUTEX_WAIT until woken.
struct futex_link {
  enum : std::uint32_t { benchmark_turn, partner_turn, stopped };
  std::atomic<std::uint32_t> turn{benchmark_turn};
  static_assert(sizeof turn == sizeof(std::uint32_t) && decltype(turn)::is_always_lock_free);

  void hand_over(std::uint32_t next) {
    turn.store(next, std::memory_order_release);
    syscall(SYS_futex, &turn, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
  }
  void wait_while(std::uint32_t current) {
    while (turn.load(std::memory_order_acquire) == current) {
      syscall(SYS_futex, &turn, FUTEX_WAIT_PRIVATE, current, nullptr, nullptr, 0);
    }
  }

  void round_trip() {
    hand_over(partner_turn);
    wait_while(partner_turn);
  }
  void serve() {
    for (;;) {
      wait_while(benchmark_turn);
      if (turn.load(std::memory_order_acquire) == stopped) return;
      hand_over(benchmark_turn);
    }
  }
  void stop() { hand_over(stopped); }
};

// One iteration is one round trip, timed on its own for p50 and p99 (Google Benchmark only
// gives the mean). Each sample is the gap between consecutive clock reads, so it includes one
// read (see BM_clock_read); the engine's round-trip benchmarks time theirs the same way.
template <class Link>
void BM_round_trip(benchmark::State& state) {
  const auto cpus = two_cpus();
  if (!cpus) {
    state.SkipWithError("needs two CPUs in the affinity mask");
    return;
  }
  Link link;
  pinned_here here(cpus->first);
  std::thread partner([&] {
    pin_this_thread(cpus->second);
    link.serve();
  });
  // Wakes the partner and its CPU up before anything is recorded.
  for (int i = 0; i < 1000; ++i) link.round_trip();

  std::vector<std::int64_t> samples(state.max_iterations);  // touched now, not while timing
  std::size_t taken = 0;
  sample_clock::time_point last = sample_clock::now();
  for (auto _ : state) {
    link.round_trip();
    const sample_clock::time_point now = sample_clock::now();
    samples[taken++] = (now - last).count();
    last = now;
  }
  link.stop();
  partner.join();

  samples.resize(taken);
  std::sort(samples.begin(), samples.end());
  state.counters["p50_ns"] = static_cast<double>(samples[taken / 2]);
  state.counters["p99_ns"] = static_cast<double>(samples[taken * 99 / 100]);
}
BENCHMARK(BM_round_trip<spsc_link>)->Name("spsc_busy_poll_round_trip")
    ->Iterations(1'000'000)->UseRealTime()->Unit(benchmark::kNanosecond);
BENCHMARK(BM_round_trip<cache_line_link>)->Name("cache_line_round_trip")
    ->Iterations(1'000'000)->UseRealTime()->Unit(benchmark::kNanosecond);
BENCHMARK(BM_round_trip<eventfd_link>)->Name("eventfd_round_trip")
    ->Iterations(100'000)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_round_trip<futex_link>)->Name("futex_round_trip")
    ->Iterations(100'000)->UseRealTime()->Unit(benchmark::kMicrosecond);

// One iteration pushes one batch of range(0) 8-byte messages into a ring of 1024, which the
// pinned partner drains in batches of the same size. The last ring's worth is drained after the
// clock stops: under 1024 of the tens of millions a run moves.
void BM_one_way(benchmark::State& state) {
  const auto cpus = two_cpus();
  if (!cpus) {
    state.SkipWithError("needs two CPUs in the affinity mask");
    return;
  }
  const auto batch_size = static_cast<std::size_t>(state.range(0));
  spsc_ring<std::uint64_t> ring(1024);
  pinned_here here(cpus->first);
  std::thread consumer([&] {
    pin_this_thread(cpus->second);
    std::uint64_t sum = 0;
    bool stopping = false;
    while (!stopping) {
      ring.pop_batch([&](std::uint64_t&& message) {
        if (message == stop_message) stopping = true;
        sum += message;
      }, batch_size);
    }
    benchmark::DoNotOptimize(sum);
  });

  std::vector<std::uint64_t> batch(batch_size, 1);
  for (auto _ : state) {
    for (std::span<std::uint64_t> rest(batch); !rest.empty();) {
      rest = rest.subspan(ring.try_push_batch(rest));
    }
  }
  push_spinning(ring, stop_message);
  consumer.join();
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_one_way)->Name("spsc_one_way")->ArgName("batch")->Arg(1)->Arg(64)->UseRealTime();

// What each round-trip sample above includes besides the round trip.
void BM_clock_read(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(sample_clock::now());
}
BENCHMARK(BM_clock_read);

}  // namespace

BENCHMARK_MAIN();
