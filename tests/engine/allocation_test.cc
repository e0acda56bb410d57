// Spawning does not touch the global allocator in steady state: every coroutine frame comes
// from the shard's frame_pool. Counts calls to a replaced global operator new.
#include <atomic>
#include <cstdlib>
#include <new>

#include "engine_fixture.hh"

namespace {
std::atomic<long> global_allocations{0};
}

void* operator new(std::size_t size) {
  global_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* memory = std::malloc(size == 0 ? 1 : size)) return memory;
  throw std::bad_alloc();
}
void operator delete(void* memory) noexcept { std::free(memory); }
void operator delete(void* memory, std::size_t) noexcept { std::free(memory); }

namespace percore {
namespace {

task<int> trivial(int value) { co_return value + 1; }

TEST(allocation, spawn_and_join_use_no_global_allocation_in_steady_state) {
  const long counted = testing::run_on(io::backend_kind::epoll, []() -> task<long> {
    long sum = 0;
    // Warm-up: the pool takes its first chunk and the executor sizes its queues.
    for (int i = 0; i < 1000; ++i) sum += co_await spawn(trivial(i));
    const long before = global_allocations.load();
    for (int i = 0; i < 100'000; ++i) sum += co_await spawn(trivial(i));
    const long during = global_allocations.load() - before;
    EXPECT_GT(sum, 0);
    co_return during;
  });
  EXPECT_EQ(counted, 0);
}

TEST(allocation, frames_come_from_the_pool) {
  const auto before = frame_pool::local().stats();
  testing::run_on(io::backend_kind::epoll, []() -> task<void> {
    for (int i = 0; i < 1000; ++i) co_await spawn(trivial(i));
  });
  const auto after = frame_pool::local().stats();
  EXPECT_GE(after.allocations - before.allocations, 1000u);
  EXPECT_EQ(after.allocations - before.allocations, after.deallocations - before.deallocations);
}

}  // namespace
}  // namespace percore
