// Cross-shard primitives on every backend: launch, submit_to, invoke_on_all, map_reduce, the
// mesh under load (10,000,000 ordered messages, rings of 2), stop, signals, foreign frees.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine_fixture.hh"

#include <percore/shards/launch.hh>
#include <percore/shards/mesh.hh>
#include <percore/shards/foreign_ptr.hh>
#include <percore/shards/shard_channel.hh>
#include <percore/shards/sharded.hh>
#include <percore/shards/submit_to.hh>

namespace percore {
namespace {

using namespace std::chrono_literals;

struct shard_setup {
  unsigned shards;
  std::size_t mesh_capacity;
};

class cross_shard : public ::testing::TestWithParam<io::backend_kind> {
 protected:
  launch_config config(shard_setup setup = {2, 1024}) const {
    launch_config chosen;
    chosen.engine.backend = GetParam();
    chosen.placement.smp = setup.shards;
    chosen.placement.oversubscribe = true;
    chosen.mesh_capacity = setup.mesh_capacity;
    return chosen;
  }
};

TEST_P(cross_shard, launch_returns_mains_value) {
  EXPECT_EQ(launch(config(), []() -> task<int> {
              EXPECT_EQ(this_shard_id(), 0u);
              EXPECT_EQ(shard_count(), 2u);
              co_return 7;
            }),
            7);
}

TEST_P(cross_shard, submit_to_returns_values_voids_and_tasks) {
  launch(config(), []() -> task<void> {
    EXPECT_EQ(co_await submit_to(1, [] { return this_shard_id(); }), 1u);
    std::atomic<int> touched{0};
    co_await submit_to(1, [&touched] { touched = static_cast<int>(this_shard_id()) + 10; });
    EXPECT_EQ(touched.load(), 11);
    const std::string made = co_await submit_to(1, []() -> task<std::string> {
      co_await sleep_for(1ms);
      co_return "made on shard " + std::to_string(this_shard_id());
    });
    EXPECT_EQ(made, "made on shard 1");
    EXPECT_EQ(co_await submit_to(0, [] { return this_shard_id(); }), 0u);
  });
}

TEST_P(cross_shard, exceptions_and_errors_travel_back) {
  launch(config(), []() -> task<void> {
    bool caught = false;
    try {
      co_await submit_to(1, []() -> int { throw std::runtime_error("on shard 1"); });
    } catch (const std::runtime_error& error) {
      caught = std::string(error.what()) == "on shard 1";
    }
    EXPECT_TRUE(caught);
    const result<int> failed = co_await submit_to(1, []() -> result<int> {
      return std::make_error_code(std::errc::connection_reset);
    });
    EXPECT_EQ(failed.error(), std::errc::connection_reset);
    bool out_of_range = false;
    try {
      co_await submit_to(5, [] { return 0; });
    } catch (const std::out_of_range&) {
      out_of_range = true;
    }
    EXPECT_TRUE(out_of_range);
  });
}

TEST_P(cross_shard, invoke_on_all_and_map_reduce_reach_every_shard_once) {
  for (unsigned shards : {2u, 8u}) {
    launch(config({shards, 1024}), [shards]() -> task<void> {
      auto visits = std::make_shared<std::vector<std::atomic<int>>>(shards);
      // A named callable: g++ 12 mis-destroys lambda temporaries inside co_await expressions.
      auto count_visit = [visits] { ++(*visits)[this_shard_id()]; };
      co_await invoke_on_all(count_visit);
      for (unsigned shard = 0; shard < shards; ++shard) EXPECT_EQ((*visits)[shard].load(), 1);
      const unsigned sum = co_await map_reduce([] { return this_shard_id(); }, 0u,
                                               [](unsigned total, unsigned id) { return total + id; });
      EXPECT_EQ(sum, shards * (shards - 1) / 2);
    });
  }
}

// One-way messages straight on the mesh: each pair's stream arrives whole and in order.
struct ordered_stream {
  std::uint64_t expected = 0;
  std::uint64_t out_of_order = 0;
};
thread_local ordered_stream received;

void check_order(void* payload) {
  const auto sequence = reinterpret_cast<std::uintptr_t>(payload);
  if (sequence != received.expected) ++received.out_of_order;
  received.expected = sequence + 1;
}

task<void> send_stream(unsigned to, std::uint64_t count) {
  detail::shard_endpoint& endpoint = detail::current_endpoint();
  for (std::uint64_t sequence = 0; sequence < count; ++sequence) {
    const detail::mesh_message message{&check_order, reinterpret_cast<void*>(sequence)};
    if (!endpoint.try_send(to, message)) co_await endpoint.send(to, message);
  }
}

void expect_streams_arrive(launch_config setup, std::uint64_t count) {
  launch(setup, [count]() -> task<void> {
    // Both directions at once: shard 0 -> 1 and shard 1 -> 0.
    auto reverse = spawn(submit_to(1, [count] { return send_stream(0, count); }));
    co_await send_stream(1, count);
    co_await reverse;
    // The streams are in the rings before the replies that follow them: ask for the tallies.
    const auto far = co_await submit_to(1, [] { return received; });
    EXPECT_EQ(far.expected, count);
    EXPECT_EQ(far.out_of_order, 0u);
    EXPECT_EQ(received.expected, count);
    EXPECT_EQ(received.out_of_order, 0u);
    received = {};
    co_await submit_to(1, [] { received = {}; });
  });
}

// Sanitizers slow every message down tenfold or more; they check the same paths with fewer.
#if defined(PERCORE_ASAN) || defined(__SANITIZE_THREAD__)
constexpr std::uint64_t stream_length = 1'000'000;
#else
constexpr std::uint64_t stream_length = 10'000'000;
#endif

TEST_P(cross_shard, ten_million_messages_per_pair_arrive_once_and_in_order) {
  expect_streams_arrive(config(), stream_length);
}

TEST_P(cross_shard, rings_of_two_still_deliver_everything) {
  // Every few messages the sender finds the ring full and waits to be told there is room.
  expect_streams_arrive(config({2, 2}), 20'000);
  // And request/reply traffic from many tasks at once through rings of two.
  launch(config({2, 2}), []() -> task<void> {
    std::vector<join_handle<unsigned>> calls;
    for (unsigned i = 0; i < 2000; ++i) {
      calls.push_back(spawn(submit_to(1, [i] { return i * 2; })));
    }
    unsigned index = 0;
    for (auto& call : calls) EXPECT_EQ(co_await call, 2 * index++);
  });
}

TEST_P(cross_shard, eight_shards_on_two_cpus_are_correct) {
  launch(config({8, 64}), []() -> task<void> {
    std::vector<join_handle<unsigned>> calls;
    for (unsigned round = 0; round < 100; ++round) {
      for (unsigned shard = 0; shard < shard_count(); ++shard) {
        calls.push_back(spawn(submit_to(shard, [shard] {
          // A hop from every shard to the next, and back.
          return submit_to((shard + 1) % shard_count(), [] { return this_shard_id(); });
        })));
      }
    }
    unsigned index = 0;
    for (auto& call : calls) {
      EXPECT_EQ(co_await call, (index % shard_count() + 1) % shard_count());
      ++index;
    }
  });
}

TEST_P(cross_shard, stop_from_another_shard_ends_launch_with_its_code) {
  const int code = launch(config(), []() -> task<int> {
    co_await submit_to(1, [] { stop(42); });
    auto slept = co_await sleep_for(10s);  // cancelled by the stop
    co_return slept ? 0 : 1;
  });
  EXPECT_EQ(code, 42);
}

TEST_P(cross_shard, sigterm_stops_every_shard) {
  const int code = launch(config(), []() -> task<int> {
    co_await submit_to(1, [] { ::kill(::getpid(), SIGTERM); });
    (void)co_await sleep_for(10s);
    co_return 0;
  });
  EXPECT_EQ(code, 128 + SIGTERM);
}

TEST_P(cross_shard, memory_freed_on_a_foreign_shard_goes_back_to_its_owner) {
  launch(config(), []() -> task<void> {
    frame_pool& home = frame_pool::local();
    const auto before = home.stats();
    std::vector<void*> blocks;
    for (int i = 0; i < 1000; ++i) blocks.push_back(home.allocate(64));
    co_await submit_to(1, [&blocks] {
      for (void* block : blocks) frame_pool::local().deallocate(block, 64);
    });
    // Shard 1 sends them home in a batch at its next loop turn.
    for (int i = 0; i < 1000 && home.stats().remote_deallocations - before.remote_deallocations < 1000; ++i) {
      co_await sleep_for(1ms);
    }
    const auto after = home.stats();
    EXPECT_EQ(after.remote_deallocations - before.remote_deallocations, 1000u);
    // The owner reuses them: the next allocations come from the returned blocks, no new chunk.
    for (int i = 0; i < 2000; ++i) home.deallocate(home.allocate(64), 64);
    EXPECT_EQ(home.stats().chunk_bytes, after.chunk_bytes);
  });
}

TEST(cross_shard_misuse, identity_off_the_shards_is_a_clear_error) {
  EXPECT_THROW(this_shard_id(), std::logic_error);
  EXPECT_THROW(shard_count(), std::logic_error);
  EXPECT_THROW(stop(), std::logic_error);
}

TEST(cross_shard_misuse, bad_mesh_capacity_is_rejected_before_anything_starts) {
  launch_config bad;
  bad.mesh_capacity = 3;
  try {
    launch(bad, []() -> task<void> { co_return; });
    FAIL() << "accepted";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("mesh_capacity 3"), std::string::npos) << error.what();
  }
}

INSTANTIATE_TEST_SUITE_P(backends, cross_shard, ::testing::ValuesIn(io::available_backends()),
                         testing::backend_name);

}  // namespace
}  // namespace percore

