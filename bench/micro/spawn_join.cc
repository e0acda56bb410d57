// spawn_join [iterations]: nanoseconds per spawn + run + join of a trivial task, measured the
// way bench/peers/src/bin/spawn_join.rs measures the Rust runtimes (loop inside one task).
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <percore/percore.hh>

namespace {

constexpr std::uint64_t warmup = 10'000;

// The spawned task: returns its argument, like the peers' `async move { i }`.
percore::task<std::uint64_t> identity(std::uint64_t value) { co_return value; }

// engine::run's main is itself a spawned task, like the peers' default `task` variant.
percore::task<double> measure(std::uint64_t iterations) {
  for (std::uint64_t i = 0; i < warmup; ++i) {
    if (co_await percore::spawn(identity(i)) != i) std::abort();
  }
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t sum = 0;
  for (std::uint64_t i = 0; i < iterations; ++i) sum += co_await percore::spawn(identity(i));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  // Checking the results keeps the joins observable.
  std::uint64_t expected = 0;
  for (std::uint64_t i = 0; i < iterations; ++i) expected += i;
  if (sum != expected) std::abort();
  co_return std::chrono::duration<double, std::nano>(elapsed).count() /
      static_cast<double>(iterations);
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t iterations = 1'000'000;
  if (argc > 2 || (argc == 2 && (iterations = std::strtoull(argv[1], nullptr, 10)) == 0)) {
    std::fprintf(stderr, "usage: %s [iterations]\n", argv[0]);
    return 2;
  }
  percore::engine shard;
  const double ns = shard.run([iterations] { return measure(iterations); });
  std::printf("%.1f\n", ns);
  return 0;
}
