// load_options: percore-load's command line, split into its own options and the standard shard
// flags, which go on to percore::run unchanged.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "target_url.hh"

namespace percore::load {

struct load_options {
  target_url target;
  // Connections over all shards.
  std::size_t connections = 100;
  // The measured window, after the warm-up.
  std::chrono::nanoseconds duration = std::chrono::seconds(10);
  // Requests per second over all connections (open loop); none: each connection sends its
  // next request as soon as the previous answer is in (closed loop).
  std::optional<double> rate;
  // Bytes per echo message; tcp:// targets only.
  std::size_t message_size = 64;
  bool json = false;
  // Traffic before the measured window, not recorded, so that connections, caches and the
  // server's pools are warm.
  std::chrono::nanoseconds warmup = std::chrono::seconds(0);
  // A connect or an answer that takes longer is an error, and the connection is opened again:
  // a server that stops answering shows up as timeouts instead of a silent drop in throughput.
  std::chrono::nanoseconds timeout = std::chrono::seconds(2);
};

struct load_command_line {
  load_options options;
  // argv[0] followed by the standard shard flags (--smp, --cpus, ...) and their values, in
  // their order, pointing into argv: pass size() and data() to percore::run.
  std::vector<char*> shard_arguments;
  // --help or -h was given: print usage() and exit 0.
  bool help = false;
};

// Splits argv with percore::split_launch_flags: the standard shard flags are kept for
// percore::run, which parses and checks them; percore-load's options and the target URL (the
// only positional argument) are parsed here. Throws std::invalid_argument with one line naming
// the bad argument.
load_command_line parse_load_command_line(int argc, char** argv);

// The help text: usage line, percore-load's options and the shard flags it passes on.
std::string_view usage() noexcept;

}  // namespace percore::load
