// frame_pool: chunks from mmap (aligned so a block finds its chunk, and its owner, by masking
// its address), carved by bump pointer, recycled through per-size-class free lists.
#include <percore/engine/frame_pool.hh>

#include <sched.h>
#include <sys/mman.h>

#include <memory>
#include <mutex>
#include <new>

namespace percore {
namespace {

// Chunks of pools that ended, kept for the next pool of the process (a shard thread of a later
// launch, or the next chunk of a growing pool) instead of unmapped. Unmapping memory that was
// touched, while other shards run, interrupts each of them for a TLB shoot-down; that was a
// tenth of a 2-shard program's start-up and shut-down here. Only a few are kept, each with the
// NUMA node its pages were touched on, so that a shard never gets another node's memory.
class chunk_cache {
 public:
  static constexpr int untouched = -1;  // fresh pages: placed wherever they are first touched

  void* take(int node) noexcept {
    std::lock_guard hold(lock_);
    for (std::size_t index = count_; index-- > 0;) {
      if (entries_[index].node != node && entries_[index].node != untouched) continue;
      void* chunk = entries_[index].chunk;
      entries_[index] = entries_[--count_];
      return chunk;
    }
    return nullptr;
  }
  // False when full: the caller unmaps the chunk.
  bool keep(void* chunk, int node) noexcept {
    std::lock_guard hold(lock_);
    if (count_ == capacity) return false;
    entries_[count_++] = {chunk, node};
    // A block used after its pool ended is a bug ASan should name.
    PERCORE_POISON(chunk, frame_pool::chunk_size);
    return true;
  }

