// latency_histogram: HdrHistogram-style log-linear histogram of latencies from 1 ns to over an
// hour at 3 significant decimal digits, in fixed memory, recorded per shard and merged at the end.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace percore::load {

// Values are nanoseconds. Each power-of-two range [2^k, 2^(k+1)) above 2048 ns is split into
// 1024 equal sub-buckets, so two values share a bucket only when they differ by less than
// 1/1024 of their size: every figure read back is within 0.1% of a value that was recorded.
// Below 2048 ns every nanosecond has its own bucket. The buckets are allocated once, by the
// constructor; recording, merging and reading never allocate.
class latency_histogram {
 public:
  using duration = std::chrono::nanoseconds;

  static constexpr int significant_digits = 3;
  // The largest value kept as it is (about 73 minutes); larger values are recorded as this one.
  static constexpr duration highest_trackable{(std::int64_t{2048} << 31) - 1};

  latency_histogram();

  // Records one latency. A negative latency (a clock that stepped back) counts as zero.
  void record(duration latency) noexcept;
  // Records `latency` as a sample of a process that meant to take one sample every
  // `expected_interval`, the correction for coordinated omission of HdrHistogram's
  // recordValueWithExpectedInterval: a sample that took k intervals too long stands for the k
  // samples that could not be taken meanwhile, recorded as latency - interval,
  // latency - 2 * interval, ... down to the expected interval. A zero or negative interval
  // records the latency alone.
  void record_corrected(duration latency, duration expected_interval) noexcept;
  // Adds every sample of `other`, as if it had been recorded here.
  void merge(const latency_histogram& other) noexcept;
  // Forgets every sample; keeps the memory.
  void reset() noexcept;

  std::uint64_t count() const noexcept { return total_count_; }
  // Exact smallest and largest recorded latencies (zero when nothing is recorded).
  duration min() const noexcept;
  duration max() const noexcept { return maximum_; }
  // Exact mean of the recorded latencies, in nanoseconds (zero when nothing is recorded).
  std::chrono::duration<double, std::nano> mean() const noexcept;
  // The smallest latency that at least `percentile` percent of the samples do not exceed,
  // reported as the highest value of its bucket and never above max(): p100 is max(). The
  // percentile is clamped to 0..100. Zero when nothing is recorded.
  duration value_at_percentile(double percentile) const noexcept;

  // The range of values sharing `value`'s bucket, each of them read back as the highest.
  static duration lowest_equivalent(duration value) noexcept;
  static duration highest_equivalent(duration value) noexcept;

 private:
  // One count per bucket: 1024 half-buckets for each power of two plus the first 1024 values.
  std::vector<std::uint64_t> counts_;
  std::uint64_t total_count_ = 0;
  // A double adds integers exactly up to 2^53 ns (104 days of summed latency), and beyond that
  // keeps the mean's relative error at 1e-16 where an integer sum would overflow.
  double sum_ = 0;
  duration minimum_ = duration::max();
  duration maximum_ = duration::zero();

  void add(std::uint64_t value, std::uint64_t count) noexcept;
};

}  // namespace percore::load
