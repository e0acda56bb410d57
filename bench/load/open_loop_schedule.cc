// open_loop_schedule: the due time of a request from its connection and sequence number, at
// the total rate split evenly and staggered over the connections.
#include "open_loop_schedule.hh"

#include <cmath>
#include <stdexcept>
#include <string>

namespace percore::load {

open_loop_schedule::open_loop_schedule(double requests_per_second, std::size_t connections)
    : requests_per_second_(requests_per_second),
      connections_(connections),
      nanoseconds_per_request_(1e9 / requests_per_second) {
  if (!(requests_per_second > 0 && requests_per_second <= 1e9)) {
    throw std::invalid_argument("percore-load: rate " + std::to_string(requests_per_second) +
                                " is invalid (accepted: more than 0 and at most 1e9)");
  }
  if (connections == 0) {
    throw std::invalid_argument("percore-load: an open-loop schedule needs a connection");
  }
}

std::chrono::nanoseconds open_loop_schedule::due(std::size_t connection,
                                                 std::uint64_t request) const noexcept {
  // In doubles the slot number is exact up to 2^53 and its product rounds to well under a
  // nanosecond for any run shorter than a day.
  const double slot = static_cast<double>(connection) +
                      static_cast<double>(request) * static_cast<double>(connections_);
  return std::chrono::nanoseconds(std::llround(slot * nanoseconds_per_request_));
}

std::chrono::nanoseconds open_loop_schedule::connection_interval() const noexcept {
  return std::chrono::nanoseconds(
      std::llround(static_cast<double>(connections_) * nanoseconds_per_request_));
}

}  // namespace percore::load
