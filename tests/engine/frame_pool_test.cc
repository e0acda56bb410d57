// frame_pool: small size classes, medium power-of-two blocks, page spans; reuse, frees from
// other threads, the memory cap.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include <percore/engine/frame_pool.hh>

namespace percore {
namespace {

TEST(frame_pool, blocks_of_every_kind_are_writable_and_reused) {
  frame_pool pool;
  for (std::size_t size : {std::size_t{1}, std::size_t{96}, std::size_t{1024}, std::size_t{1025},
                           std::size_t{4000}, std::size_t{256} << 10, (std::size_t{256} << 10) + 1,
                           std::size_t{3} << 20}) {
    void* first = pool.allocate(size);
    std::memset(first, 0xab, size);
    pool.deallocate(first, size);
    void* second = pool.allocate(size);
    if (size <= frame_pool::largest_medium) EXPECT_EQ(first, second) << size;  // from its free list
    std::memset(second, 0xcd, size);
    pool.deallocate(second, size);
  }
}

// Interleaved with small blocks, so that the bump pointer is mid-line when each is carved.
TEST(frame_pool, blocks_above_256_bytes_are_whole_aligned_cache_lines) {
  frame_pool pool;
  struct taken_block {
    void* block;
    std::size_t size;
    std::size_t whole;
    unsigned char pattern;
  };
  std::vector<taken_block> taken;
  std::vector<void*> small;
  unsigned char pattern = 1;
  for (std::size_t size : {std::size_t{257}, std::size_t{300}, std::size_t{432}, std::size_t{1000},
                           std::size_t{1024}, std::size_t{4096}}) {
    small.push_back(pool.allocate(16));
    void* block = pool.allocate(size);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(block) % frame_pool::cache_line, 0u) << size;
    // To the end of its last line: the rounding is the block's own, not a neighbour's bytes.
    const std::size_t whole = (size + frame_pool::cache_line - 1) / frame_pool::cache_line *
                              frame_pool::cache_line;
    std::memset(block, pattern, whole);
    taken.push_back({block, size, whole, pattern++});
  }
  for (const taken_block& each : taken) {
    for (std::size_t at = 0; at < each.whole; ++at) {
      ASSERT_EQ(static_cast<unsigned char*>(each.block)[at], each.pattern) << each.size << " " << at;
    }
  }
  // Small blocks stay packed 16 bytes apart.
  void* first = pool.allocate(48);
  void* second = pool.allocate(48);
  EXPECT_EQ(static_cast<char*>(second) - static_cast<char*>(first), 48);
  pool.deallocate(first, 48);
  pool.deallocate(second, 48);
  for (void* block : small) pool.deallocate(block, 16);
  for (const taken_block& each : taken) pool.deallocate(each.block, each.size);
}

TEST(frame_pool, spans_are_counted_and_returned) {
  frame_pool pool;
  const std::size_t size = std::size_t{2} << 20;
  void* span = pool.allocate(size);
  EXPECT_GE(pool.stats().large_bytes, size);
  pool.deallocate(span, size);
  EXPECT_EQ(pool.stats().large_bytes, 0u);
}

TEST(frame_pool, blocks_freed_on_another_thread_go_back_to_their_owner) {
  frame_pool pool;
  std::vector<void*> small, medium;
  for (int i = 0; i < 100; ++i) {
    small.push_back(pool.allocate(64));
    medium.push_back(pool.allocate(8000));
  }
  std::thread([&] {
    for (void* block : small) frame_pool::local().deallocate(block, 64);
    for (void* block : medium) frame_pool::local().deallocate(block, 8000);
  }).join();
  EXPECT_EQ(pool.stats().remote_deallocations, 200u);
  const std::size_t chunks = pool.stats().chunk_bytes;
  for (int i = 0; i < 100; ++i) {
    pool.allocate(64);
    pool.allocate(8000);
  }
  EXPECT_EQ(pool.stats().chunk_bytes, chunks);  // served from the returned blocks
}

TEST(frame_pool, the_cap_is_a_clear_allocation_failure) {
  frame_pool pool;
  pool.set_limit(std::size_t{2} << 20);
  EXPECT_THROW(pool.allocate(std::size_t{4} << 20), memory_limit_exceeded);
  std::vector<void*> blocks;
  try {
    for (;;) blocks.push_back(pool.allocate(512));
  } catch (const memory_limit_exceeded& error) {
    EXPECT_NE(std::string(error.what()).find("limit of 2097152 bytes"), std::string::npos);
  }
  EXPECT_GT(blocks.size(), 2000u);
  for (void* block : blocks) pool.deallocate(block, 512);
  EXPECT_NO_THROW(pool.deallocate(pool.allocate(512), 512));
}

}  // namespace
}  // namespace percore
