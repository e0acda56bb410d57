// request_pacing: when a connection sends its next request: as soon as the previous answer is
// in (closed loop), or when open_loop_schedule says it is due (open loop, --rate).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "load_options.hh"
#include "open_loop_schedule.hh"

namespace percore::load {

class request_pacing {
 public:
  using clock = std::chrono::steady_clock;

  // Closed loop until set up with the run's options and its start.
  request_pacing() = default;
  // Open loop when options.rate is set, counted from `start`; closed loop otherwise.
  request_pacing(const load_options& options, clock::time_point start) : start_(start) {
    if (options.rate) schedule_.emplace(*options.rate, options.connections);
  }

  bool open_loop() const noexcept { return schedule_.has_value(); }

  // When request `request` (from 0) of connection `connection` (numbered over all shards) is
  // due, given that the connection is free since `ready`. Latency counts from this time: in an
  // open loop a due time already past means the request waited behind a slow answer, and that
  // wait is part of its latency (the coordinated-omission correction).
  clock::time_point due(std::size_t connection, std::uint64_t request,
                        clock::time_point ready) const noexcept {
    if (!schedule_) return ready;
    return start_ +
           std::chrono::duration_cast<clock::duration>(schedule_->due(connection, request));
  }

 private:
  std::optional<open_loop_schedule> schedule_;
  clock::time_point start_{};
};

}  // namespace percore::load
