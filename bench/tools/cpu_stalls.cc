// cpu_stalls: how much time this machine takes away from a running thread: one thread pinned to
// each given CPU spins on the clock, and every gap between two reads longer than a threshold is
// time the thread did not run (the host, an interrupt, another task).
//
// usage: cpu_stalls [--seconds S] [--threshold-us T] CPU...
// Prints per CPU: the gaps over T µs and over 100 µs, their share of the time, and the longest.
#include <pthread.h>
#include <sched.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

struct stalls {
  int cpu = 0;
  long gaps = 0;
  long long gap_ns = 0;
  long long_gaps = 0;  // over 100 µs
  long long long_gap_ns = 0;
  long long longest_ns = 0;
};

[[noreturn]] void usage(const char* problem) {
  std::fprintf(stderr,
               "cpu_stalls: %s\nusage: cpu_stalls [--seconds S] [--threshold-us T] CPU...\n",
               problem);
  std::exit(2);
}

long parse_number(std::string_view text, long lowest, long highest, const char* what) {
  long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < lowest ||
      value > highest) {
    std::fprintf(stderr, "cpu_stalls: %s '%.*s' is invalid (accepted: %ld to %ld)\n", what,
                 static_cast<int>(text.size()), text.data(), lowest, highest);
    std::exit(2);
  }
  return value;
}

void spin(stalls& result, std::chrono::seconds length, std::chrono::nanoseconds threshold) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(result.cpu, &set);
  if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0) {
    std::fprintf(stderr, "cpu_stalls: cannot run on CPU %d\n", result.cpu);
    std::exit(1);
  }
  constexpr long long long_gap = 100'000;
  const clock_type::time_point end = clock_type::now() + length;
  clock_type::time_point last = clock_type::now();
  for (;;) {
    const clock_type::time_point now = clock_type::now();
    const long long gap = (now - last).count();
    if (gap > threshold.count()) {
      ++result.gaps;
      result.gap_ns += gap;
      if (gap > long_gap) {
        ++result.long_gaps;
        result.long_gap_ns += gap;
      }
      if (gap > result.longest_ns) result.longest_ns = gap;
    }
    last = now;
    if (now >= end) break;
  }
}

}  // namespace

int main(int argc, char** argv) {
  long seconds = 10;
  long threshold_us = 20;
  std::vector<stalls> cpus;
  for (int index = 1; index < argc; ++index) {
    const std::string_view word = argv[index];
    if (word == "--seconds" || word == "--threshold-us") {
      if (index + 1 >= argc) usage("a flag needs a value");
      const std::string_view value = argv[++index];
      if (word == "--seconds") {
        seconds = parse_number(value, 1, 3600, "--seconds");
      } else {
        threshold_us = parse_number(value, 1, 1'000'000, "--threshold-us");
      }
    } else {
      cpus.push_back({.cpu = static_cast<int>(parse_number(word, 0, CPU_SETSIZE - 1, "CPU"))});
    }
  }
  if (cpus.empty()) usage("no CPU given");

  std::vector<std::thread> threads;
  for (stalls& cpu : cpus) {
    threads.emplace_back(spin, std::ref(cpu), std::chrono::seconds(seconds),
                         std::chrono::microseconds(threshold_us));
  }
  for (std::thread& thread : threads) thread.join();
  const double total_ns = static_cast<double>(seconds) * 1e9;
  for (const stalls& cpu : cpus) {
    std::printf(
        "cpu %d: %ld s, %ld gaps over %ld us (%.3f%% of the time), %ld over 100 us (%.3f%%), "
        "longest %.2f ms\n",
        cpu.cpu, seconds, cpu.gaps, threshold_us,
        100.0 * static_cast<double>(cpu.gap_ns) / total_ns,
        cpu.long_gaps, 100.0 * static_cast<double>(cpu.long_gap_ns) / total_ns,
        static_cast<double>(cpu.longest_ns) / 1e6);
  }
  return 0;
}
