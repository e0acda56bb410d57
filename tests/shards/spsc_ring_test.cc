// spsc_ring tests: single-thread semantics (full, empty, wrap-around, batches, move-only and
// tracked elements, allocation), then two threads streaming millions of messages through it.
#include <percore/shards/spsc_ring.hh>

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using percore::spsc_ring;

// Counts live instances, so that a test can tell what the ring has destroyed.
struct tracked {
  static inline int live = 0;
  int value;
  explicit tracked(int v) : value(v) { ++live; }
  tracked(tracked&& other) noexcept : value(other.value) { ++live; }
  tracked& operator=(tracked&&) = delete;
  ~tracked() { --live; }
};

// What the mesh will carry: a function to run on the other side and its (owned) argument.
struct message {
  void (*run)(std::string&);
  std::unique_ptr<std::string> argument;
};

TEST(SpscRing, RejectsCapacitiesThatAreNotPowersOfTwoOfAtLeastTwo) {
  for (std::size_t bad : {0, 1, 3, 6, 1000}) {
    try {
      spsc_ring<int> ring(bad);
      ADD_FAILURE() << "capacity " << bad << " was accepted";
    } catch (const std::invalid_argument& error) {
      EXPECT_NE(std::string(error.what()).find(std::to_string(bad)), std::string::npos)
          << error.what();
    }
  }
  EXPECT_EQ(spsc_ring<int>(2).capacity(), 2u);
  EXPECT_EQ(spsc_ring<int>(1024).capacity(), 1024u);
}

TEST(SpscRing, ProducerAndConsumerStateSitOnSeparateCacheLines) {
  static_assert(alignof(spsc_ring<std::uint64_t>) == percore::cache_line_size);
  static_assert(sizeof(spsc_ring<std::uint64_t>) == 3 * percore::cache_line_size);
}

TEST(SpscRing, FillsUpThenEmptiesInOrder) {
  spsc_ring<int> ring(4);
  EXPECT_TRUE(ring.empty());
  EXPECT_FALSE(ring.try_pop());
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(ring.try_push(i));
  EXPECT_FALSE(ring.empty());
  EXPECT_FALSE(ring.try_push(4));
  EXPECT_FALSE(ring.try_emplace(4));
  for (int i = 0; i < 4; ++i) EXPECT_EQ(ring.try_pop(), i);
  EXPECT_TRUE(ring.empty());
  EXPECT_FALSE(ring.try_pop());
}

TEST(SpscRing, WrapsAroundManyTimes) {
  spsc_ring<int> ring(4);
  int pushed = 0;
  int popped = 0;
  for (int round = 0; round < 100; ++round) {
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(ring.try_push(pushed++));
    for (int i = 0; i < 3; ++i) ASSERT_EQ(ring.try_pop(), popped++);
  }
  EXPECT_TRUE(ring.empty());
}

TEST(SpscRing, BatchPushTakesWhatFitsWhenNearlyFull) {
  spsc_ring<std::unique_ptr<int>> ring(8);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(ring.try_push(std::make_unique<int>(i)));
  std::vector<std::unique_ptr<int>> batch;
  for (int i = 6; i < 11; ++i) batch.push_back(std::make_unique<int>(i));

  EXPECT_EQ(ring.try_push_batch(batch), 2u);
  EXPECT_EQ(batch[0], nullptr);
  EXPECT_EQ(batch[1], nullptr);
  EXPECT_EQ(*batch[2], 8);  // not taken, still the caller's
  EXPECT_EQ(ring.try_push_batch(std::span(batch).subspan(2)), 0u);
  EXPECT_EQ(*batch[2], 8);

  for (int i = 0; i < 8; ++i) EXPECT_EQ(**ring.try_pop(), i);
  EXPECT_EQ(ring.try_push_batch(std::span(batch).subspan(2)), 3u);  // across the wrap
  for (int i = 8; i < 11; ++i) EXPECT_EQ(**ring.try_pop(), i);
  EXPECT_TRUE(ring.empty());
}

TEST(SpscRing, PopBatchConsumesAtMostMaxInOrder) {
  spsc_ring<int> ring(8);
  std::vector<int> seen;
  auto consume = [&](int&& value) { seen.push_back(value); };
  EXPECT_EQ(ring.pop_batch(consume, 8), 0u);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(ring.try_push(i));
  EXPECT_EQ(ring.pop_batch(consume, 3), 3u);
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(ring.pop_batch(consume, 0), 0u);
  // The freed slots are the producer's again: the ring takes a full capacity's worth more.
  for (int i = 5; i < 11; ++i) ASSERT_TRUE(ring.try_push(i));
  EXPECT_FALSE(ring.try_push(11));
  EXPECT_EQ(ring.pop_batch(consume, 64), 8u);
  std::vector<int> all(11);
  std::iota(all.begin(), all.end(), 0);
  EXPECT_EQ(seen, all);
  EXPECT_TRUE(ring.empty());
}