namespace percore {
namespace {

// A service that records where it was made, used and destroyed.
struct counter_service {
  explicit counter_service(int start) : value(start), home(this_shard_id()) {}
  ~counter_service() { destroyed_on.push_back(this_shard_id()); }
  int add(int amount) {
    EXPECT_EQ(this_shard_id(), home);
    return value += amount;
  }
  task<void> stop() {
    co_await yield();
    stopped_on.push_back(this_shard_id());
  }
  int value;
  unsigned home;
  static inline std::vector<unsigned> stopped_on;    // guarded by the shards' turns: sequential
  static inline std::vector<unsigned> destroyed_on;
};

class sharded_services : public cross_shard {};

struct named_service {
  named_service(std::string given_name, std::vector<int> given_numbers)
      : name(std::move(given_name)), numbers(std::move(given_numbers)) {}
  std::string name;
  std::vector<int> numbers;
};

TEST_P(sharded_services, start_copies_arguments_that_own_memory_to_every_shard) {
  std::vector<std::string> seen;
  launch(config({3, 64}), [&seen]() -> task<void> {
    sharded<named_service> named;
    // Named first: g++ 12 rejects a braced list inside a co_await expression.
    const std::string name(100, 'n');
    const std::vector<int> numbers{1, 2, 3};
    co_await named.start(name, numbers);
    for (unsigned shard = 0; shard < shard_count(); ++shard) {
      auto describe = [&named] {
        const named_service& here = named.local();
        return here.name.substr(0, 3) + std::to_string(here.numbers.size());
      };
      seen.push_back(co_await submit_to(shard, describe));
    }
    co_await named.stop();
  });
  EXPECT_EQ(seen, (std::vector<std::string>{"nnn3", "nnn3", "nnn3"}));
}

TEST_P(sharded_services, one_instance_per_shard_started_and_stopped_in_order) {
  counter_service::stopped_on.clear();
  counter_service::destroyed_on.clear();
  launch(config({4, 64}), []() -> task<void> {
    sharded<counter_service> counters;
    co_await counters.start(10);
    EXPECT_EQ(counters.local().add(1), 11);
    EXPECT_EQ(co_await counters.invoke_on(2, &counter_service::add, 5), 15);
    EXPECT_EQ(co_await counters.invoke_on(2, &counter_service::add, 5), 20);
    EXPECT_EQ(co_await counters.invoke_on(3, &counter_service::add, 1), 11);
    co_await counters.stop();
  });
  EXPECT_EQ(counter_service::stopped_on, (std::vector<unsigned>{3, 2, 1, 0}));
  EXPECT_EQ(counter_service::destroyed_on, (std::vector<unsigned>{3, 2, 1, 0}));
}

TEST_P(sharded_services, services_left_running_are_stopped_at_the_end_in_reverse_order) {
  counter_service::destroyed_on.clear();
  static std::vector<int> order;
  order.clear();
  struct first_service {
    ~first_service() { order.push_back(1); }
  };
  struct second_service {
    ~second_service() { order.push_back(2); }
  };
  launch(config(), []() -> task<void> {
    // Static so that they outlive main: the launch stops them after main returns.
    static sharded<first_service> first;
    static sharded<second_service> second;
    co_await first.start();
    co_await second.start();
  });
  // Each service is destroyed on both shards, the second service before the first.
  EXPECT_EQ(order, (std::vector<int>{2, 2, 1, 1}));
}

struct placed_object {
  ~placed_object() { destroyed_on = static_cast<int>(this_shard_id()); }
  static inline std::atomic<int> destroyed_on{-1};
};

TEST_P(sharded_services, foreign_ptr_is_destroyed_on_its_owner) {
  placed_object::destroyed_on = -1;
  launch(config(), []() -> task<void> {
    foreign_ptr<placed_object> travelled =
        co_await submit_to(1, [] { return make_foreign<placed_object>(); });
    EXPECT_EQ(travelled.owner_shard(), 1u);
    travelled.reset();  // on shard 0: sent home
    for (int i = 0; i < 1000 && placed_object::destroyed_on.load() < 0; ++i) {
      co_await sleep_for(1ms);
    }
    EXPECT_EQ(placed_object::destroyed_on.load(), 1);
  });
}

INSTANTIATE_TEST_SUITE_P(backends, sharded_services, ::testing::ValuesIn(io::available_backends()),
                         testing::backend_name);

}  // namespace
}  // namespace percore

