// load_plan: the split of the connections over the shards and the run's timeline, both computed
// once, on shard 0, and sent to every shard.
#include "load_plan.hh"

#include <algorithm>

namespace percore::load {

connection_range shard_connections(std::size_t connections, unsigned shards,
                                   unsigned shard) noexcept {
  const std::size_t share = connections / shards;
  const std::size_t extra = connections % shards;
  return {.first = shard * share + std::min<std::size_t>(shard, extra),
          .count = share + (shard < extra ? 1 : 0)};
}

load_timeline timeline_starting_at(const load_options& options,
                                   load_timeline::clock::time_point start) noexcept {
  using duration = load_timeline::clock::duration;
  const auto window_begin = start + std::chrono::duration_cast<duration>(options.warmup);
  return {.start = start,
          .window_begin = window_begin,
          .window_end = window_begin + std::chrono::duration_cast<duration>(options.duration)};
}

}  // namespace percore::load
