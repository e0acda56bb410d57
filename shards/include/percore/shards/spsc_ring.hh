// spsc_ring: a bounded, lock-free single-producer/single-consumer ring, the building block of
// the cross-shard mesh (one ring per ordered pair of shards), with batched push and pop.
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include <percore/shards/cache_line.hh>

namespace percore {

// One thread, the producer, calls try_push, try_emplace and try_push_batch; one other thread,
// the consumer, calls try_pop, pop_batch and empty. Either may call capacity(). The destructor
// runs once both have stopped and its caller has synchronized with them (a join, say); it
// destroys the elements still in the ring. The storage is allocated once, at construction.
//
// Memory ordering. The producer alone stores the write index, the consumer alone the read
// index; both are free-running counters (slot = index & mask, full when they differ by the
// capacity, which unsigned wrap-around keeps true). An element crosses threads through exactly
// two release/acquire pairs:
// - The producer constructs the element in its slot, then stores the write index (release).
//   The consumer loads that index (acquire) before touching the slot, so the construction
//   happens-before the consumer's read.
// - The consumer moves the element out and destroys it, then stores the read index (release).
//   The producer loads that index (acquire) before reusing the slot, so the consumer is done
//   with the slot before the producer constructs into it again.
// Nothing else is shared and neither side needs a single order of both indices' stores, so
// sequential consistency (a full fence per store on x86) would buy nothing.
//
// Cached indices. Each side keeps, on its own cache line, a private copy of the other side's
// index, and reloads the shared one only when the copy says "full" (producer) or "empty", or
// fewer than a batch's worth (consumer). A stale copy errs on the safe side: it can only
// understate the free slots or the elements available. So a push or a pop usually touches its
// own line and the slot only; the other side's line crosses cores once per refresh, and a batch
// publishes its index once, not once per element.
template <class T, class Allocator = std::allocator<T>>
class spsc_ring {
  // Moving in and out happens after the point where a failure could still be undone.
  static_assert(std::is_nothrow_move_constructible_v<T> && std::is_nothrow_destructible_v<T>,
                "spsc_ring elements must move and destroy without throwing");

  using alloc_traits = std::allocator_traits<Allocator>;

 public:
  using value_type = T;
  using allocator_type = Allocator;
  using size_type = std::size_t;

  // Throws std::invalid_argument, naming the value, unless capacity is a power of two >= 2.
  explicit spsc_ring(size_type capacity, const Allocator& allocator = Allocator())
      : mask_(checked(capacity) - 1),
        allocator_(allocator),
        slots_(alloc_traits::allocate(allocator_, capacity)) {}

  ~spsc_ring() {
    const size_type end = producer_.write.load(std::memory_order_relaxed);
    for (size_type i = consumer_.read.load(std::memory_order_relaxed); i != end; ++i) {
      alloc_traits::destroy(allocator_, slot(i));
    }
    alloc_traits::deallocate(allocator_, slots_, capacity());
  }

  spsc_ring(const spsc_ring&) = delete;
  spsc_ring& operator=(const spsc_ring&) = delete;

  // Producer side. When the ring is full they return false and leave the argument untouched.
  bool try_push(const T& value)
    requires std::is_copy_constructible_v<T>
  {
    return try_emplace(value);
  }
  bool try_push(T&& value) { return try_emplace(std::move(value)); }

  template <class... Args>
  bool try_emplace(Args&&... args) {
    const size_type write = producer_.write.load(std::memory_order_relaxed);
    if (write - producer_.read_cache == capacity()) {
      producer_.read_cache = consumer_.read.load(std::memory_order_acquire);
      if (write - producer_.read_cache == capacity()) return false;
    }
    alloc_traits::construct(allocator_, slot(write), std::forward<Args>(args)...);
    producer_.write.store(write + 1, std::memory_order_release);
    return true;
  }

  // Moves the longest prefix of `values` that fits; returns its length. The moved-from
  // elements stay in `values`.
  size_type try_push_batch(std::span<T> values) {
    const size_type write = producer_.write.load(std::memory_order_relaxed);
    size_type room = capacity() - (write - producer_.read_cache);
    if (room < values.size()) {
      producer_.read_cache = consumer_.read.load(std::memory_order_acquire);
      room = capacity() - (write - producer_.read_cache);
    }
    const size_type count = std::min(room, values.size());
    for (size_type i = 0; i != count; ++i) {
      alloc_traits::construct(allocator_, slot(write + i), std::move(values[i]));
    }
    // Even an unchanged value would take the line away from the consumer.
    if (count != 0) producer_.write.store(write + count, std::memory_order_release);
    return count;
  }

  // Consumer side.
  std::optional<T> try_pop() noexcept {
    const size_type read = consumer_.read.load(std::memory_order_relaxed);
    if (read == consumer_.write_cache) {
      consumer_.write_cache = producer_.write.load(std::memory_order_acquire);
      if (read == consumer_.write_cache) return std::nullopt;
    }
    T* item = slot(read);
    std::optional<T> value(std::move(*item));
    alloc_traits::destroy(allocator_, item);
    consumer_.read.store(read + 1, std::memory_order_release);
    return value;
  }

  // Calls consume(T&&) on up to `max` elements in order, then frees their slots at once;
  // returns how many it consumed. If consume throws, the element it threw on counts as
  // consumed (it may have been moved from) and the exception propagates; the rest stay.
  template <class F>
  size_type pop_batch(F&& consume, size_type max) {
    const size_type read = consumer_.read.load(std::memory_order_relaxed);
    size_type available = consumer_.write_cache - read;
    if (available < max) {
      consumer_.write_cache = producer_.write.load(std::memory_order_acquire);
      available = consumer_.write_cache - read;
    }
    const size_type count = std::min(available, max);
    for (size_type i = 0; i != count; ++i) {
      T* item = slot(read + i);
      try {
        std::invoke(consume, std::move(*item));
      } catch (...) {
        alloc_traits::destroy(allocator_, item);
        consumer_.read.store(read + i + 1, std::memory_order_release);
        throw;
      }
      alloc_traits::destroy(allocator_, item);
    }
    if (count != 0) consumer_.read.store(read + count, std::memory_order_release);
    return count;
  }

  // Answered from the cached write index when it shows elements, so that polling a busy ring
  // leaves the producer's line alone.
  bool empty() const noexcept {
    const size_type read = consumer_.read.load(std::memory_order_relaxed);
    return read == consumer_.write_cache && read == producer_.write.load(std::memory_order_acquire);
  }

  size_type capacity() const noexcept { return mask_ + 1; }

 private:
  static size_type checked(size_type capacity) {
    if (capacity < 2 || !std::has_single_bit(capacity)) {
      throw std::invalid_argument("spsc_ring: capacity " + std::to_string(capacity) +
                                  " is not a power of two of at least 2");
    }
    return capacity;
  }

  T* slot(size_type index) const noexcept { return slots_ + (index & mask_); }

  struct alignas(cache_line_size) producer_state {
    std::atomic<size_type> write{0};
    size_type read_cache = 0;  // consumer's read index, as last loaded
  };
  struct alignas(cache_line_size) consumer_state {
    std::atomic<size_type> read{0};
    size_type write_cache = 0;  // producer's write index, as last loaded
  };

  // Set at construction and only read afterwards, by both sides: on a line of its own, which
  // both cores keep a copy of. alignas also makes the whole ring start on a line boundary.
  alignas(cache_line_size) const size_type mask_;
  [[no_unique_address]] Allocator allocator_;
  T* const slots_;
  producer_state producer_;
  consumer_state consumer_;
};

}  // namespace percore
