// latency_histogram: the bucket arithmetic of HdrHistogram (unit 1 ns, 2048 sub-buckets per
// power of two), recording with and without the coordinated-omission correction, and reading.
#include "latency_histogram.hh"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace percore::load {
namespace {

// 2 * 10^3 rounded up to a power of two: the sub-buckets needed to tell apart values that
// differ in their third significant digit.
constexpr int sub_bucket_magnitude = 11;
constexpr std::uint64_t sub_bucket_count = std::uint64_t{1} << sub_bucket_magnitude;
constexpr int half_magnitude = sub_bucket_magnitude - 1;
constexpr std::uint64_t half_count = sub_bucket_count / 2;
constexpr std::uint64_t highest_value =
    static_cast<std::uint64_t>(latency_histogram::highest_trackable.count());

constexpr int bucket_count_for(std::uint64_t highest) {
  int buckets = 1;
  while ((sub_bucket_count << (buckets - 1)) - 1 < highest) ++buckets;
  return buckets;
}
constexpr int bucket_count = bucket_count_for(highest_value);
// Every bucket but the first uses only its upper half of sub-buckets: its lower half is the
// whole of the previous bucket at twice the resolution.
constexpr std::size_t counts_length = (bucket_count + 1) * half_count;

static_assert(std::chrono::hours(1) <= latency_histogram::highest_trackable,
              "the histogram must hold an hour");

int bucket_of(std::uint64_t value) noexcept {
  return (64 - half_magnitude - 1) - std::countl_zero(value | (sub_bucket_count - 1));
}

std::size_t index_of(std::uint64_t value) noexcept {
  const int bucket = bucket_of(value);
  const std::uint64_t sub_bucket = value >> bucket;
  return ((static_cast<std::size_t>(bucket) + 1) << half_magnitude) + (sub_bucket - half_count);
}

std::uint64_t lowest_value_at(std::size_t index) noexcept {
  int bucket = static_cast<int>(index >> half_magnitude) - 1;
  std::uint64_t sub_bucket = (index & (half_count - 1)) + half_count;
  if (bucket < 0) {
    sub_bucket -= half_count;
    bucket = 0;
  }
  return sub_bucket << bucket;
}

std::uint64_t highest_value_at(std::size_t index) noexcept {
  const std::uint64_t lowest = lowest_value_at(index);
  return lowest + (std::uint64_t{1} << bucket_of(lowest)) - 1;
}

std::uint64_t to_value(latency_histogram::duration latency) noexcept {
  if (latency.count() <= 0) return 0;
  return std::min(static_cast<std::uint64_t>(latency.count()), highest_value);
}

latency_histogram::duration to_duration(std::uint64_t value) noexcept {
  return latency_histogram::duration(static_cast<latency_histogram::duration::rep>(value));
}

}  // namespace

latency_histogram::latency_histogram() : counts_(counts_length, 0) {}

void latency_histogram::add(std::uint64_t value, std::uint64_t count) noexcept {
  counts_[index_of(value)] += count;
  total_count_ += count;
  sum_ += static_cast<double>(value) * static_cast<double>(count);
  minimum_ = std::min(minimum_, to_duration(value));
  maximum_ = std::max(maximum_, to_duration(value));
}

void latency_histogram::record(duration latency) noexcept { add(to_value(latency), 1); }

void latency_histogram::record_corrected(duration latency, duration expected_interval) noexcept {
  const std::uint64_t value = to_value(latency);
  add(value, 1);
  if (expected_interval.count() <= 0) return;
  const auto interval = static_cast<std::uint64_t>(expected_interval.count());
  // The missing samples value - interval, value - 2 * interval, ... >= interval are added a
  // bucket at a time rather than one by one, so that a long stall measured against a short
  // interval costs at most one step per bucket instead of billions of records.
  std::uint64_t missing = value > interval ? value - interval : 0;
  while (missing >= interval) {
    const std::size_t index = index_of(missing);
    const std::uint64_t floor = std::max(lowest_value_at(index), interval);
    const std::uint64_t in_bucket = (missing - floor) / interval + 1;
    const std::uint64_t last = missing - (in_bucket - 1) * interval;
    counts_[index] += in_bucket;
    total_count_ += in_bucket;
    sum_ += (static_cast<double>(missing) + static_cast<double>(last)) / 2 *
            static_cast<double>(in_bucket);
    minimum_ = std::min(minimum_, to_duration(last));
    missing = last - interval;
  }
}

void latency_histogram::merge(const latency_histogram& other) noexcept {
  if (other.total_count_ == 0) return;
  std::transform(counts_.begin(), counts_.end(), other.counts_.begin(), counts_.begin(),
                 [](std::uint64_t mine, std::uint64_t theirs) { return mine + theirs; });
  total_count_ += other.total_count_;
  sum_ += other.sum_;
  minimum_ = std::min(minimum_, other.minimum_);
  maximum_ = std::max(maximum_, other.maximum_);
}

void latency_histogram::reset() noexcept {
  std::fill(counts_.begin(), counts_.end(), 0);
  total_count_ = 0;
  sum_ = 0;
  minimum_ = duration::max();
  maximum_ = duration::zero();
}

latency_histogram::duration latency_histogram::min() const noexcept {
  return total_count_ == 0 ? duration::zero() : minimum_;
}

std::chrono::duration<double, std::nano> latency_histogram::mean() const noexcept {
  if (total_count_ == 0) return std::chrono::duration<double, std::nano>::zero();
  return std::chrono::duration<double, std::nano>(sum_ / static_cast<double>(total_count_));
}

latency_histogram::duration latency_histogram::value_at_percentile(
    double percentile) const noexcept {
  if (total_count_ == 0) return duration::zero();
  const double fraction = std::clamp(percentile, 0.0, 100.0) / 100;
  const double exact_rank = fraction * static_cast<double>(total_count_);
  // 99.9 / 100 * 1000 is 999.0000000000001 in doubles; without the nudge the ceiling would ask
  // for the 1000th sample instead of the 999th.
  const double nudged_rank = exact_rank - exact_rank * 4 * std::numeric_limits<double>::epsilon();
  const auto rank = std::clamp<std::uint64_t>(static_cast<std::uint64_t>(std::ceil(nudged_rank)),
                                              1, total_count_);
  const std::size_t last_index = index_of(static_cast<std::uint64_t>(maximum_.count()));
  std::uint64_t seen = 0;
  for (std::size_t index = 0; index <= last_index; ++index) {
    seen += counts_[index];
    if (seen >= rank) return std::min(to_duration(highest_value_at(index)), maximum_);
  }
  return maximum_;
}

latency_histogram::duration latency_histogram::lowest_equivalent(duration value) noexcept {
  return to_duration(lowest_value_at(index_of(to_value(value))));
}

latency_histogram::duration latency_histogram::highest_equivalent(duration value) noexcept {
  return to_duration(highest_value_at(index_of(to_value(value))));
}

}  // namespace percore::load
