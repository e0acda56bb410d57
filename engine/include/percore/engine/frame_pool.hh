// frame_pool: the per-thread (per-shard) allocator for coroutine frames, engine objects and
// buffers, so that spawning a task never reaches the global allocator in steady state.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

#if defined(__SANITIZE_ADDRESS__)
#define PERCORE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PERCORE_ASAN 1
#endif
#endif
#if PERCORE_ASAN
#include <sanitizer/asan_interface.h>
// Freed blocks are poisoned so that AddressSanitizer sees a use of a destroyed frame.
#define PERCORE_POISON(pointer, size) ASAN_POISON_MEMORY_REGION(pointer, size)
#define PERCORE_UNPOISON(pointer, size) ASAN_UNPOISON_MEMORY_REGION(pointer, size)
#else
#define PERCORE_POISON(pointer, size) ((void)(pointer), (void)(size))
#define PERCORE_UNPOISON(pointer, size) ((void)(pointer), (void)(size))
#endif

#include <new>
#include <string>
#include <utility>

namespace percore {

// What a pool throws when its limit would be passed: an allocation failure that says which
// limit, not a crash.
class memory_limit_exceeded : public std::bad_alloc {
 public:
  explicit memory_limit_exceeded(std::string message) : message_(std::move(message)) {}
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string message_;
};

class frame_pool {
 public:
  // Small blocks are multiples of this, up to `largest_block`. Medium requests (up to
  // `largest_medium`) get a power-of-two block from the same chunks; larger ones get a span of
  // pages of their own.
  static constexpr std::size_t granule = 16;
  // Blocks larger than this are whole cache lines, line-aligned: a connection's frame is
  // brought into the cache line by line on every completion, and a frame that starts mid-line
  // costs a line more each time (its promise and resume pointer alone would straddle two).
  static constexpr std::size_t line_aligned_above = 256;
  static constexpr std::size_t cache_line = 64;
  static constexpr std::size_t largest_block = 1024;
  static constexpr std::size_t largest_medium = std::size_t{256} << 10;
  // Memory is taken from the system in aligned chunks of this size, on demand.
  static constexpr std::size_t chunk_size = std::size_t{1} << 20;

  frame_pool() = default;
  ~frame_pool();
  frame_pool(const frame_pool&) = delete;
  frame_pool& operator=(const frame_pool&) = delete;

  void* allocate(std::size_t size) {
    if (size > largest_block) return allocate_large(size);
    const std::size_t index = class_of(size);
    if (free_block* block = free_lists_[index]) {
      PERCORE_UNPOISON(block, (index + 1) * granule);
      free_lists_[index] = block->next;
      ++allocations_;
      return block;
    }
    return allocate_slow(index);
  }

  // `size` must be the size given to allocate(). Safe from any thread: a block freed on a
  // thread that does not own it goes back to its owner.
  void deallocate(void* pointer, std::size_t size) noexcept {
    if (size > largest_block) return deallocate_large(pointer, size);
    chunk_header* chunk = chunk_of(pointer);
    if (chunk->owner != this) return free_foreign(*chunk->owner, pointer, size);
    const std::size_t index = class_of(size);
    push_free(free_lists_[index], pointer, (index + 1) * granule);
    ++deallocations_;
  }

  // While holding, blocks of other pools freed here are kept in a batch per owner until
  // flush_held() hands each batch over, instead of going home one by one through the owner's
  // lock-free list. The shard layer holds, and sends the batches home through its mesh once per
  // loop turn. Turning it off sends what is held home the lock-free way.
  void hold_foreign_frees(bool hold) noexcept;
  // Calls send(owner, batch) for every owner with held blocks; `batch` must reach
  // owner.take_back(batch) on the owner's thread.
  template <class Send>
  void flush_held(Send&& send) {
    if (!held_any_) return;
    held_any_ = false;
    for (held_batch& batch : held_) {
      if (batch.first == nullptr) continue;
      send(*batch.owner, static_cast<void*>(std::exchange(batch.first, nullptr)));
    }
  }
  // On this pool's thread: takes back a batch of its blocks freed elsewhere.
  void take_back(void* batch) noexcept;
  // From any thread: the same, block by block through the lock-free list.
  void give_back(void* batch) noexcept;

  // Caps the memory this pool takes from the system (chunks plus large blocks), in bytes; 0
  // means no cap. Past it, allocate() throws memory_limit_exceeded.
  void set_limit(std::size_t bytes) noexcept { limit_ = bytes; }
  std::size_t limit() const noexcept { return limit_; }

