// load_report: formats a run's result as a table or as JSON, and the once-a-second progress
// line; nothing here runs while requests are in flight except format_progress.
#include "load_report.hh"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>

namespace percore::load {
namespace {

template <class... Arguments>
std::string print(const char* format, Arguments... arguments) {
  std::array<char, 256> buffer{};
  const int length = std::snprintf(buffer.data(), buffer.size(), format, arguments...);
  return std::string(buffer.data(), static_cast<std::size_t>(std::max(length, 0)));
}

unsigned long long count(std::uint64_t value) { return static_cast<unsigned long long>(value); }

double seconds(std::chrono::nanoseconds time) {
  return std::chrono::duration<double>(time).count();
}

// JSON strings: the URL's path may hold quotes and backslashes (never control characters,
// which parse_target_url refuses).
std::string json_string(const std::string& text) {
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

std::string describe_load(const load_result& result) {
  const load_options& options = result.options;
  std::string text = print("%zu connection%s on %zu shard%s", options.connections,
                           options.connections == 1 ? "" : "s", result.shards,
                           result.shards == 1 ? "" : "s");
  if (options.target.protocol == target_protocol::echo) {
    text += print(", %zu-byte messages", options.message_size);
  }
  text += options.rate ? print(", open loop at %.15g requests/s", *options.rate)
                       : std::string(", closed loop");
  text += print(", %.2f s", seconds(result.elapsed));
  if (options.warmup.count() > 0) text += print(" after a %.2f s warm-up", seconds(options.warmup));
  return text;
}

}  // namespace

latency_summary summarize(const latency_histogram& latencies) noexcept {
  return latency_summary{
      .min = latencies.min(),
      .mean = latencies.mean(),
      .p50 = latencies.value_at_percentile(50),
      .p90 = latencies.value_at_percentile(90),
      .p99 = latencies.value_at_percentile(99),
      .p99_9 = latencies.value_at_percentile(99.9),
      .max = latencies.max(),
  };
}

error_counts& error_counts::operator+=(const error_counts& other) noexcept {
  connect += other.connect;
  transfer += other.transfer;
  timeout += other.timeout;
  answer += other.answer;
  return *this;
}

double load_result::requests_per_second() const noexcept {
  if (elapsed.count() <= 0) return 0;
  return static_cast<double>(requests) / seconds(elapsed);
}

std::string format_latency(std::chrono::duration<double, std::nano> latency) {
  const double nanoseconds = latency.count();
  if (nanoseconds < 1e3) return print("%.0f ns", nanoseconds);
  if (nanoseconds < 1e6) return print("%.2f us", nanoseconds / 1e3);
  if (nanoseconds < 1e9) return print("%.2f ms", nanoseconds / 1e6);
  return print("%.2f s", nanoseconds / 1e9);
}

std::string format_table(const load_result& result) {
  const latency_summary& latency = result.latency;
  std::string table;
  table += "target      " + to_string(result.options.target) + "\n";
  table += "load        " + describe_load(result) + "\n";
  const error_counts& errors = result.errors;
  table += print("requests    %llu answered, %llu error%s", count(result.requests),
                 count(errors.total()), errors.total() == 1 ? "" : "s");
  if (errors.total() > 0) {
    table += print(" (connect %llu, read/write %llu, timeout %llu, bad answer %llu)",
                   count(errors.connect), count(errors.transfer), count(errors.timeout),
                   count(errors.answer));
  }
  table += "\n";
  table += print("throughput  %.1f requests/s\n", result.requests_per_second());
  table += print("latency     %-11s%-11s%-11s%-11s%-11s%s\n", "mean", "p50", "p90", "p99", "p99.9",
                 "max");
  table += print("            %-11s%-11s%-11s%-11s%-11s%s\n", format_latency(latency.mean).c_str(),
                 format_latency(latency.p50).c_str(), format_latency(latency.p90).c_str(),
                 format_latency(latency.p99).c_str(), format_latency(latency.p99_9).c_str(),
                 format_latency(latency.max).c_str());
  return table;
}

std::string format_json(const load_result& result) {
  const load_options& options = result.options;
  const latency_summary& latency = result.latency;
  const bool echo = options.target.protocol == target_protocol::echo;
  auto nanoseconds = [](std::chrono::nanoseconds time) {
    return static_cast<long long>(time.count());
  };
  std::string json = "{\"target\":" + json_string(to_string(options.target));
  json += print(",\"protocol\":\"%s\",\"mode\":\"%s\"", echo ? "echo" : "http",
                options.rate ? "open" : "closed");
  json += options.rate ? print(",\"rate\":%.15g", *options.rate) : std::string(",\"rate\":null");
  json += print(",\"connections\":%zu,\"shards\":%zu", options.connections, result.shards);
  json += echo ? print(",\"message_size\":%zu", options.message_size)
               : std::string(",\"message_size\":null");
  json += print(",\"warmup_seconds\":%.6f,\"duration_seconds\":%.6f", seconds(options.warmup),
                seconds(result.elapsed));
  const error_counts& errors = result.errors;
  json += print(",\"requests\":%llu,\"errors\":%llu", count(result.requests),
                count(errors.total()));
  json += print(",\"error_kinds\":{\"connect\":%llu,\"transfer\":%llu,\"timeout\":%llu,"
                "\"answer\":%llu}",
                count(errors.connect), count(errors.transfer), count(errors.timeout),
                count(errors.answer));
  json += print(",\"requests_per_second\":%.3f", result.requests_per_second());
  json += print(",\"latency_ns\":{\"min\":%lld,\"mean\":%.1f,\"p50\":%lld,\"p90\":%lld",
                nanoseconds(latency.min), latency.mean.count(), nanoseconds(latency.p50),
                nanoseconds(latency.p90));
  json += print(",\"p99\":%lld,\"p99_9\":%lld,\"max\":%lld}}", nanoseconds(latency.p99),
                nanoseconds(latency.p99_9), nanoseconds(latency.max));
  return json;
}

std::string format_progress(const progress_sample& sample) {
  const double interval = seconds(sample.interval);
  const double rate =
      interval > 0 ? static_cast<double>(sample.requests_in_interval) / interval : 0.0;
  return print("%6.1f s %12.0f requests/s   total %llu   errors %llu%s",
               seconds(sample.since_start), rate, count(sample.requests_total),
               count(sample.errors_total), sample.warming_up ? "   (warm-up)" : "");
}

bool progress_wanted(const load_options& options) noexcept {
  return !options.json && ::isatty(STDOUT_FILENO) == 1;
}

}  // namespace percore::load
