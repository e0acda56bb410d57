// accept_balanced: one shard accepts, and hands each connection to the shard serving the fewest
// (kernel hashing of SO_REUSEPORT listeners can leave a shard idle when connections are few).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include <percore/engine/spawn.hh>
#include <percore/engine/task.hh>
#include <percore/engine/timer.hh>
#include <percore/net/tcp_stream.hh>
#include <percore/shards/launch.hh>
#include <percore/shards/submit_to.hh>

namespace percore::net {

// The connections each shard is serving, shared by the accepting shard (which counts them up)
// and the serving shards (which count them down when a connection ends).
class connection_counts {
 public:
  explicit connection_counts(unsigned shards) : open_(shards) {}

  // The shard with the fewest open connections. Among equals, the search starts after the
  // last choice, so that short connections, which leave every count at zero, still go round.
  unsigned least_loaded() noexcept {
    const auto shards = static_cast<unsigned>(open_.size());
    unsigned best = (last_choice_ + 1) % shards;
    for (unsigned step = 1; step < shards; ++step) {
      const unsigned shard = (last_choice_ + 1 + step) % shards;
      if (open_[shard].load(std::memory_order_relaxed) <
          open_[best].load(std::memory_order_relaxed)) {
        best = shard;
      }
    }
    last_choice_ = best;
    return best;
  }
  void opened(unsigned shard) noexcept { open_[shard].fetch_add(1, std::memory_order_relaxed); }
  // Release and acquire: whoever sees a count fall to zero also sees everything the serving
  // shard did before, such as its last use of the counts when they are about to be destroyed.
  void closed(unsigned shard) noexcept { open_[shard].fetch_sub(1, std::memory_order_release); }
  std::uint64_t open_on(unsigned shard) const noexcept {
    return open_[shard].load(std::memory_order_acquire);
  }

 private:
  std::vector<std::atomic<std::uint64_t>> open_;
  unsigned last_choice_ = 0;  // used by the accepting shard only
};

// Accepts on this shard until the listener fails for good or the task is cancelled, and runs
// serve(tcp_stream) -> task<void> on the least-loaded shard for each connection, as a task of
// its own there. `serve` is copied to the serving shard; `counts` must outlive every connection.
template <class Serve>
task<void> accept_balanced(tcp_listener& listener, connection_counts& counts, Serve serve) {
  for (;;) {
    result<tcp_stream> accepted = co_await listener.accept();
    if (!accepted) {
      const std::error_code error = accepted.error();
      if (error == std::errc::operation_canceled || error == std::errc::bad_file_descriptor) {
        co_return;
      }
      // Out of descriptors: a pause lets connections end instead of spinning on accept.
      if (error == std::errc::too_many_files_open ||
          error == std::errc::too_many_files_open_in_system) {
        co_await sleep_for(std::chrono::milliseconds(10));
      }
      continue;
    }
    const unsigned target = counts.least_loaded();
    counts.opened(target);
    // Handed over as a descriptor: the stream object belongs to the shard that serves it.
    const int fd = accepted->release();
    auto hand_over = [fd, target, &counts, serve]() {
      auto serve_and_count = [](int connection, unsigned shard, connection_counts& open,
                                Serve serving) -> task<void> {
        co_await serving(tcp_stream(connection));
        open.closed(shard);
      };
      spawn(serve_and_count(fd, target, counts, serve)).detach();
    };
    co_await submit_to(target, hand_over);
  }
}

}  // namespace percore::net