  struct statistics {
    std::uint64_t allocations;        // small blocks handed out
    std::uint64_t deallocations;      // small blocks returned on the owning thread
    std::uint64_t remote_deallocations;  // small blocks returned from another thread
    std::uint64_t large_allocations;  // medium blocks and spans handed out
    std::size_t chunk_bytes;          // memory taken from the system in chunks
    std::size_t large_bytes;          // spans outstanding (header page included)
  };
  statistics stats() const noexcept;

  // The calling thread's pool, created on first use and destroyed when the thread exits.
  static frame_pool& local();

 private:
  struct free_block {
    free_block* next;
  };
  struct remote_block {
    remote_block* next;
    std::uint32_t size;
  };
  struct chunk_header {
    frame_pool* owner;
    chunk_header* next_chunk;
  };
  static constexpr std::size_t class_count = largest_block / granule;
  // Medium classes: 2 KiB, 4 KiB, ... largest_medium.
  static constexpr std::size_t medium_class_count = 8;
  static_assert((largest_block << medium_class_count) == largest_medium);

  static std::size_t medium_class_of(std::size_t size) noexcept {
    std::size_t index = 0;
    while ((largest_block << (index + 1)) < size) ++index;
    return index;
  }
  void* carve(std::size_t block_size);

  static void push_free(free_block*& list, void* pointer, std::size_t block_size) noexcept {
    auto* block = static_cast<free_block*>(pointer);
    block->next = list;
    list = block;
    // The link stays readable; the rest of the block is poisoned until handed out again.
    PERCORE_POISON(reinterpret_cast<char*>(pointer) + sizeof(free_block),
                   block_size - sizeof(free_block));
  }

  static std::size_t class_of(std::size_t size) noexcept {
    if (size > line_aligned_above) size = (size + cache_line - 1) & ~(cache_line - 1);
    return size == 0 ? 0 : (size - 1) / granule;
  }
  static chunk_header* chunk_of(void* pointer) noexcept {
    return reinterpret_cast<chunk_header*>(reinterpret_cast<std::uintptr_t>(pointer) &
                                           ~(chunk_size - 1));
  }

  void* allocate_slow(std::size_t index);
  void* allocate_large(std::size_t size);
  void deallocate_large(void* pointer, std::size_t size) noexcept;
  void deallocate_remote(void* pointer, std::size_t size) noexcept;
  void free_foreign(frame_pool& owner, void* pointer, std::size_t size) noexcept;
  void return_to_lists(remote_block* block) noexcept;
  void collect_remote_frees() noexcept;
  void add_chunk();
  void check_limit(std::size_t more) const;

  std::array<free_block*, class_count> free_lists_{};
  std::array<free_block*, medium_class_count> medium_free_lists_{};
  char* bump_ = nullptr;
  char* bump_end_ = nullptr;
  chunk_header* chunks_ = nullptr;
  std::size_t chunk_bytes_ = 0;
  std::uint64_t allocations_ = 0;
  std::uint64_t deallocations_ = 0;
  std::uint64_t large_allocations_ = 0;
  std::size_t limit_ = 0;
  // Large blocks may be freed on any thread, which returns their bytes here.
  std::atomic<std::size_t> large_bytes_{0};
  std::atomic<std::uint64_t> remote_deallocations_{0};
  // Blocks freed by other threads; taken back in bulk when a free list runs dry.
  std::atomic<remote_block*> remote_frees_{nullptr};
  // Foreign frees held for their owners (a fixed table: freeing must not allocate).
  struct held_batch {
    frame_pool* owner = nullptr;
    remote_block* first = nullptr;
  };
  std::array<held_batch, 64> held_{};
  // Whether a batch has blocks: most loop turns free nothing foreign, and then the flush of
  // every turn looks at one flag instead of the whole table.
  bool held_any_ = false;
  bool holding_ = false;
};

namespace detail {
// The calling thread's pool, or null before its first use (a plain pointer: no TLS wrapper).
constinit inline thread_local frame_pool* local_frame_pool = nullptr;
frame_pool& create_local_frame_pool();
}  // namespace detail

inline frame_pool& frame_pool::local() {
  if (frame_pool* pool = detail::local_frame_pool) [[likely]] return *pool;
  return detail::create_local_frame_pool();
}

}  // namespace percore
