// The mesh: batched draining, the sleep/wake handshake between shards, and back-pressure.
#include <percore/shards/mesh.hh>

#include <algorithm>
#include <stdexcept>

#include <percore/engine/spawn.hh>

#include <percore/shards/shard_id.hh>

namespace percore::detail {
namespace {

// Messages taken from one ring per drain: enough to amortise the index publication, small
// enough that one busy sender cannot keep the shard from its other rings and its own tasks.
constexpr std::size_t drain_batch = 64;

}  // namespace

mesh::mesh(unsigned shards, std::size_t capacity) : shards_(shards) {
  channels_.reserve(static_cast<std::size_t>(shards) * shards);
  for (unsigned from = 0; from < shards; ++from) {
    for (unsigned to = 0; to < shards; ++to) {
      // No ring to itself: a shard calls itself directly.
      channels_.push_back(from == to ? nullptr : std::make_unique<channel>(capacity));
    }
  }
  endpoints_.reserve(shards);
  for (unsigned shard = 0; shard < shards; ++shard) {
    endpoints_.push_back(std::make_unique<shard_endpoint>(*this, shard));
  }
}

void shard_endpoint::attach(engine& running) noexcept {
  backend_ = &running.backend();
  room_.clear();
  for (unsigned peer = 0; peer < mesh_.size(); ++peer) room_.push_back(std::make_unique<event>());
  sent_to_.clear();
  sent_to_.reserve(mesh_.size());
  is_in_sent_to_.assign(mesh_.size(), false);
  pool_ = &frame_pool::local();
  pool_->hold_foreign_frees(true);
  running.set_inbox(this);
}

void shard_endpoint::detach() noexcept {
  if (pool_ != nullptr) pool_->hold_foreign_frees(false);
  pool_ = nullptr;
}

void shard_endpoint::send_freed_blocks_home() {
  pool_->flush_held([this](frame_pool& owner, void* batch) {
    for (unsigned shard = 0; shard < mesh_.size(); ++shard) {
      if (shard != id_ && mesh_.endpoint(shard).pool_ == &owner) {
        post(shard, mesh_message{[](void* blocks) { frame_pool::local().take_back(blocks); },
                                 batch});
        return;
      }
    }
    owner.give_back(batch);  // not a shard's pool: the lock-free way
  });
}

bool shard_endpoint::try_send(unsigned to, mesh_message message) {
  mesh::channel& channel = mesh_.between(id_, to);
  if (!channel.ring.try_push(std::move(message))) return false;
  if (!is_in_sent_to_[to]) {
    is_in_sent_to_[to] = true;
    sent_to_.push_back(to);
  }
  return true;
}

task<void> shard_endpoint::send(unsigned to, mesh_message message) {
  mesh::channel& channel = mesh_.between(id_, to);
  while (!try_send(to, message)) {
    // Say we wait, then look once more: the receiver may have made room before it could see
    // the flag, and then nobody would wake us.
    channel.sender_waiting.store(true, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (try_send(to, message)) {
      channel.sender_waiting.store(false, std::memory_order_relaxed);
      break;
    }
    if (std::find(waiting_for_room_.begin(), waiting_for_room_.end(), to) ==
        waiting_for_room_.end()) {
      waiting_for_room_.push_back(to);
    }
    event& room = *room_[to];
    room.reset();
    (void)co_await room.wait();
  }
}

void shard_endpoint::post(unsigned to, mesh_message message) {
  if (!try_send(to, message)) spawn(send(to, message)).detach();
}

void shard_endpoint::wake_sleeping_receivers() noexcept {
  if (sent_to_.empty()) return;
  // One fence for every message of the turn: pairs with the fence in prepare_to_sleep.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  for (unsigned to : sent_to_) {
    is_in_sent_to_[to] = false;
    shard_endpoint& peer = mesh_.endpoint(to);
    if (peer.sleeping_.load(std::memory_order_relaxed) &&
        peer.sleeping_.exchange(false, std::memory_order_acq_rel)) {
      backend_->wake_peer(*peer.backend_);
    }
  }
  sent_to_.clear();
}

void shard_endpoint::wake_if_sleeping(shard_endpoint& peer) noexcept {
  // Pairs with the fence in prepare_to_sleep: either the peer sees our message before it
  // sleeps, or we see that it sleeps. Only one sender gets to wake it.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (peer.sleeping_.load(std::memory_order_relaxed) &&
      peer.sleeping_.exchange(false, std::memory_order_acq_rel)) {
    if (backend_ != nullptr) {
      backend_->wake_peer(*peer.backend_);
    } else {
      peer.backend_->wake();
    }
  }
}

