// launch(config, main): starts one pinned shard per chosen CPU, each with its own engine, joins
// them by the mesh, runs main on shard 0, and stops every shard when main ends or stop() is called.
#pragma once

#include <cstdio>
#include <functional>
#include <vector>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include <percore/engine/engine.hh>
#include <percore/engine/task.hh>
#include <percore/shards/placement.hh>
#include <percore/shards/shard_id.hh>

namespace percore {

// A launch refused before any thread started: a bad flag, value or CPU choice.
class configuration_error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

struct launch_config {
  placement_options placement;
  engine_config engine;
  // Messages each ring of the mesh holds (a power of two, 2 .. 1,048,576).
  std::size_t mesh_capacity = 1024;
  // Pin each shard's thread to its CPU. Off only for tests that oversubscribe on purpose.
  bool pin_threads = true;
  // Memory each shard's pool may take from the system, in bytes (0: no cap; else at least
  // 1 MiB). Past it, allocations on that shard throw memory_limit_exceeded.
  std::size_t memory_per_shard = 0;

  // Throws std::invalid_argument naming the bad value and what is accepted.
  void validate() const;
};

namespace detail {
int launch_shards(const launch_config& config, std::function<task<int>()> main);
}

// Runs `main()` (returning task<int> or task<void>) on shard 0 of a new set of shards and
// returns its value (0 for void), or the code given to stop(). Every shard keeps running until
// main returns; then all of them drain and stop, and their threads are joined. SIGINT and SIGTERM
// stop the shards the same way (a second one exits at once). Bad configuration throws before
// any thread starts.
template <class Main>
int launch(const launch_config& config, Main main) {
  return detail::launch_shards(config, [main = std::move(main)]() mutable -> task<int> {
    if constexpr (std::is_void_v<typename std::invoke_result_t<Main&>::value_type>) {
      co_await main();
      co_return 0;
    } else {
      co_return co_await main();
    }
  });
}

// Parses the standard flags from argv into a launch_config, then launch()es. Flags: --smp N,
// --cpus LIST, --no-smt, --oversubscribe, --numa local|interleave|none, --memory SIZE (per
// shard, with K/M/G), --backend NAME, --poll, --time-slice-us N, --ring-entries N,
// --mesh-capacity N. A bad flag prints one line naming it and returns 2.
template <class Main>
int run(int argc, char** argv, Main main);

// Parses the standard flags; throws std::invalid_argument naming a bad one.
launch_config parse_launch_flags(int argc, char** argv);

// argv split for a program with arguments of its own: the standard flags (with their values,
// "--smp 2" or "--smp=2") after argv[0], ready for run(launch.size(), launch.data(), main), and
// everything else, in order, for the program to parse. Pointers into argv.
struct split_arguments {
  std::vector<char*> launch;
  std::vector<char*> own;
};
split_arguments split_launch_flags(int argc, char** argv);

// Asks every shard to stop, from any shard: shard 0's main task is cancelled, and launch
// returns `exit_code` once all shards have drained.
void stop(int exit_code = 0);

template <class Main>
int run(int argc, char** argv, Main main) {
  launch_config config;
  try {
    config = parse_launch_flags(argc, argv);
    config.validate();
  } catch (const std::invalid_argument& error) {
    std::fprintf(stderr, "%s\n", error.what());
    return 2;
  }
  try {
    return launch(config, std::move(main));
  } catch (const configuration_error& error) {  // the CPUs asked for are not there
    std::fprintf(stderr, "%s\n", error.what());
    return 2;
  }
}

}  // namespace percore
