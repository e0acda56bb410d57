// The mesh: a bounded single-producer/single-consumer ring for every ordered pair of shards,
// drained in batches by each shard's loop; a sender wakes a receiver only if it said it sleeps.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <percore/engine/engine.hh>
#include <percore/engine/event.hh>
#include <percore/engine/task.hh>
#include <percore/shards/cache_line.hh>
#include <percore/shards/spsc_ring.hh>

namespace percore::detail {

// What travels between shards: a function to run on the receiving shard and its argument. The
// payload usually lives in the sender's coroutine frame, which waits for the answer.
struct mesh_message {
  void (*deliver)(void* payload);
  void* payload;
};

class mesh;

// One shard's end of the mesh: it drains the rings towards it, sends on the rings from it,
// and tells senders when it sleeps. It is the engine's inbox.
class shard_endpoint final : public inbox {
 public:
  shard_endpoint(mesh& owner, unsigned id) noexcept : mesh_(owner), id_(id) {}

  void attach(engine& running) noexcept;
  // Before the shard's thread ends: stop batching foreign frees (what is held goes home).
  void detach() noexcept;
  unsigned id() const noexcept { return id_; }

  // Sends without waiting; false when the ring to `to` is full.
  bool try_send(unsigned to, mesh_message message);
  // Sends, waiting (as a task, never blocking the thread) while the ring to `to` is full.
  task<void> send(unsigned to, mesh_message message);
  // Sends now, or from a task of this shard once there is room: for callers that cannot wait
  // (destructors, wake-ups). The message is never dropped.
  void post(unsigned to, mesh_message message);

  bool drain() override;
  bool prepare_to_sleep() noexcept override;
  void woke_up() noexcept override;

  // Wakes `peer` if it sleeps or is about to, after a flag it watches with on_stop changed:
  // through this shard's ring (MSG_RING) when attached, else the peer's eventfd. A shard
  // that is awake needs nothing, so stopping costs no wake-up of shards that are running.
  void wake_if_sleeping(shard_endpoint& peer) noexcept;

  // `handler` runs once, on this shard, at the first drain after `requested` turns true. A
  // new call replaces the watch (and may watch another flag).
  void on_stop(const std::atomic<bool>& requested, std::function<void()> handler) {
    stop_requested_ = &requested;
    stop_handler_ = std::move(handler);
    stop_handled_ = false;
  }

 private:
  void wake_sleeping_receivers() noexcept;
  void send_freed_blocks_home();
  bool wake_senders_with_room() noexcept;

  mesh& mesh_;
  unsigned id_;
  io::backend* backend_ = nullptr;
  frame_pool* pool_ = nullptr;
  // Tasks of this shard waiting for room on the ring to each peer.
  std::vector<std::unique_ptr<event>> room_;
  std::vector<unsigned> waiting_for_room_;
  // Peers sent to since the last turn: whether they sleep is checked once per turn, not with
  // a full fence per message.
  std::vector<unsigned> sent_to_;
  std::vector<bool> is_in_sent_to_;
  const std::atomic<bool>* stop_requested_ = nullptr;
  std::function<void()> stop_handler_;
  bool stop_handled_ = false;
  alignas(cache_line_size) std::atomic<bool> sleeping_{false};
};

class mesh {
 public:
  // `capacity`: messages per ring, a power of two >= 2.
  mesh(unsigned shards, std::size_t capacity);
  mesh(const mesh&) = delete;
  mesh& operator=(const mesh&) = delete;

  unsigned size() const noexcept { return shards_; }
  shard_endpoint& endpoint(unsigned shard) noexcept { return *endpoints_[shard]; }

  struct channel {
    explicit channel(std::size_t capacity) : ring(capacity) {}
    spsc_ring<mesh_message> ring;
    // Set by a sender that found the ring full; the receiver clears it and wakes the sender
    // after making room.
    alignas(cache_line_size) std::atomic<bool> sender_waiting{false};
  };
  channel& between(unsigned from, unsigned to) noexcept { return *channels_[from * shards_ + to]; }

 private:
  unsigned shards_;
  std::vector<std::unique_ptr<channel>> channels_;
  std::vector<std::unique_ptr<shard_endpoint>> endpoints_;
};

// The mesh endpoint of the shard running on this thread, or null off the shards.
constinit inline thread_local shard_endpoint* local_endpoint = nullptr;

shard_endpoint& current_endpoint();

}  // namespace percore::detail