TEST(SpscRing, CarriesMoveOnlyMessages) {
  spsc_ring<message> ring(2);
  auto append = [](std::string& s) { s += " world"; };
  ASSERT_TRUE(ring.try_push(message{append, std::make_unique<std::string>("hello")}));
  ASSERT_TRUE(ring.try_emplace(append, std::make_unique<std::string>("goodbye")));

  message refused{append, std::make_unique<std::string>("refused")};
  EXPECT_FALSE(ring.try_push(std::move(refused)));
  ASSERT_NE(refused.argument, nullptr);  // a failed push leaves its argument alone
  EXPECT_EQ(*refused.argument, "refused");

  std::optional<message> first = ring.try_pop();
  ASSERT_TRUE(first);
  first->run(*first->argument);
  EXPECT_EQ(*first->argument, "hello world");
  auto run_it = [](message&& m) {
    m.run(*m.argument);
    EXPECT_EQ(*m.argument, "goodbye world");
  };
  EXPECT_EQ(ring.pop_batch(run_it, 1), 1u);
}

TEST(SpscRing, DestroysEverythingItTookExactlyOnce) {
  {
    spsc_ring<tracked> ring(4);
    for (int round = 0; round < 3; ++round) {  // leaves the indices past a wrap
      for (int i = 0; i < 3; ++i) ASSERT_TRUE(ring.try_emplace(i));
      ring.pop_batch([](tracked&&) {}, 3);
    }
    EXPECT_EQ(tracked::live, 0);
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(ring.try_emplace(i));
    EXPECT_FALSE(ring.try_emplace(4));  // refused: nothing constructed
    EXPECT_EQ(tracked::live, 4);
    EXPECT_EQ(ring.try_pop()->value, 0);
    EXPECT_EQ(tracked::live, 3);
  }
  EXPECT_EQ(tracked::live, 0);  // the ring's destructor took the three left over
}

TEST(SpscRing, ConsumerThatThrowsLosesOnlyTheElementItThrewOn) {
  spsc_ring<tracked> ring(4);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(ring.try_emplace(i));
  auto throw_on_one = [](tracked&& t) {
    if (t.value == 1) throw std::runtime_error("consumer failed");
  };
  EXPECT_THROW(ring.pop_batch(throw_on_one, 4), std::runtime_error);
  EXPECT_EQ(tracked::live, 2);
  EXPECT_EQ(ring.try_pop()->value, 2);
  EXPECT_TRUE(ring.try_emplace(4));  // the slots consumed before the throw are free again
  EXPECT_TRUE(ring.try_emplace(5));
  EXPECT_TRUE(ring.try_emplace(6));
  EXPECT_FALSE(ring.try_emplace(7));
}

// Counts the allocator's calls, to show that the storage is allocated once, up front.
template <class T>
struct counting_allocator {
  using value_type = T;
  int* allocations;
  int* deallocations;
  T* allocate(std::size_t n) {
    ++*allocations;
    return std::allocator<T>().allocate(n);
  }
  void deallocate(T* p, std::size_t n) {
    ++*deallocations;
    std::allocator<T>().deallocate(p, n);
  }
};

TEST(SpscRing, AllocatesItsStorageOnceWithTheGivenAllocator) {
  int allocations = 0;
  int deallocations = 0;
  {
    spsc_ring<std::uint64_t, counting_allocator<std::uint64_t>> ring(
        16, counting_allocator<std::uint64_t>{&allocations, &deallocations});
    EXPECT_EQ(allocations, 1);
    for (std::uint64_t i = 0; i < 1000; ++i) {
      ASSERT_TRUE(ring.try_push(i));
      ASSERT_EQ(ring.try_pop(), i);
    }
    EXPECT_EQ(allocations, 1);
  }
  EXPECT_EQ(deallocations, 1);
}

