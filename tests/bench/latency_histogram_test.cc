// latency_histogram tests: percentiles against the exact nearest-rank percentiles of known
// inputs, bucket boundaries, merging, and the coordinated-omission correction.
#include "bench/load/latency_histogram.hh"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

namespace percore::load {
namespace {

using std::chrono::nanoseconds;
using namespace std::chrono_literals;

// Percentiles in thousandths of a percent, so that the exact rank is integer arithmetic.
constexpr std::int64_t checked_percentiles[] = {0,     100,   1000,  10000, 25000, 50000,
                                                75000, 90000, 99000, 99900, 99990, 100000};

// The nearest-rank percentile: the smallest recorded value that at least `thousandths`/1000
// percent of the values do not exceed.
std::int64_t exact_percentile(std::vector<std::int64_t> values, std::int64_t thousandths) {
  std::sort(values.begin(), values.end());
  const auto size = static_cast<std::int64_t>(values.size());
  const std::int64_t rank = std::max<std::int64_t>(1, (thousandths * size + 99999) / 100000);
  return values[static_cast<std::size_t>(rank - 1)];
}

latency_histogram histogram_of(const std::vector<std::int64_t>& values) {
  latency_histogram histogram;
  for (const std::int64_t value : values) histogram.record(nanoseconds(value));
  return histogram;
}

// Every checked percentile is the exact one read back as the top of its bucket: never below it,
// at most 1/1024 above it (3 significant digits), and never above the largest value.
void expect_exact_within_precision(const std::vector<std::int64_t>& values) {
  const latency_histogram histogram = histogram_of(values);
  const std::int64_t largest = *std::max_element(values.begin(), values.end());
  for (const std::int64_t thousandths : checked_percentiles) {
    const std::int64_t exact = exact_percentile(values, thousandths);
    const std::int64_t reported =
        histogram.value_at_percentile(static_cast<double>(thousandths) / 1000).count();
    SCOPED_TRACE("percentile " + std::to_string(static_cast<double>(thousandths) / 1000));
    EXPECT_GE(reported, exact);
    EXPECT_LE(reported, exact + exact / 1024);
    EXPECT_EQ(reported,
              std::min(latency_histogram::highest_equivalent(nanoseconds(exact)).count(), largest));
  }
}

TEST(latency_histogram, empty_reads_zero) {
  const latency_histogram histogram;
  EXPECT_EQ(histogram.count(), 0u);
  EXPECT_EQ(histogram.min(), 0ns);
  EXPECT_EQ(histogram.max(), 0ns);
  EXPECT_EQ(histogram.mean().count(), 0.0);
  EXPECT_EQ(histogram.value_at_percentile(99), 0ns);
}

TEST(latency_histogram, values_below_2048_ns_are_exact) {
  std::vector<std::int64_t> values(2047);
  std::iota(values.begin(), values.end(), 1);
  const latency_histogram histogram = histogram_of(values);
  for (const std::int64_t thousandths : checked_percentiles) {
    EXPECT_EQ(histogram.value_at_percentile(static_cast<double>(thousandths) / 1000).count(),
              exact_percentile(values, thousandths));
  }
}

TEST(latency_histogram, uniform_input_gives_the_exact_percentiles_within_three_digits) {
  std::vector<std::int64_t> values(1'000'000);
  std::iota(values.begin(), values.end(), 1);
  expect_exact_within_precision(values);
  const latency_histogram histogram = histogram_of(values);
  EXPECT_EQ(histogram.count(), 1'000'000u);
  EXPECT_EQ(histogram.min(), 1ns);
  EXPECT_EQ(histogram.max(), 1'000'000ns);
  EXPECT_DOUBLE_EQ(histogram.mean().count(), 500'000.5);
}

TEST(latency_histogram, bimodal_input_gives_each_mode_its_percentiles) {
  // 90% fast answers around 1 ms, 10% slow ones around 50 ms.
  std::vector<std::int64_t> values;
  for (std::int64_t k = 0; k < 9000; ++k) values.push_back(1'000'000 + k);
  for (std::int64_t k = 0; k < 1000; ++k) values.push_back(50'000'000 + 100 * k);
  expect_exact_within_precision(values);
  const latency_histogram histogram = histogram_of(values);
  // The 9000th value is the last fast one, the 9001st the first slow one.
  EXPECT_LT(histogram.value_at_percentile(90), 1'010'000ns);
  EXPECT_GE(histogram.value_at_percentile(90.01), 50'000'000ns);
  EXPECT_EQ(histogram.max(), 50'099'900ns);
}

TEST(latency_histogram, random_wide_input_gives_the_exact_percentiles_within_three_digits) {
  std::mt19937_64 generator(42);
  std::lognormal_distribution<double> spread(std::log(200'000.0), 2.0);
  std::vector<std::int64_t> values(200'000);
  for (auto& value : values) value = std::max<std::int64_t>(1, std::llround(spread(generator)));
  expect_exact_within_precision(values);
}

TEST(latency_histogram, min_max_and_mean_are_exact) {
  const std::vector<std::int64_t> values = {7'777, 123'456'789, 42, 3'000'000'001};
  const latency_histogram histogram = histogram_of(values);
  EXPECT_EQ(histogram.min(), 42ns);
  EXPECT_EQ(histogram.max(), 3'000'000'001ns);
  EXPECT_DOUBLE_EQ(histogram.mean().count(), (7'777.0 + 123'456'789 + 42 + 3'000'000'001) / 4);
  EXPECT_EQ(histogram.value_at_percentile(100), 3'000'000'001ns);
}

TEST(latency_histogram, buckets_hold_one_value_each_below_2048_ns) {
  for (std::int64_t value : {0, 1, 2, 1023, 1024, 2047}) {
    EXPECT_EQ(latency_histogram::lowest_equivalent(nanoseconds(value)).count(), value);
    EXPECT_EQ(latency_histogram::highest_equivalent(nanoseconds(value)).count(), value);
  }
}

TEST(latency_histogram, buckets_start_at_each_power_of_two_and_double_in_width) {
  for (int power = 11; power <= 41; ++power) {
    const std::int64_t start = std::int64_t{1} << power;
    const std::int64_t width = std::int64_t{1} << (power - 10);
    SCOPED_TRACE("2^" + std::to_string(power));
    EXPECT_EQ(latency_histogram::lowest_equivalent(nanoseconds(start)).count(), start);
    EXPECT_EQ(latency_histogram::highest_equivalent(nanoseconds(start)).count(), start + width - 1);
    EXPECT_EQ(latency_histogram::lowest_equivalent(nanoseconds(start + width)).count(),
              start + width);
    // The value just below the power of two closes the previous, half as wide, bucket.
    EXPECT_EQ(latency_histogram::highest_equivalent(nanoseconds(start - 1)).count(), start - 1);
    EXPECT_EQ(latency_histogram::lowest_equivalent(nanoseconds(start - 1)).count(),
              start - width / 2);
  }
}

TEST(latency_histogram, range_ends_are_kept_and_values_beyond_them_are_clamped) {
  EXPECT_GE(latency_histogram::highest_trackable, std::chrono::nanoseconds(1h));
  EXPECT_EQ(latency_histogram::highest_equivalent(latency_histogram::highest_trackable),
            latency_histogram::highest_trackable);

  latency_histogram histogram;
  histogram.record(0ns);
  histogram.record(-5ns);
  EXPECT_EQ(histogram.min(), 0ns);
  EXPECT_EQ(histogram.value_at_percentile(100), 0ns);

  histogram.record(1h);
  EXPECT_EQ(histogram.max(), std::chrono::nanoseconds(1h));
  EXPECT_EQ(histogram.value_at_percentile(100), std::chrono::nanoseconds(1h));
  histogram.record(latency_histogram::highest_trackable);
  EXPECT_EQ(histogram.value_at_percentile(100), latency_histogram::highest_trackable);
  histogram.record(3h);
  EXPECT_EQ(histogram.max(), latency_histogram::highest_trackable);
  EXPECT_EQ(histogram.count(), 5u);
  EXPECT_EQ(histogram.value_at_percentile(40), 0ns);
  EXPECT_EQ(histogram.value_at_percentile(60), latency_histogram::highest_equivalent(1h));
}

TEST(latency_histogram, merged_shards_equal_one_histogram_of_everything) {
  std::mt19937_64 generator(7);
  std::lognormal_distribution<double> spread(std::log(50'000.0), 1.5);
  latency_histogram everything;
  latency_histogram shards[3];
  for (int sample = 0; sample < 300'000; ++sample) {
    const nanoseconds value(std::llround(spread(generator)));
    everything.record(value);
    shards[sample % 3].record(value);
  }
  latency_histogram merged;
  merged.merge(latency_histogram());
  for (const auto& shard : shards) merged.merge(shard);
  EXPECT_EQ(merged.count(), everything.count());
  EXPECT_EQ(merged.min(), everything.min());
  EXPECT_EQ(merged.max(), everything.max());
  EXPECT_DOUBLE_EQ(merged.mean().count(), everything.mean().count());
  for (int tenths = 0; tenths <= 1000; ++tenths) {
    EXPECT_EQ(merged.value_at_percentile(tenths / 10.0), everything.value_at_percentile(tenths / 10.0))
        << tenths / 10.0;
  }
}

TEST(latency_histogram, reset_forgets_everything) {
  latency_histogram histogram;
  histogram.record(5ms);
  histogram.record_corrected(1s, 1ms);
  histogram.reset();
  EXPECT_EQ(histogram.count(), 0u);
  EXPECT_EQ(histogram.max(), 0ns);
  EXPECT_EQ(histogram.value_at_percentile(50), 0ns);
  histogram.record(3us);
  EXPECT_EQ(histogram.min(), 3us);
  EXPECT_EQ(histogram.max(), 3us);
  EXPECT_EQ(histogram.count(), 1u);
}

// HdrHistogram's own check: 10,000 samples of 1,000 and one of 100,000,000, taken every 10,000.
TEST(latency_histogram, corrected_recording_fills_in_the_samples_a_stall_omitted) {
  latency_histogram raw;
  latency_histogram corrected;
  for (int sample = 0; sample < 10'000; ++sample) {
    raw.record(1'000ns);
    corrected.record_corrected(1'000ns, 10'000ns);
  }
  raw.record(100'000'000ns);
  corrected.record_corrected(100'000'000ns, 10'000ns);

  EXPECT_EQ(raw.count(), 10'001u);
  EXPECT_EQ(raw.value_at_percentile(99.99), 1'000ns);
  // The stall of 100 ms stood for 9,999 samples of 99.99 ms, 99.98 ms, ... 10 us.
  EXPECT_EQ(corrected.count(), 20'000u);
  auto near = [](nanoseconds reported, double expected) {
    EXPECT_NEAR(static_cast<double>(reported.count()), expected, expected / 1000);
  };
  near(corrected.value_at_percentile(30), 1'000);
  near(corrected.value_at_percentile(50), 1'000);
  near(corrected.value_at_percentile(75), 50'000'000);
  near(corrected.value_at_percentile(90), 80'000'000);
  near(corrected.value_at_percentile(99), 98'000'000);
  near(corrected.value_at_percentile(99.999), 100'000'000);
  EXPECT_EQ(corrected.min(), 1'000ns);
  EXPECT_EQ(corrected.max(), 100'000'000ns);
}

TEST(latency_histogram, corrected_recording_adds_only_whole_missed_intervals) {
  auto count_after = [](nanoseconds latency, nanoseconds interval) {
    latency_histogram histogram;
    histogram.record_corrected(latency, interval);
    return histogram.count();
  };
  EXPECT_EQ(count_after(5ms, 10ms), 1u);
  EXPECT_EQ(count_after(10ms, 10ms), 1u);
  EXPECT_EQ(count_after(20ms, 10ms), 2u);
  EXPECT_EQ(count_after(29ms, 10ms), 2u);
  EXPECT_EQ(count_after(30ms, 10ms), 3u);
  EXPECT_EQ(count_after(30ms, 0ms), 1u);
  EXPECT_EQ(count_after(30ms, -1ms), 1u);
}

// The correction adds a bucket at a time; it must match adding each missing sample in turn.
TEST(latency_histogram, corrected_recording_matches_recording_each_missing_sample) {
  const std::pair<std::int64_t, std::int64_t> cases[] = {
      {100'000'000, 10'000}, {123'456'789, 3'333}, {5'000'000, 1}, {2'049, 2},
      {1'000'000'007, 999'999}, {4'096, 1'000}, {77'777, 77}};
  for (const auto& [latency, interval] : cases) {
    SCOPED_TRACE(std::to_string(latency) + " every " + std::to_string(interval));
    latency_histogram corrected;
    corrected.record_corrected(nanoseconds(latency), nanoseconds(interval));
    latency_histogram one_by_one;
    one_by_one.record(nanoseconds(latency));
    for (std::int64_t missing = latency - interval; missing >= interval; missing -= interval) {
      one_by_one.record(nanoseconds(missing));
    }
    EXPECT_EQ(corrected.count(), one_by_one.count());
    EXPECT_EQ(corrected.min(), one_by_one.min());
    EXPECT_EQ(corrected.max(), one_by_one.max());
    EXPECT_NEAR(corrected.mean().count(), one_by_one.mean().count(),
                one_by_one.mean().count() * 1e-12);
    for (int tenths = 0; tenths <= 1000; ++tenths) {
      EXPECT_EQ(corrected.value_at_percentile(tenths / 10.0),
                one_by_one.value_at_percentile(tenths / 10.0))
          << tenths / 10.0;
    }
  }
}

TEST(latency_histogram, an_hour_long_stall_at_one_nanosecond_intervals_is_recorded_at_once) {
  const auto start = std::chrono::steady_clock::now();
  latency_histogram histogram;
  histogram.record_corrected(1h, 1ns);
  const auto spent = std::chrono::steady_clock::now() - start;
  const double samples = std::chrono::nanoseconds(1h).count();
  EXPECT_EQ(histogram.count(), static_cast<std::uint64_t>(samples));
  EXPECT_EQ(histogram.min(), 1ns);
  EXPECT_NEAR(histogram.mean().count(), (samples + 1) / 2, samples * 1e-9);
  EXPECT_NEAR(static_cast<double>(histogram.value_at_percentile(50).count()), samples / 2,
              samples / 2 / 1000);
  EXPECT_LT(spent, 1s);
}

}  // namespace
}  // namespace percore::load
