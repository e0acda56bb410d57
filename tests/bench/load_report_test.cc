// load_report tests: the table and the JSON carry the run's figures, latencies are written in
// the unit that fits, and the progress line gives the rate of its interval.
#include "bench/load/load_report.hh"

#include <gtest/gtest.h>

#include <string>

namespace percore::load {
namespace {

using namespace std::chrono_literals;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

load_result result_of(std::string url, const latency_histogram& latencies) {
  load_result result;
  result.options.target = parse_target_url(url);
  result.options.connections = 256;
  result.shards = 2;
  result.elapsed = 10s;
  result.requests = latencies.count();
  result.errors = {.connect = 1, .transfer = 1, .timeout = 0, .answer = 1};
  result.latency = summarize(latencies);
  return result;
}

// 1 us, 2 us, ... 1000 us, and one 50 ms outlier.
latency_histogram known_latencies() {
  latency_histogram latencies;
  for (int micro = 1; micro <= 1000; ++micro) latencies.record(std::chrono::microseconds(micro));
  latencies.record(50ms);
  return latencies;
}

TEST(load_report, summary_reads_the_histogram) {
  const latency_summary summary = summarize(known_latencies());
  EXPECT_EQ(summary.min, 1us);
  EXPECT_EQ(summary.max, 50ms);
  EXPECT_NEAR(summary.mean.count(), (500'500'000.0 + 50'000'000) / 1001, 1e-6);
  EXPECT_NEAR(static_cast<double>(summary.p50.count()), 501'000, 501);
  EXPECT_NEAR(static_cast<double>(summary.p90.count()), 901'000, 901);
  EXPECT_NEAR(static_cast<double>(summary.p99.count()), 991'000, 991);
  EXPECT_NEAR(static_cast<double>(summary.p99_9.count()), 1'000'000, 1000);
}

TEST(load_report, latencies_are_written_in_the_unit_that_fits) {
  EXPECT_EQ(format_latency(850ns), "850 ns");
  EXPECT_EQ(format_latency(12'340ns), "12.34 us");
  EXPECT_EQ(format_latency(1'020'000ns), "1.02 ms");
  EXPECT_EQ(format_latency(2'500ms), "2.50 s");
  EXPECT_EQ(format_latency(std::chrono::duration<double, std::nano>(999.4)), "999 ns");
}

TEST(load_report, table_shows_the_load_the_throughput_and_the_percentiles) {
  const latency_histogram latencies = known_latencies();
  load_result closed = result_of("tcp://127.0.0.1:7000", latencies);
  const std::string table = format_table(closed);
  EXPECT_TRUE(contains(table, "tcp://127.0.0.1:7000")) << table;
  EXPECT_TRUE(contains(table, "256 connections on 2 shards, 64-byte messages, closed loop, 10.00 s"))
      << table;
  EXPECT_TRUE(contains(
      table, "1001 answered, 3 errors (connect 1, read/write 1, timeout 0, bad answer 1)"))
      << table;
  EXPECT_TRUE(contains(table, "throughput  100.1 requests/s")) << table;
  for (const char* column : {"mean", "p50", "p90", "p99", "p99.9", "max"}) {
    EXPECT_TRUE(contains(table, column)) << column;
  }
  EXPECT_TRUE(contains(table, format_latency(closed.latency.p99))) << table;
  EXPECT_TRUE(contains(table, "50.00 ms")) << table;

  load_result open = result_of("http://h:8080/", latencies);
  open.options.rate = 5000;
  open.options.warmup = 2s;
  const std::string open_table = format_table(open);
  EXPECT_TRUE(contains(open_table, "open loop at 5000 requests/s, 10.00 s after a 2.00 s warm-up"))
      << open_table;
  EXPECT_FALSE(contains(open_table, "byte messages")) << open_table;

  load_result clean = result_of("tcp://h:1", latencies);
  clean.errors = {};
  const std::string clean_table = format_table(clean);
  EXPECT_TRUE(contains(clean_table, "1001 answered, 0 errors\n")) << clean_table;
}

TEST(load_report, json_holds_every_figure_in_nanoseconds) {
  const latency_histogram latencies = known_latencies();
  load_result result = result_of("http://h:8080/a\"b\\c", latencies);
  const std::string json = format_json(result);
  EXPECT_TRUE(json.starts_with("{\"target\":\"http://h:8080/a\\\"b\\\\c\"")) << json;
  EXPECT_TRUE(contains(json, "\"protocol\":\"http\",\"mode\":\"closed\",\"rate\":null")) << json;
  EXPECT_TRUE(contains(json, "\"connections\":256,\"shards\":2,\"message_size\":null")) << json;
  EXPECT_TRUE(contains(json, "\"duration_seconds\":10.000000")) << json;
  EXPECT_TRUE(contains(json, "\"requests\":1001,\"errors\":3,\"error_kinds\":{\"connect\":1,"
                             "\"transfer\":1,\"timeout\":0,\"answer\":1},"
                             "\"requests_per_second\":100.100"))
      << json;
  EXPECT_TRUE(contains(json, "\"p99\":" + std::to_string(result.latency.p99.count()))) << json;
  EXPECT_TRUE(contains(json, "\"p99_9\":" + std::to_string(result.latency.p99_9.count()))) << json;
  EXPECT_TRUE(contains(json, "\"max\":50000000}}")) << json;
  EXPECT_TRUE(contains(json, "\"min\":1000,")) << json;
  EXPECT_EQ(json.find('\n'), std::string::npos);

  result.options.rate = 1.5e5;
  result.options.target = parse_target_url("tcp://h:1");
  const std::string open = format_json(result);
  EXPECT_TRUE(contains(open, "\"protocol\":\"echo\",\"mode\":\"open\",\"rate\":150000")) << open;
  EXPECT_TRUE(contains(open, "\"message_size\":64")) << open;
}

TEST(load_report, progress_line_gives_the_rate_of_its_interval) {
  const std::string line = format_progress({.since_start = 3s,
                                            .interval = 500ms,
                                            .requests_in_interval = 51'172,
                                            .requests_total = 307'035,
                                            .errors_total = 1,
                                            .warming_up = false});
  EXPECT_TRUE(contains(line, "3.0 s")) << line;
  EXPECT_TRUE(contains(line, "102344 requests/s")) << line;
  EXPECT_TRUE(contains(line, "total 307035")) << line;
  EXPECT_TRUE(contains(line, "errors 1")) << line;
  EXPECT_FALSE(contains(line, "warm-up")) << line;
  EXPECT_TRUE(contains(format_progress({.warming_up = true}), "(warm-up)"));
}

TEST(load_report, no_progress_lines_with_json) {
  load_options options;
  options.json = true;
  EXPECT_FALSE(progress_wanted(options));
}

}  // namespace
}  // namespace percore::load
