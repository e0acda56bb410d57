// parked_memory [N] [own|shared]: bytes of RSS per task parked on a percore::event that never
// fires, measured as bench/peers/src/bin/parked_memory.rs measures the Rust runtimes.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <percore/percore.hh>

namespace {

using namespace std::chrono_literals;

// Tasks that have reached their wait (counted just before suspending, as the peers do).
std::uint64_t parked = 0;

// `own`: the task waits on an event in its own frame, the counterpart of the peers' default
// (a oneshot channel per task, whose 80 B allocation they count).
percore::task<void> wait_on_own_event() {
  percore::event never;
  ++parked;
  (void)co_await never.wait();
}

// `shared`: every task waits on one event; waiters are linked through the tasks themselves, so
// this is the bare cost of a suspended task, the counterpart of the peers' `pending`. The event
// outlives the engine, which still holds the parked tasks when the measurement returns.
percore::event shared_event;
percore::task<void> wait_on_shared_event() {
  ++parked;
  (void)co_await shared_event.wait();
}

std::uint64_t rss_bytes() {
  std::FILE* statm = std::fopen("/proc/self/statm", "r");
  unsigned long size = 0, resident = 0;
  if (statm == nullptr || std::fscanf(statm, "%lu %lu", &size, &resident) != 2) std::abort();
  std::fclose(statm);
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

percore::task<double> measure(std::uint64_t n, bool own) {
  auto spawn_detached = [own] {
    percore::spawn(own ? wait_on_own_event() : wait_on_shared_event()).detach();
  };
  // Warm up as the peers do: one task and a short sleep, so the engine, its timer and the
  // first frame-pool pages exist before the baseline.
  spawn_detached();
  (void)co_await percore::sleep_for(10ms);
  const std::uint64_t before = rss_bytes();
  const std::uint64_t already = parked;
  for (std::uint64_t i = 0; i < n; ++i) spawn_detached();
  while (parked < already + n) (void)co_await percore::sleep_for(10ms);
  (void)co_await percore::sleep_for(100ms);
  const std::uint64_t after = rss_bytes();
  co_return (static_cast<double>(after) - static_cast<double>(before)) / static_cast<double>(n);
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t n = 1'000'000;
  bool own = true;
  bool usage = argc > 3;
  if (!usage && argc >= 2 && (n = std::strtoull(argv[1], nullptr, 10)) == 0) usage = true;
  if (!usage && argc == 3) {
    own = std::strcmp(argv[2], "own") == 0;
    usage = !own && std::strcmp(argv[2], "shared") != 0;
  }
  if (usage) {
    std::fprintf(stderr, "usage: %s [N] [own|shared]\n", argv[0]);
    return 2;
  }
  percore::engine shard;
  const double bytes = shard.run([n, own] { return measure(n, own); });
  std::printf("%.1f\n", bytes);
  return 0;
}
