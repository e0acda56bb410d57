// load_report: what percore-load prints: the final table or its --json form, and the progress
// line it writes once a second when stdout is a terminal.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "latency_histogram.hh"
#include "load_options.hh"

namespace percore::load {

// The figures of a histogram the report shows.
struct latency_summary {
  std::chrono::nanoseconds min{};
  std::chrono::duration<double, std::nano> mean{};
  std::chrono::nanoseconds p50{};
  std::chrono::nanoseconds p90{};
  std::chrono::nanoseconds p99{};
  std::chrono::nanoseconds p99_9{};
  std::chrono::nanoseconds max{};
};

latency_summary summarize(const latency_histogram& latencies) noexcept;

// Failures by kind, as wrk counts its socket errors.
struct error_counts {
  // A connect that was refused, failed or took longer than --timeout.
  std::uint64_t connect = 0;
  // A read or a write that failed (reset, broken pipe) or a peer that closed mid-answer.
  std::uint64_t transfer = 0;
  // An answer that took longer than --timeout.
  std::uint64_t timeout = 0;
  // An answer that came but was wrong: echoed bytes that differ, a non-2xx status, bad HTTP.
  std::uint64_t answer = 0;

  std::uint64_t total() const noexcept { return connect + transfer + timeout + answer; }
  error_counts& operator+=(const error_counts& other) noexcept;
};

// The outcome of a run: its settings and what was measured in the window after the warm-up.
struct load_result {
  load_options options;
  std::size_t shards = 1;
  // The window measured: --duration, or less when the run was interrupted.
  std::chrono::nanoseconds elapsed{};
  // Answers received in the window, and connections or requests that failed in it.
  std::uint64_t requests = 0;
  error_counts errors;
  latency_summary latency;

  double requests_per_second() const noexcept;
};

// A human-readable table: target, load, requests and errors (by kind when there are any),
// throughput and mean/p50/p90/p99/p99.9/max.
std::string format_table(const load_result& result);

// One JSON object on one line, latencies in nanoseconds:
// {"target":..., "protocol":"echo"|"http", "mode":"closed"|"open", "rate":R|null,
//  "connections":N, "shards":S, "message_size":B|null, "warmup_seconds":W,
//  "duration_seconds":D, "requests":N, "errors":E,
//  "error_kinds":{"connect":..,"transfer":..,"timeout":..,"answer":..}, "requests_per_second":X,
//  "latency_ns":{"min":..,"mean":..,"p50":..,"p90":..,"p99":..,"p99_9":..,"max":..}}
std::string format_json(const load_result& result);

// What has happened since the last progress line.
struct progress_sample {
  std::chrono::nanoseconds since_start{};
  std::chrono::nanoseconds interval{};
  std::uint64_t requests_in_interval = 0;
  std::uint64_t requests_total = 0;
  std::uint64_t errors_total = 0;
  bool warming_up = false;
};

// "  3.0 s   102345 requests/s   total 307035   errors 0", with "(warm-up)" in the warm-up.
std::string format_progress(const progress_sample& sample);

// Progress lines go to stdout only when it is a terminal and --json was not given, so that
// piped or machine-read output holds the result alone.
bool progress_wanted(const load_options& options) noexcept;

// "850 ns", "12.34 us", "1.02 ms", "2.50 s": the unit that keeps the number below 1000.
std::string format_latency(std::chrono::duration<double, std::nano> latency);

}  // namespace percore::load
