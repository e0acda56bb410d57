// Timers: sleeps last at least their duration, 100,000 timers fire in deadline order,
// cancellation, periodic timers, with_timeout, recent_now.
#include <algorithm>
#include <random>
#include <vector>

#include "engine_fixture.hh"

namespace percore {
namespace {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;
using testing::on_every_backend;

class timers : public on_every_backend {};

TEST_P(timers, sleep_lasts_at_least_its_duration) {
  const auto slept = run([]() -> task<clock::duration> {
    const auto start = clock::now();
    EXPECT_TRUE(co_await sleep_for(20ms));
    co_return clock::now() - start;
  });
  EXPECT_GE(slept, 20ms);
  EXPECT_LT(slept, 2s);
}

TEST_P(timers, recent_now_follows_the_clock_one_turn_behind_at_most) {
  const bool ordered = run([]() -> task<bool> {
    bool all_ordered = true;
    for (int round = 0; round < 20; ++round) {
      const auto before = clock::now();
      EXPECT_TRUE(co_await sleep_for(1ms));  // at least one turn, which reads the clock
      const auto recent = recent_now();
      const auto after = clock::now();
      all_ordered = all_ordered && before + 1ms <= recent && recent <= after;
    }
    co_return all_ordered;
  });
  EXPECT_TRUE(ordered);
}

// A task that I/O resumes after a long wait must not see recent_now() as old as the wait (here
// 50 ms with no timer armed): the turn reads the clock after the backend's poll, before any task
// runs.
TEST_P(timers, recent_now_is_fresh_in_a_task_that_io_resumes_after_a_long_wait) {
  const bool fresh = run([]() -> task<bool> {
    const auto before = clock::now();
    EXPECT_TRUE(co_await percore::timeout(50ms));
    const auto recent = recent_now();
    co_return recent >= before + 50ms && recent <= clock::now();
  });
  EXPECT_TRUE(fresh);
}

TEST_P(timers, hundred_thousand_timers_fire_in_deadline_order) {
  constexpr int count = 100'000;
  const auto fired = run([]() -> task<std::vector<clock::time_point>> {
    std::mt19937 random(12345);
    std::uniform_int_distribution<int> offset_us(0, 200'000);
    const auto base = clock::now() + 10ms;
    std::vector<clock::time_point> order;
    order.reserve(count);
    std::vector<std::unique_ptr<timer>> all;
    all.reserve(count);
    int remaining = count;
    event done;
    for (int i = 0; i < count; ++i) {
      const auto deadline = base + std::chrono::microseconds(offset_us(random));
      auto entry = std::make_unique<timer>([&order, &remaining, &done, deadline] {
        order.push_back(deadline);
        if (--remaining == 0) done.set();
      });
      entry->arm(deadline);
      all.push_back(std::move(entry));
    }
    co_await done.wait();
    co_return order;
  });
  ASSERT_EQ(fired.size(), static_cast<std::size_t>(count));
  EXPECT_TRUE(std::is_sorted(fired.begin(), fired.end()));
}

TEST_P(timers, cancelled_timer_does_not_fire) {
  const int fired = run([]() -> task<int> {
    int calls = 0;
    timer cancelled([&calls] { ++calls; });
    timer kept([&calls] { calls += 10; });
    cancelled.arm(5ms);
    kept.arm(5ms);
    EXPECT_TRUE(cancelled.cancel());
    EXPECT_FALSE(cancelled.cancel());
    co_await sleep_for(20ms);
    co_return calls;
  });
  EXPECT_EQ(fired, 10);
}

TEST_P(timers, periodic_timer_repeats) {
  const int ticks = run([]() -> task<int> {
    int count = 0;
    timer periodic([&count] { ++count; });
    periodic.arm_periodic(5ms);
    co_await sleep_for(52ms);
    periodic.cancel();
    co_return count;
  });
  EXPECT_GE(ticks, 5);
  EXPECT_LE(ticks, 11);
}

TEST_P(timers, with_timeout_cancels_slow_work) {
  const auto outcome = run([]() -> task<std::pair<std::error_code, std::error_code>> {
    std::error_code inner_saw;
    auto slow = [&inner_saw]() -> task<result<int>> {
      auto slept = co_await sleep_for(10s);
      inner_saw = slept.error();
      if (!slept) co_return slept.error();
      co_return 1;
    };
    const auto start = clock::now();
    auto value = co_await with_timeout(20ms, slow());
    EXPECT_LT(clock::now() - start, 5s);
    co_return std::pair{value.error(), inner_saw};
  });
  EXPECT_EQ(outcome.first, std::errc::timed_out);
  EXPECT_EQ(outcome.second, std::errc::operation_canceled);
}

TEST_P(timers, with_timeout_returns_the_value_of_fast_work) {
  const int value = run([]() -> task<int> {
    auto fast = []() -> task<int> {
      co_await sleep_for(1ms);
      co_return 5;
    };
    auto outcome = co_await with_timeout(10s, fast());
    co_return outcome.value();
  });
  EXPECT_EQ(value, 5);
}

TEST_P(timers, timeout_operation_completes_after_its_duration) {
  const auto waited = run([]() -> task<clock::duration> {
    const auto start = clock::now();
    auto outcome = co_await timeout(15ms);
    EXPECT_TRUE(outcome) << outcome.error().message();
    co_return clock::now() - start;
  });
  EXPECT_GE(waited, 15ms);
}

TEST_P(timers, with_timeout_passes_on_the_childs_exception_and_disarms) {
  const bool caught = run([]() -> task<bool> {
    auto failing = []() -> task<int> {
      co_await sleep_for(1ms);
      throw std::runtime_error("child failed");
    };
    bool seen = false;
    try {
      (void)co_await with_timeout(10s, failing());
    } catch (const std::runtime_error&) {
      seen = true;
    }
    // The deadline of the call above must be gone from the timer set: arming more must work.
    EXPECT_TRUE(co_await sleep_for(1ms));
    co_return seen;
  });
  EXPECT_TRUE(caught);
}

TEST_P(timers, zero_period_is_rejected) {
  run([]() -> task<void> {
    timer periodic([] {});
    EXPECT_THROW(periodic.arm_periodic(std::chrono::nanoseconds(0)), std::invalid_argument);
    co_return;
  });
}

PERCORE_ON_EVERY_BACKEND(timers);

}  // namespace
}  // namespace percore
