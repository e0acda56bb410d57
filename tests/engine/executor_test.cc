// Task queues: CPU shares are honoured, latency queues run first, yield is fair.
#include <atomic>
#include <chrono>
#include <vector>

#include "engine_fixture.hh"

namespace percore {
namespace {

using namespace std::chrono_literals;
using testing::run_on;
constexpr auto any_backend = io::backend_kind::epoll;

// Burns CPU for about `duration` without yielding.
void spin_for(std::chrono::nanoseconds duration) {
  const auto end = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < end) {
  }
}

TEST(executor, cpu_bound_queues_share_by_their_shares) {
  const double share = run_on(any_backend, []() -> task<double> {
    engine& self = *engine::current();
    const auto light = self.create_task_queue({.shares = 100, .latency = false, .name = "light"});
    const auto heavy = self.create_task_queue({.shares = 300, .latency = false, .name = "heavy"});
    bool stop = false;
    auto burn = [&stop]() -> task<void> {
      while (!stop) {
        spin_for(20us);
        co_await maybe_yield();
      }
    };
    auto first = spawn(light, burn());
    auto second = spawn(heavy, burn());
    co_await sleep_for(1500ms);
    stop = true;
    co_await first;
    co_await second;
    const double light_time = static_cast<double>(self.tasks().queue_runtime(light).count());
    const double heavy_time = static_cast<double>(self.tasks().queue_runtime(heavy).count());
    co_return light_time / (light_time + heavy_time);
  });
  EXPECT_NEAR(share, 0.25, 0.05);
}

TEST(executor, latency_queue_preempts_a_busy_queue) {
  const auto waited = run_on(any_backend, []() -> task<std::chrono::microseconds> {
    engine& self = *engine::current();
    const auto batch = self.create_task_queue({.shares = 1000, .latency = false, .name = "batch"});
    const auto urgent = self.create_task_queue({.shares = 1000, .latency = true, .name = "urgent"});
    bool stop = false;
    // Many short tasks keep the batch queue busy for whole time slices.
    auto busy = [&stop]() -> task<void> {
      while (!stop) {
        spin_for(5us);
        co_await yield();
      }
    };
    std::vector<join_handle<void>> workers;
    for (int i = 0; i < 8; ++i) workers.push_back(spawn(batch, busy()));
    co_await sleep_for(20ms);
    std::chrono::microseconds worst{0};
    for (int round = 0; round < 20; ++round) {
      const auto woken_at = std::make_shared<std::chrono::steady_clock::time_point>();
      const auto started = std::chrono::steady_clock::now();
      auto probe = spawn(urgent, [woken_at]() -> task<void> {
        *woken_at = std::chrono::steady_clock::now();
        co_return;
      });
      co_await probe;
      worst = std::max(worst, std::chrono::duration_cast<std::chrono::microseconds>(*woken_at - started));
    }
    stop = true;
    for (auto& worker : workers) co_await worker;
    co_return worst;
  });
  // Without preemption the probe would wait behind 8 busy tasks of a 500 µs slice each turn.
  EXPECT_LT(waited, 400us);
}

TEST(executor, yield_lets_other_tasks_run_in_order) {
  const std::vector<int> order = run_on(any_backend, []() -> task<std::vector<int>> {
    std::vector<int> seen;
    auto step = [&seen](int id) -> task<void> {
      for (int round = 0; round < 3; ++round) {
        seen.push_back(id * 10 + round);
        co_await yield();
      }
    };
    auto a = spawn(step(1));
    auto b = spawn(step(2));
    co_await a;
    co_await b;
    co_return seen;
  });
  EXPECT_EQ(order, (std::vector<int>{10, 20, 11, 21, 12, 22}));
}

TEST(executor, maybe_yield_does_not_yield_within_the_slice) {
  const bool other_ran = run_on(any_backend, []() -> task<bool> {
    bool ran = false;
    auto other = spawn([&ran]() -> task<void> {
      ran = true;
      co_return;
    });
    for (int i = 0; i < 10; ++i) co_await maybe_yield();
    const bool seen = ran;
    co_await other;
    co_return seen;
  });
  EXPECT_FALSE(other_ran);
}

TEST(executor, bad_task_queue_shares_are_rejected) {
  EXPECT_THROW(run_on(any_backend,
                      []() -> task<void> {
                        engine::current()->create_task_queue({.shares = 0});
                        co_return;
                      }),
               std::invalid_argument);
}

}  // namespace
}  // namespace percore
