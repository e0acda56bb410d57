// shard_load: builds the shard's connections for the target's protocol, and runs them from the
// first connect to the final figures; the watchdog is one timer for all of them.
#include "shard_load.hh"

#include <algorithm>
#include <bit>

#include <percore/shards/shard_id.hh>

#include "echo_exchange.hh"
#include "http_exchange.hh"

namespace percore::load {
namespace {

// One receive buffer per connection is what a closed loop needs at once (each connection has one
// answer in flight), and twice that lets a turn's answers land while the last turn's are read;
// the kernel falls back to a plain receive when the group runs out, so the cap costs speed only.
constexpr std::size_t fewest_receive_buffers = 64;
constexpr std::size_t most_receive_buffers = 4096;
constexpr std::uint32_t receive_buffer_size = 16 * 1024;

// Checking a few times per timeout finds a stuck answer within 1.25 timeouts.
constexpr int watchdog_checks_per_timeout = 4;
constexpr std::chrono::milliseconds shortest_watchdog_period{1};

}  // namespace

opening_outcome operator+(opening_outcome total, const opening_outcome& shard) {
  total.attempted += shard.attempted;
  total.failed += shard.failed;
  if (!total.first_failure) total.first_failure = shard.first_failure;
  return total;
}

progress_counts operator+(progress_counts total, const progress_counts& shard) noexcept {
  total.answered += shard.answered;
  total.errors += shard.errors;
  return total;
}

window_figures operator+(window_figures total, const window_figures& shard) {
  total.latencies.merge(shard.latencies);
  total.requests += shard.requests;
  total.errors += shard.errors;
  return total;
}

shard_load::shard_load(const load_plan& plan)
    : options_(plan.options), watchdog_([this] {
        const clock::time_point now = clock::now();
        for (const auto& connection : connections_) connection->check_timeout(now);
      }) {
  context_.address = plan.address;
  context_.timeout = plan.options.timeout;
  const connection_range mine =
      shard_connections(plan.options.connections, shard_count(), this_shard_id());
  if (mine.count == 0) return;
  const std::size_t buffers =
      std::clamp(std::bit_ceil(2 * mine.count), fewest_receive_buffers, most_receive_buffers);
  context_.receive_buffers.emplace(static_cast<std::uint16_t>(buffers), receive_buffer_size);
  connections_.reserve(mine.count);
  for (std::size_t number = mine.first; number < mine.first + mine.count; ++number) {
    if (plan.options.target.protocol == target_protocol::echo) {
      connections_.push_back(std::make_unique<load_connection<echo_exchange>>(
          number, echo_exchange(plan.options.message_size), context_));
    } else {
      connections_.push_back(std::make_unique<load_connection<http_exchange>>(
          number, http_exchange(plan.options.target), context_));
    }
  }
}

task<opening_outcome> shard_load::open() {
  if (connections_.empty()) co_return opening_outcome{};
  context_.first_attempts_left = connections_.size();
  running_.reserve(connections_.size());
  for (const auto& connection : connections_) running_.push_back(spawn(connection->run()));
  (void)co_await context_.all_attempted.wait();
  co_return opening_outcome{.attempted = connections_.size(),
                            .failed = context_.first_attempts_failed,
                            .first_failure = context_.first_failure};
}

task<void> shard_load::begin(load_timeline timeline) {
  context_.pacing = request_pacing(options_, timeline.start);
  context_.measurements.open_window(timeline.window_begin, timeline.window_end);
  (void)co_await sleep_until(timeline.start);
  context_.started.set();
  if (!connections_.empty()) {
    const auto period = std::max<clock::duration>(
        std::chrono::duration_cast<clock::duration>(options_.timeout) /
            watchdog_checks_per_timeout,
        shortest_watchdog_period);
    watchdog_.arm_periodic(period);
  }
}

progress_counts shard_load::progress() const noexcept {
  return {.answered = context_.measurements.answered_total(),
          .errors = context_.measurements.errors_total()};
}

task<window_figures> shard_load::finish(clock::time_point end) {
  context_.measurements.close_window(end);
  co_await stop();
  const shard_measurements& measured = context_.measurements;
  co_return window_figures{.latencies = measured.latencies(),
                           .requests = measured.requests(),
                           .errors = measured.errors()};
}

task<void> shard_load::stop() {
  context_.stopping = true;
  watchdog_.cancel();
  for (join_handle<void>& running : running_) running.cancel();
  for (join_handle<void>& running : running_) co_await running;
  running_.clear();
}

}  // namespace percore::load