 private:
  struct entry {
    void* chunk;
    int node;
  };
  static constexpr std::size_t capacity = 4;
  std::mutex lock_;
  entry entries_[capacity] = {};
  std::size_t count_ = 0;
};
// Trivially destructible, so it outlives every thread's pool, the main thread's included.
constinit chunk_cache spare_chunks;

int current_node() noexcept {
  unsigned cpu = 0;
  unsigned node = 0;
  return ::getcpu(&cpu, &node) == 0 ? static_cast<int>(node) : 0;
}

void release_chunk(void* chunk, int node) noexcept {
  if (!spare_chunks.keep(chunk, node)) ::munmap(chunk, frame_pool::chunk_size);
}

// Maps `chunk_size` bytes aligned to `chunk_size`: twice as much is mapped, then the unaligned
// ends are returned; when the mapping happens to be aligned (the kernel aligns large anonymous
// mappings for huge pages), its second half is a spare chunk instead. Pages are only touched,
// and so only resident, when blocks are carved from them.
void* map_aligned_chunk() {
  if (void* spare = spare_chunks.take(current_node())) return spare;
  const std::size_t span = frame_pool::chunk_size * 2;
  void* mapped = ::mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<std::uintptr_t>(mapped);
  const auto aligned = (start + frame_pool::chunk_size - 1) & ~(frame_pool::chunk_size - 1);
  if (aligned == start) {
    release_chunk(reinterpret_cast<void*>(start + frame_pool::chunk_size), chunk_cache::untouched);
    return mapped;
  }
  ::munmap(mapped, aligned - start);
  const auto end = start + span;
  const auto aligned_end = aligned + frame_pool::chunk_size;
  ::munmap(reinterpret_cast<void*>(aligned_end), end - aligned_end);
  return reinterpret_cast<void*>(aligned);
}

struct local_pool_owner {
  std::unique_ptr<frame_pool> pool;
  ~local_pool_owner() { detail::local_frame_pool = nullptr; }
};
thread_local local_pool_owner local_owner;

}  // namespace

frame_pool& detail::create_local_frame_pool() {
  local_owner.pool = std::make_unique<frame_pool>();
  detail::local_frame_pool = local_owner.pool.get();
  return *local_owner.pool;
}

frame_pool::~frame_pool() {
  // A shard's pool ends on its own, pinned, thread: its node is where the pages were touched.
  const int node = current_node();
  while (chunks_ != nullptr) {
    chunk_header* next = chunks_->next_chunk;
    release_chunk(chunks_, node);
    chunks_ = next;
  }
}

void frame_pool::check_limit(std::size_t more) const {
  if (limit_ == 0) return;
  const std::size_t used = chunk_bytes_ + large_bytes_.load(std::memory_order_relaxed);
  if (used + more > limit_) {
    throw memory_limit_exceeded("percore: shard memory limit of " + std::to_string(limit_) +
                                " bytes reached (" + std::to_string(used) + " in use, " +
                                std::to_string(more) + " more asked)");
  }
}

void frame_pool::add_chunk() {
  check_limit(chunk_size);
  auto* chunk = static_cast<chunk_header*>(map_aligned_chunk());
  // The chunk may have belonged to a pool of a thread that has exited: clear its poison.
  PERCORE_UNPOISON(chunk, chunk_size);
  chunk->owner = this;
  chunk->next_chunk = chunks_;
  chunks_ = chunk;
  chunk_bytes_ += chunk_size;
  // The header takes the first granule-aligned bytes; blocks follow.
  bump_ = reinterpret_cast<char*>(chunk) + ((sizeof(chunk_header) + granule - 1) / granule) * granule;
  bump_end_ = reinterpret_cast<char*>(chunk) + chunk_size;
}

void* frame_pool::allocate_slow(std::size_t index) {
  collect_remote_frees();
  if (free_block* block = free_lists_[index]) {
    PERCORE_UNPOISON(block, (index + 1) * granule);
    free_lists_[index] = block->next;
    ++allocations_;
    return block;
  }
  ++allocations_;
  return carve((index + 1) * granule);
}

void* frame_pool::carve(std::size_t block_size) {
  // Whole-line blocks start on a line (see line_aligned_above); the bytes skipped stay unused.
  const std::uintptr_t alignment = block_size % cache_line == 0 ? cache_line : granule;
  const auto aligned = [alignment](char* at) {
    const auto address = reinterpret_cast<std::uintptr_t>(at);
    return at + (((address + alignment - 1) & ~(alignment - 1)) - address);
  };
  char* block = bump_ == nullptr ? nullptr : aligned(bump_);
  if (block == nullptr || block > bump_end_ ||
      static_cast<std::size_t>(bump_end_ - block) < block_size) {
    add_chunk();
    block = aligned(bump_);
  }
  bump_ = block + block_size;
  return block;
}

namespace {

constexpr std::size_t page_size = 4096;

// A span starts with a page holding this, so that whichever thread frees it can credit its
// owner's count.
struct span_header {
  frame_pool* owner;
  std::size_t mapped;
};

}  // namespace

void* frame_pool::allocate_large(std::size_t size) {
  ++large_allocations_;
  if (size <= largest_medium) {
    const std::size_t index = medium_class_of(size);
    if (medium_free_lists_[index] == nullptr) collect_remote_frees();
    if (free_block* block = medium_free_lists_[index]) {
      PERCORE_UNPOISON(block, largest_block << (index + 1));
      medium_free_lists_[index] = block->next;
      return block;
    }
    return carve(largest_block << (index + 1));
  }
  const std::size_t mapped = (size + page_size + page_size - 1) / page_size * page_size;
  check_limit(mapped);
  void* span = ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (span == MAP_FAILED) throw std::bad_alloc();
  auto* header = static_cast<span_header*>(span);
  header->owner = this;
  header->mapped = mapped;
  large_bytes_.fetch_add(mapped, std::memory_order_relaxed);
  return static_cast<char*>(span) + page_size;
}

void frame_pool::deallocate_large(void* pointer, std::size_t size) noexcept {
  if (size <= largest_medium) {
    chunk_header* chunk = chunk_of(pointer);
    if (chunk->owner != this) return free_foreign(*chunk->owner, pointer, size);
    const std::size_t index = medium_class_of(size);
    push_free(medium_free_lists_[index], pointer, largest_block << (index + 1));
    return;
  }
  auto* header = reinterpret_cast<span_header*>(static_cast<char*>(pointer) - page_size);
  header->owner->large_bytes_.fetch_sub(header->mapped, std::memory_order_relaxed);
  ::munmap(header, header->mapped);
}

void frame_pool::deallocate_remote(void* pointer, std::size_t size) noexcept {
  auto* block = static_cast<remote_block*>(pointer);
  block->size = static_cast<std::uint32_t>(size);
  block->next = remote_frees_.load(std::memory_order_relaxed);
  while (!remote_frees_.compare_exchange_weak(block->next, block, std::memory_order_release,
                                              std::memory_order_relaxed)) {
  }
  remote_deallocations_.fetch_add(1, std::memory_order_relaxed);
}

void frame_pool::free_foreign(frame_pool& owner, void* pointer, std::size_t size) noexcept {
  if (holding_) {
    for (held_batch& batch : held_) {
      if (batch.owner != &owner && batch.owner != nullptr) continue;
      batch.owner = &owner;
      auto* block = static_cast<remote_block*>(pointer);
      block->size = static_cast<std::uint32_t>(size);
      block->next = batch.first;
      batch.first = block;
      held_any_ = true;
      return;
    }
  }
  owner.deallocate_remote(pointer, size);
}

void frame_pool::hold_foreign_frees(bool hold) noexcept {
  if (!hold) {
    for (held_batch& batch : held_) {
      if (batch.first != nullptr) batch.owner->give_back(std::exchange(batch.first, nullptr));
      batch.owner = nullptr;
    }
    held_any_ = false;
  }
  holding_ = hold;
}

void frame_pool::give_back(void* batch) noexcept {
  for (auto* block = static_cast<remote_block*>(batch); block != nullptr;) {
    remote_block* next = block->next;
    deallocate_remote(block, block->size);
    block = next;
  }
}

void frame_pool::take_back(void* batch) noexcept {
  std::uint64_t count = 0;
  for (auto* block = static_cast<remote_block*>(batch); block != nullptr; ++count) {
    remote_block* next = block->next;
    return_to_lists(block);
    block = next;
  }
  remote_deallocations_.fetch_add(count, std::memory_order_relaxed);
}

void frame_pool::return_to_lists(remote_block* block) noexcept {
  auto& list = block->size > largest_block ? medium_free_lists_[medium_class_of(block->size)]
                                           : free_lists_[class_of(block->size)];
  auto* freed = reinterpret_cast<free_block*>(block);
  freed->next = list;
  list = freed;
}

void frame_pool::collect_remote_frees() noexcept {
  if (remote_frees_.load(std::memory_order_relaxed) == nullptr) return;
  remote_block* block = remote_frees_.exchange(nullptr, std::memory_order_acquire);
  while (block != nullptr) {
    remote_block* next = block->next;
    return_to_lists(block);
    block = next;
  }
}

frame_pool::statistics frame_pool::stats() const noexcept {
  return {allocations_, deallocations_, remote_deallocations_.load(std::memory_order_relaxed),
          large_allocations_, chunk_bytes_, large_bytes_.load(std::memory_order_relaxed)};
}

}  // namespace percore
