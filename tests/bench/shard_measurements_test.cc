// shard_measurements tests: only what happens inside the window is measured, latencies and
// counts agree, errors are sorted by kind, and an interrupted window ends early.
#include "bench/load/shard_measurements.hh"

#include <gtest/gtest.h>

namespace percore::load {
namespace {

using namespace std::chrono_literals;
using clock = shard_measurements::clock;

const clock::time_point origin = clock::time_point(100s);

TEST(shard_measurements, nothing_counts_before_the_window_opens) {
  shard_measurements measured;
  measured.record_answer(origin, origin + 1ms);
  measured.record_error(error_kind::connect, origin);
  EXPECT_EQ(measured.requests(), 0u);
  EXPECT_EQ(measured.latencies().count(), 0u);
  EXPECT_EQ(measured.errors().total(), 0u);
  EXPECT_EQ(measured.answered_total(), 1u);
  EXPECT_EQ(measured.errors_total(), 1u);
}

TEST(shard_measurements, answers_count_when_they_arrive_inside_the_window) {
  shard_measurements measured;
  measured.open_window(origin + 1s, origin + 2s);
  measured.record_answer(origin, origin + 999ms);       // warm-up
  measured.record_answer(origin + 990ms, origin + 1s);  // sent before, answered inside
  measured.record_answer(origin + 1500ms, origin + 1501ms);
  measured.record_answer(origin + 1999ms, origin + 2s);  // the end is outside
  EXPECT_EQ(measured.requests(), 2u);
  EXPECT_EQ(measured.latencies().count(), measured.requests());
  EXPECT_EQ(measured.latencies().min(), 1ms);
  EXPECT_EQ(measured.latencies().max(), 10ms);
  EXPECT_EQ(measured.answered_total(), 4u);
}

TEST(shard_measurements, errors_are_counted_by_kind) {
  shard_measurements measured;
  measured.open_window(origin, origin + 1s);
  measured.record_error(error_kind::connect, origin);
  measured.record_error(error_kind::transfer, origin + 1ms);
  measured.record_error(error_kind::transfer, origin + 2ms);
  measured.record_error(error_kind::timeout, origin + 3ms);
  measured.record_error(error_kind::answer, origin + 4ms);
  measured.record_error(error_kind::answer, origin + 1s);
  const error_counts& errors = measured.errors();
  EXPECT_EQ(errors.connect, 1u);
  EXPECT_EQ(errors.transfer, 2u);
  EXPECT_EQ(errors.timeout, 1u);
  EXPECT_EQ(errors.answer, 1u);
  EXPECT_EQ(errors.total(), 5u);
  EXPECT_EQ(measured.errors_total(), 6u);
}

TEST(shard_measurements, an_interrupted_window_ends_early_but_never_later) {
  shard_measurements measured;
  measured.open_window(origin, origin + 10s);
  measured.close_window(origin + 3s);
  measured.record_answer(origin + 3s, origin + 3s + 1us);
  EXPECT_EQ(measured.requests(), 0u);
  measured.close_window(origin + 20s);
  measured.record_answer(origin + 4s, origin + 4s + 1us);
  EXPECT_EQ(measured.requests(), 0u);
  measured.record_answer(origin + 2s, origin + 2s + 1us);
  EXPECT_EQ(measured.requests(), 1u);
}

}  // namespace
}  // namespace percore::load
