// shard_measurements: what one shard measures: a latency for every answer that arrives inside
// the measured window, errors by kind, and running totals for the progress line.
#pragma once

#include <chrono>
#include <cstdint>

#include "latency_histogram.hh"
#include "load_report.hh"

namespace percore::load {

enum class error_kind { connect, transfer, timeout, answer };

class shard_measurements {
 public:
  using clock = std::chrono::steady_clock;

  // Nothing is recorded until open_window(): answers and errors before it only count towards
  // the running totals.
  shard_measurements() = default;

  // Samples count when they happen in [begin, end). Times rather than phases, so that every
  // shard cuts its window at the same instants without telling the others.
  void open_window(clock::time_point begin, clock::time_point end) noexcept {
    window_begin_ = begin;
    window_end_ = end;
  }
  // Ends the window at `end` if that is earlier (the run was interrupted).
  void close_window(clock::time_point end) noexcept;

  // An answer to a request whose latency counts from `start`, complete at `now`.
  void record_answer(clock::time_point start, clock::time_point now) noexcept {
    ++answered_total_;
    if (now >= window_begin_ && now < window_end_) {
      latencies_.record(now - start);
      ++requests_;
    }
  }
  void record_error(error_kind kind, clock::time_point now) noexcept;

  // Since the start, warm-up included.
  std::uint64_t answered_total() const noexcept { return answered_total_; }
  std::uint64_t errors_total() const noexcept { return errors_total_; }

  // Inside the window.
  const latency_histogram& latencies() const noexcept { return latencies_; }
  std::uint64_t requests() const noexcept { return requests_; }
  const error_counts& errors() const noexcept { return errors_; }

 private:
  latency_histogram latencies_;
  std::uint64_t requests_ = 0;
  error_counts errors_;
  std::uint64_t answered_total_ = 0;
  std::uint64_t errors_total_ = 0;
  clock::time_point window_begin_ = clock::time_point::max();
  clock::time_point window_end_ = clock::time_point::max();
};

}  // namespace percore::load
