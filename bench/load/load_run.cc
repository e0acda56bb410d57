// load_run: the phases of a run (probe, open, start, progress, finish) as cross-shard calls from
// shard 0; between them the shards run on their own and only a once-a-second count crosses.
#include "load_run.hh"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>

#include <percore/engine/timer.hh>
#include <percore/net/connect.hh>
#include <percore/net/tcp_stream.hh>
#include <percore/shards/sharded.hh>
#include <percore/shards/submit_to.hh>

#include "load_plan.hh"
#include "shard_load.hh"

namespace percore::load {
namespace {

using clock = std::chrono::steady_clock;

// Time for the start message to reach every shard before the clock starts.
constexpr std::chrono::milliseconds start_lead{20};
constexpr std::chrono::seconds progress_period{1};

// The first address that accepts a connection (a name can resolve to ::1 and 127.0.0.1 while
// the server listens on one of them only), or the first failure.
task<result<net::socket_address>> reachable_address(std::span<const net::socket_address> addresses,
                                                    std::chrono::nanoseconds timeout) {
  std::error_code first_failure = std::make_error_code(std::errc::address_not_available);
  for (std::size_t index = 0; index < addresses.size(); ++index) {
    task<result<net::tcp_stream>> probing = net::connect(addresses[index], timeout);
    result<net::tcp_stream> probe = co_await std::move(probing);
    if (probe) co_return addresses[index];
    if (index == 0) first_failure = probe.error();
  }
  co_return first_failure;
}

// Prints a progress line every second until the window ends; returns when it ends, or at once
// with the time of the interruption when the task is cancelled (SIGINT, SIGTERM).
task<clock::time_point> follow_progress(sharded<shard_load>& loads, const load_timeline& timeline,
                                        bool print) {
  progress_counts last;
  clock::time_point last_time = timeline.start;
  for (clock::time_point next = timeline.start + progress_period;; next += progress_period) {
    const clock::time_point wake = std::min(next, timeline.window_end);
    if (!co_await sleep_until(wake)) co_return clock::now();
    if (wake == timeline.window_end) co_return wake;
    if (!print) continue;
    auto count_here = [&loads] { return loads.local().progress(); };
    auto add = [](progress_counts total, progress_counts shard) { return total + shard; };
    task<progress_counts> counting = map_reduce(count_here, progress_counts{}, add);
    const progress_counts now_counts = co_await std::move(counting);
    const clock::time_point now = clock::now();
    const std::string line = format_progress({
        .since_start = now - timeline.start,
        .interval = now - last_time,
        .requests_in_interval = now_counts.answered - last.answered,
        .requests_total = now_counts.answered,
        .errors_total = now_counts.errors,
        .warming_up = wake <= timeline.window_begin,
    });
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
    last = now_counts;
    last_time = now;
  }
}

}  // namespace

task<result<load_result>> run_load(load_options options,
                                   std::span<const net::socket_address> addresses) {
  task<result<net::socket_address>> probing = reachable_address(addresses, options.timeout);
  result<net::socket_address> address = co_await std::move(probing);
  if (!address) co_return address.error();

  sharded<shard_load> loads;
  const load_plan plan{.options = options, .address = *address};
  // By reference: each shard copies the plan from this frame, which stays put while start()
  // waits for them. (A copy in sharded::start's lambda, created inside its co_await, is freed
  // twice by g++ 12.)
  co_await loads.start(std::cref(plan));

  auto open_here = [&loads] { return loads.local().open(); };
  auto add_openings = [](opening_outcome total, opening_outcome shard) { return total + shard; };
  task<opening_outcome> opening = map_reduce(open_here, opening_outcome{}, add_openings);
  const opening_outcome opened = co_await std::move(opening);
  if (opened.failed == opened.attempted) {
    co_await loads.stop();
    co_return opened.first_failure;
  }

  const load_timeline timeline = timeline_starting_at(options, clock::now() + start_lead);
  auto begin_here = [&loads, timeline] { return loads.local().begin(timeline); };
  co_await invoke_on_all(begin_here);

  task<clock::time_point> following = follow_progress(loads, timeline, progress_wanted(options));
  const clock::time_point end = co_await std::move(following);

  auto finish_here = [&loads, end] { return loads.local().finish(end); };
  auto merge = [](window_figures total, window_figures shard) { return std::move(total) + shard; };
  task<window_figures> finishing = map_reduce(finish_here, window_figures{}, merge);
  const window_figures figures = co_await std::move(finishing);
  co_await loads.stop();

  load_result outcome;
  outcome.options = options;
  outcome.shards = shard_count();
  outcome.elapsed = std::max(std::min(end, timeline.window_end) - timeline.window_begin,
                             clock::duration::zero());
  outcome.requests = figures.requests;
  outcome.errors = figures.errors;
  outcome.latency = summarize(figures.latencies);
  co_return outcome;
}

}  // namespace percore::load
