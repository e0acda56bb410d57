// open_loop_schedule tests: per-connection due times, their even spread over connections, the
// total rate they add up to, and no drift over long runs.
#include "bench/load/open_loop_schedule.hh"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace percore::load {
namespace {

using namespace std::chrono_literals;

TEST(open_loop_schedule, one_connection_sends_at_the_rate) {
  const open_loop_schedule schedule(1000, 1);
  for (std::uint64_t request = 0; request < 100; ++request) {
    EXPECT_EQ(schedule.due(0, request), std::chrono::milliseconds(request));
  }
  EXPECT_EQ(schedule.connection_interval(), 1ms);
}

TEST(open_loop_schedule, connections_are_staggered_and_share_the_rate) {
  const open_loop_schedule schedule(3, 2);
  EXPECT_EQ(schedule.due(0, 0), 0ns);
  EXPECT_EQ(schedule.due(1, 0), 333'333'333ns);
  EXPECT_EQ(schedule.due(0, 1), 666'666'667ns);
  EXPECT_EQ(schedule.due(1, 1), 1s);
  EXPECT_EQ(schedule.connection_interval(), 666'666'667ns);
}

TEST(open_loop_schedule, all_connections_together_are_due_one_request_per_period) {
  const std::size_t connections = 7;
  const double rate = 10'000;
  const open_loop_schedule schedule(rate, connections);
  std::vector<std::chrono::nanoseconds> due;
  for (std::size_t connection = 0; connection < connections; ++connection) {
    for (std::uint64_t request = 0; request < 1000; ++request) {
      due.push_back(schedule.due(connection, request));
    }
  }
  std::sort(due.begin(), due.end());
  for (std::size_t slot = 0; slot < due.size(); ++slot) {
    EXPECT_EQ(due[slot], std::chrono::nanoseconds(slot * 100'000)) << slot;
  }
  const auto in_first_second = std::count_if(due.begin(), due.end(), [](auto time) {
    return time < 1s;
  });
  EXPECT_EQ(in_first_second, 7000);
}

TEST(open_loop_schedule, due_times_do_not_drift_over_a_long_run) {
  // 1/3 us per request cannot be written exactly in nanoseconds; the error must not add up.
  const open_loop_schedule schedule(3'000'000, 1000);
  const std::uint64_t requests_in_an_hour = 3'000'000ULL * 3600 / 1000;
  EXPECT_EQ(schedule.due(0, requests_in_an_hour), 1h);
  EXPECT_EQ(schedule.due(999, requests_in_an_hour - 1),
            std::chrono::nanoseconds(1h) - std::chrono::nanoseconds(333));
}

TEST(open_loop_schedule, refuses_a_rate_or_connection_count_it_cannot_keep) {
  EXPECT_THROW(open_loop_schedule(0, 1), std::invalid_argument);
  EXPECT_THROW(open_loop_schedule(-1, 1), std::invalid_argument);
  EXPECT_THROW(open_loop_schedule(2e9, 1), std::invalid_argument);
  EXPECT_THROW(open_loop_schedule(1000, 0), std::invalid_argument);
  EXPECT_EQ(open_loop_schedule(1000, 10).connections(), 10u);
  EXPECT_EQ(open_loop_schedule(1000, 10).requests_per_second(), 1000.0);
}

}  // namespace
}  // namespace percore::load