namespace percore {
namespace {

class channels : public cross_shard {};

TEST_P(channels, values_cross_in_order_through_a_tiny_channel_and_close_ends_it) {
  launch(config(), []() -> task<void> {
    constexpr int count = 20'000;
    auto channel = std::make_shared<shard_channel<std::unique_ptr<int>>>(1, 0, 2);
    auto producer = spawn(submit_to(1, [channel]() -> task<void> {
      for (int i = 0; i < count; ++i) {
        EXPECT_TRUE(co_await channel->send(std::make_unique<int>(i)));
      }
      channel->close();
      EXPECT_EQ((co_await channel->send(std::make_unique<int>(-1))).error(), std::errc::broken_pipe);
    }));
    int expected = 0;
    while (auto value = co_await channel->receive()) {
      EXPECT_EQ(**value, expected);
      ++expected;
    }
    EXPECT_EQ(expected, count);
    co_await producer;
  });
}

INSTANTIATE_TEST_SUITE_P(backends, channels, ::testing::ValuesIn(io::available_backends()),
                         testing::backend_name);

}  // namespace
}  // namespace percore

namespace percore {
namespace {

class memory_cap : public cross_shard {};

task<void> park_until(event& release) { (void)co_await release.wait(); }

TEST_P(memory_cap, a_shard_past_its_cap_gets_an_allocation_failure_and_carries_on) {
  launch_config capped = config();
  capped.memory_per_shard = std::size_t{4} << 20;
  launch(capped, []() -> task<void> {
    const std::string failure = co_await submit_to(1, []() -> task<std::string> {
      event release;
      std::string message;
      std::size_t parked = 0;
      try {
        for (;;) {
          spawn(park_until(release)).detach();
          ++parked;
        }
      } catch (const memory_limit_exceeded& error) {
        message = error.what();
      }
      EXPECT_GT(parked, 1000u);
      release.set();
      co_await yield();
      // The parked tasks are gone and their blocks are back in the pool: the shard goes on
      // spawning tasks of that size (chunks stay with the pool once taken).
      for (std::size_t i = 0; i < parked; ++i) co_await spawn(park_until(release));
      co_return message;
    });
    EXPECT_NE(failure.find("memory limit of 4194304 bytes"), std::string::npos) << failure;
  });
}

INSTANTIATE_TEST_SUITE_P(backends, memory_cap, ::testing::ValuesIn(io::available_backends()),
                         testing::backend_name);

}  // namespace
}  // namespace percore
