// load_plan tests: the connections are split evenly over the shards, each exactly once, and the
// timeline puts the window after the warm-up.
#include "bench/load/load_plan.hh"

#include <gtest/gtest.h>

#include <vector>

namespace percore::load {
namespace {

using namespace std::chrono_literals;

TEST(load_plan, every_connection_belongs_to_exactly_one_shard_and_shares_differ_by_one_at_most) {
  for (std::size_t connections : {1u, 2u, 7u, 100u, 257u}) {
    for (unsigned shards : {1u, 2u, 3u, 8u}) {
      std::vector<int> owners(connections, 0);
      std::size_t smallest = connections;
      std::size_t largest = 0;
      for (unsigned shard = 0; shard < shards; ++shard) {
        const connection_range range = shard_connections(connections, shards, shard);
        smallest = std::min(smallest, range.count);
        largest = std::max(largest, range.count);
        for (std::size_t number = range.first; number < range.first + range.count; ++number) {
          ASSERT_LT(number, connections);
          ++owners[number];
        }
      }
      for (int owner_count : owners) EXPECT_EQ(owner_count, 1) << connections << " " << shards;
      EXPECT_LE(largest - smallest, 1u) << connections << " " << shards;
    }
  }
  EXPECT_EQ(shard_connections(3, 8, 5).count, 0u);
}

TEST(load_plan, the_window_follows_the_warm_up) {
  load_options options;
  options.warmup = 2s;
  options.duration = 500ms;
  const auto start = load_timeline::clock::time_point(10s);
  const load_timeline timeline = timeline_starting_at(options, start);
  EXPECT_EQ(timeline.start, start);
  EXPECT_EQ(timeline.window_begin, start + 2s);
  EXPECT_EQ(timeline.window_end, start + 2500ms);
}

}  // namespace
}  // namespace percore::load