// The cross-thread tests stream 10,000,000 messages, a tenth of that under ThreadSanitizer (an
// order of magnitude slower), where the point is to check the ordering, not the volume.
#if defined(__SANITIZE_THREAD__)
#define SPSC_RING_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SPSC_RING_TEST_TSAN 1
#endif
#endif
#if SPSC_RING_TEST_TSAN
constexpr std::uint64_t stream_length = 1'000'000;
#else
constexpr std::uint64_t stream_length = 10'000'000;
#endif

// What the consumer saw: out_of_order counts messages that were not the one expected next.
struct received {
  std::uint64_t expected_count;
  std::uint64_t count = 0;
  std::uint64_t sum = 0;
  std::uint64_t out_of_order = 0;
  void take(std::uint64_t value) {
    if (value != count) ++out_of_order;
    sum += value;
    ++count;
  }
};

void expect_all_once_in_order(const received& r) {
  EXPECT_EQ(r.count, r.expected_count);
  EXPECT_EQ(r.out_of_order, 0u);
  EXPECT_EQ(r.sum, r.expected_count * (r.expected_count - 1) / 2);
}

// A full or empty ring makes the waiting side yield, so that the test stays correct and
// reasonably quick with more threads than cores.
received stream_one_by_one(std::size_t capacity, std::uint64_t total) {
  spsc_ring<std::uint64_t> ring(capacity);
  std::thread producer([&] {
    for (std::uint64_t i = 0; i < total; ++i) {
      while (!ring.try_push(i)) std::this_thread::yield();
    }
  });
  received r{total};
  while (r.count < total) {
    if (std::optional<std::uint64_t> value = ring.try_pop()) {
      r.take(*value);
    } else {
      std::this_thread::yield();
    }
  }
  producer.join();
  EXPECT_TRUE(ring.empty());
  return r;
}

received stream_batched(std::size_t capacity, std::uint64_t total) {
  constexpr std::size_t batch_size = 64;
  spsc_ring<std::uint64_t> ring(capacity);
  std::thread producer([&] {
    std::uint64_t batch[batch_size];
    for (std::uint64_t next = 0; next < total;) {
      const std::size_t size = std::min<std::uint64_t>(batch_size, total - next);
      std::iota(batch, batch + size, next);
      for (std::span<std::uint64_t> rest(batch, size); !rest.empty();) {
        const std::size_t pushed = ring.try_push_batch(rest);
        if (pushed == 0) std::this_thread::yield();
        rest = rest.subspan(pushed);
      }
      next += size;
    }
  });
  received r{total};
  while (r.count < total) {
    if (ring.pop_batch([&](std::uint64_t&& value) { r.take(value); }, batch_size) == 0) {
      std::this_thread::yield();
    }
  }
  producer.join();
  EXPECT_TRUE(ring.empty());
  return r;
}

TEST(SpscRingThreads, EveryMessageArrivesOnceInOrder) {
  expect_all_once_in_order(stream_one_by_one(1024, stream_length));
}

// Every message waits for the line holding the indices to cross cores (about 170 ns here), so
// this one takes seconds.
TEST(SpscRingThreads, TinyRingPushesBackWithoutDropping) {
  expect_all_once_in_order(stream_one_by_one(2, stream_length));
}

TEST(SpscRingThreads, BatchesArriveOnceInOrder) {
  expect_all_once_in_order(stream_batched(1024, stream_length));
}

// Batches of 64 into a ring of 2 are cut into partial pushes; a tenth of the volume is plenty
// for that and keeps the test to a fraction of a second.
TEST(SpscRingThreads, BatchesThroughTinyRingPushBackWithoutDropping) {
  expect_all_once_in_order(stream_batched(2, stream_length / 10));
}

// Heap payloads written by the producer and read by the consumer: under ThreadSanitizer this
// checks that publishing the write index also publishes what the element points to.
TEST(SpscRingThreads, PayloadsWrittenBeforePushAreSeenAfterPop) {
  constexpr std::uint64_t count = 100'000;
  spsc_ring<std::unique_ptr<std::uint64_t>> ring(16);
  std::thread producer([&] {
    for (std::uint64_t i = 0; i < count; ++i) {
      auto payload = std::make_unique<std::uint64_t>(i);
      while (!ring.try_push(std::move(payload))) std::this_thread::yield();
    }
  });
  std::uint64_t expected = 0;
  std::uint64_t wrong = 0;
  while (expected < count) {
    if (std::optional<std::unique_ptr<std::uint64_t>> payload = ring.try_pop()) {
      if (**payload != expected) ++wrong;
      ++expected;
    } else {
      std::this_thread::yield();
    }
  }
  producer.join();
  EXPECT_EQ(wrong, 0u);
}

}  // namespace
