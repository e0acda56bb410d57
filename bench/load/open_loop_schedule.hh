// open_loop_schedule: when each request of each connection is due at a fixed total rate, so
// that latency is measured from the intended send time (coordinated omission corrected, as wrk2).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace percore::load {

// The rate is split evenly over the connections and their starts are staggered: connection c
// sends its request i at (c + i * connections) / rate seconds after the start, so the
// requests of all connections together are due one every 1 / rate seconds. A connection whose
// answer comes late sends its next request at once, and that request's latency still counts
// from when it was due: the time it waited behind the slow answer is part of what a user at
// that rate would have seen, which a closed-loop measurement omits.
class open_loop_schedule {
 public:
  // Throws std::invalid_argument unless 0 < requests_per_second <= 1e9 and connections > 0.
  open_loop_schedule(double requests_per_second, std::size_t connections);

  // When request `request` (counted from 0) of connection `connection` (0 .. connections - 1,
  // numbered over all shards) is due, measured from the start. Computed from the indexes,
  // never accumulated, so a long run does not drift.
  std::chrono::nanoseconds due(std::size_t connection, std::uint64_t request) const noexcept;

  // The time between two requests of one connection.
  std::chrono::nanoseconds connection_interval() const noexcept;

  double requests_per_second() const noexcept { return requests_per_second_; }
  std::size_t connections() const noexcept { return connections_; }

 private:
  double requests_per_second_;
  std::size_t connections_;
  double nanoseconds_per_request_;
};

}  // namespace percore::load