bool shard_endpoint::drain() {
  // Messages sent during the turn that just ran: wake their receivers if they sleep. Every
  // turn drains before it may sleep, so no message waits longer than the sender's turn.
  send_freed_blocks_home();
  wake_sleeping_receivers();
  bool any = false;
  if (stop_requested_ != nullptr && !stop_handled_ &&
      stop_requested_->load(std::memory_order_acquire)) {
    stop_handled_ = true;
    stop_handler_();
    any = true;
  }
  for (unsigned from = 0; from < mesh_.size(); ++from) {
    if (from == id_) continue;
    mesh::channel& channel = mesh_.between(from, id_);
    const std::size_t taken = channel.ring.pop_batch(
        [](mesh_message&& message) { message.deliver(message.payload); }, drain_batch);
    if (taken == 0) continue;
    any = true;
    // Pairs with the fence in send(): either the sender sees the room we made, or we see it
    // waits. Clearing the flag is the signal; its next drain wakes the waiting tasks.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (channel.sender_waiting.load(std::memory_order_relaxed) &&
        channel.sender_waiting.exchange(false, std::memory_order_acq_rel)) {
      wake_if_sleeping(mesh_.endpoint(from));
    }
  }
  any |= wake_senders_with_room();
  return any;
}

bool shard_endpoint::wake_senders_with_room() noexcept {
  bool woke = false;
  for (std::size_t index = 0; index < waiting_for_room_.size();) {
    const unsigned to = waiting_for_room_[index];
    if (mesh_.between(id_, to).sender_waiting.load(std::memory_order_acquire)) {
      ++index;
      continue;
    }
    room_[to]->set();
    waiting_for_room_[index] = waiting_for_room_.back();
    waiting_for_room_.pop_back();
    woke = true;
  }
  return woke;
}

bool shard_endpoint::prepare_to_sleep() noexcept {
  wake_sleeping_receivers();  // timer callbacks may have sent since the drain
  sleeping_.store(true, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  const bool stop_pending = stop_requested_ != nullptr && !stop_handled_ &&
                            stop_requested_->load(std::memory_order_relaxed);
  bool work_arrived = stop_pending;
  for (unsigned from = 0; from < mesh_.size() && !work_arrived; ++from) {
    work_arrived = from != id_ && !mesh_.between(from, id_).ring.empty();
  }
  // A receiver that made room clears the flag, then looks whether we sleep: look at the flag
  // after saying we sleep, or each of us may miss the other.
  for (unsigned to : waiting_for_room_) {
    if (work_arrived) break;
    work_arrived = !mesh_.between(id_, to).sender_waiting.load(std::memory_order_relaxed);
  }
  if (work_arrived) sleeping_.store(false, std::memory_order_relaxed);
  return !work_arrived;
}

void shard_endpoint::woke_up() noexcept { sleeping_.store(false, std::memory_order_relaxed); }

shard_endpoint& current_endpoint() {
  if (local_endpoint == nullptr) {
    throw std::logic_error("percore: cross-shard calls need a shard (call them inside launch)");
  }
  return *local_endpoint;
}

}  // namespace percore::detail
