// shard_channel<T>: a bounded queue from one shard to another. send() waits while it is full,
// receive() waits while it is empty; each side is woken through the mesh only when it waits.
#pragma once

#include <atomic>
#include <optional>
#include <system_error>
#include <utility>

#include <percore/engine/event.hh>
#include <percore/io/result.hh>
#include <percore/shards/cache_line.hh>
#include <percore/shards/mesh.hh>
#include <percore/shards/shard_id.hh>
#include <percore/shards/spsc_ring.hh>

namespace percore {

// Made anywhere (usually on the consumer, then shared by pointer); exactly one task on
// `producer` sends and one task on `consumer` receives. Must outlive both and be closed, or
// drained, before it is destroyed.
template <class T>
class shard_channel {
 public:
  shard_channel(unsigned producer, unsigned consumer, std::size_t capacity)
      : ring_(capacity), producer_(producer), consumer_(consumer) {}
  shard_channel(const shard_channel&) = delete;
  shard_channel& operator=(const shard_channel&) = delete;

  // On the producer shard. broken_pipe once closed; operation_canceled if the task is cancelled
  // while it waits for room.
  task<result<void>> send(T value) {
    for (;;) {
      if (closed_.load(std::memory_order_acquire)) co_return std::errc::broken_pipe;
      if (ring_.try_push(std::move(value))) {
        wake_if_waiting(consumer_waiting_, consumer_, &wake_consumer);
        co_return result<void>{};
      }
      // Say we wait, then try once more: the consumer may have made room before it could see
      // the flag. (A failed push leaves `value` as it was.)
      producer_waiting_.store(true, std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_seq_cst);
      if (ring_.try_push(std::move(value))) {
        producer_waiting_.store(false, std::memory_order_relaxed);
        wake_if_waiting(consumer_waiting_, consumer_, &wake_consumer);
        co_return result<void>{};
      }
      room_.reset();
      if (auto waited = co_await room_.wait(); !waited) co_return waited.error();
    }
  }

  // On the consumer shard: the next value, or nullopt once the channel is closed and empty
  // (or the task is cancelled while it waits).
  task<std::optional<T>> receive() {
    for (;;) {
      if (auto value = ring_.try_pop()) {
        wake_if_waiting(producer_waiting_, producer_, &wake_producer);
        co_return value;
      }
      if (closed_.load(std::memory_order_acquire) && ring_.empty()) co_return std::nullopt;
      consumer_waiting_.store(true, std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_seq_cst);
      if (!ring_.empty() || closed_.load(std::memory_order_relaxed)) {
        consumer_waiting_.store(false, std::memory_order_relaxed);
        continue;
      }
      items_.reset();
      if (!co_await items_.wait()) co_return std::nullopt;
    }
  }

  // From either side: no more sends; the receiver gets what is queued, then nullopt.
  void close() {
    closed_.store(true, std::memory_order_release);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    wake_if_waiting(consumer_waiting_, consumer_, &wake_consumer);
    wake_if_waiting(producer_waiting_, producer_, &wake_producer);
  }

 private:
  static void wake_consumer(void* channel) { static_cast<shard_channel*>(channel)->items_.set(); }
  static void wake_producer(void* channel) { static_cast<shard_channel*>(channel)->room_.set(); }

  // The other side said it waits: tell it on its own shard (its event is its shard's alone).
  void wake_if_waiting(std::atomic<bool>& waiting, unsigned shard, void (*wake)(void*)) {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (!waiting.load(std::memory_order_relaxed) ||
        !waiting.exchange(false, std::memory_order_acq_rel)) {
      return;
    }
    if (shard == this_shard_id()) return wake(this);
    detail::current_endpoint().post(shard, detail::mesh_message{wake, this});
  }

  spsc_ring<T> ring_;
  unsigned producer_;
  unsigned consumer_;
  event items_;  // the consumer shard's
  event room_;   // the producer shard's
  alignas(cache_line_size) std::atomic<bool> consumer_waiting_{false};
  alignas(cache_line_size) std::atomic<bool> producer_waiting_{false};
  std::atomic<bool> closed_{false};
};

}  // namespace percore
