// shard_load: one shard's part of the run, a sharded service: opens the shard's share of the
// connections, starts them with the clock, watches for timeouts, and hands its figures to shard 0.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <system_error>
#include <vector>

#include <percore/engine/spawn.hh>
#include <percore/engine/task.hh>
#include <percore/engine/timer.hh>

#include "latency_histogram.hh"
#include "load_connection.hh"
#include "load_plan.hh"
#include "load_report.hh"
#include "shard_context.hh"

namespace percore::load {

// How the first connect of every connection went; added up over the shards.
struct opening_outcome {
  std::size_t attempted = 0;
  std::size_t failed = 0;
  std::error_code first_failure;
};
opening_outcome operator+(opening_outcome total, const opening_outcome& shard);

// The running totals of the progress line; added up over the shards.
struct progress_counts {
  std::uint64_t answered = 0;
  std::uint64_t errors = 0;
};
progress_counts operator+(progress_counts total, const progress_counts& shard) noexcept;

// What a shard measured in the window; merged over the shards.
struct window_figures {
  latency_histogram latencies;
  std::uint64_t requests = 0;
  error_counts errors;
};
window_figures operator+(window_figures total, const window_figures& shard);

class shard_load {
 public:
  using clock = std::chrono::steady_clock;

  // On its own shard (sharded<shard_load>::start): one connection object per connection of this
  // shard's share, with the protocol's buffers, and the shard's receive buffers.
  explicit shard_load(const load_plan& plan);

  // Connects every connection once and waits until each has tried.
  task<opening_outcome> open();
  // Opens the window, starts the watchdog, and lets the connections go at timeline.start.
  task<void> begin(load_timeline timeline);
  progress_counts progress() const noexcept;
  // Ends the window at `end` if that is earlier than planned, stops every connection and gives
  // the window's figures.
  task<window_figures> finish(clock::time_point end);
  // For sharded::stop: ends whatever still runs (a run that ended before finish()).
  task<void> stop();

 private:
  load_options options_;
  shard_context context_;
  std::vector<std::unique_ptr<driven_connection>> connections_;
  std::vector<join_handle<void>> running_;
  timer watchdog_;
};

}  // namespace percore::load
