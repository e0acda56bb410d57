// spawn and join handles: a million tasks, detach, cancel, errors through joins, misuse.
#include <stdexcept>
#include <string>
#include <vector>

#include "engine_fixture.hh"

namespace percore {
namespace {

using namespace std::chrono_literals;
using testing::run_on;
constexpr auto any_backend = io::backend_kind::epoll;

TEST(spawn, million_spawned_tasks_complete) {
  constexpr int count = 1'000'000;
  const long sum = run_on(any_backend, []() -> task<long> {
    long total = 0;
    auto add = [](long& into, int value) -> task<void> {
      into += value;
      co_return;
    };
    std::vector<join_handle<void>> handles;
    handles.reserve(count);
    for (int i = 0; i < count; ++i) handles.push_back(spawn(add(total, 1)));
    for (auto& handle : handles) co_await handle;
    co_return total;
  });
  EXPECT_EQ(sum, count);
}

TEST(spawn, join_returns_the_value) {
  EXPECT_EQ(run_on(any_backend, []() -> task<int> {
              auto handle = spawn([]() -> task<int> {
                co_await yield();
                co_return 7;
              });
              co_return co_await handle;
            }),
            7);
}

TEST(spawn, lambda_captures_live_until_the_task_ends) {
  const std::string seen = run_on(any_backend, []() -> task<std::string> {
    std::string captured(100, 'x');
    auto handle = spawn([captured]() -> task<std::string> {
      co_await sleep_for(1ms);  // the spawning statement is long over by now
      co_await yield();
      co_return captured;
    });
    co_return co_await handle;
  });
  EXPECT_EQ(seen, std::string(100, 'x'));
}

TEST(spawn, exception_travels_through_join) {
  EXPECT_THROW(run_on(any_backend, []() -> task<void> {
                 auto handle = spawn([]() -> task<void> {
                   co_await yield();
                   throw std::runtime_error("in child");
                 });
                 co_await handle;
               }),
               std::runtime_error);
}

TEST(spawn, detached_tasks_run_to_completion) {
  int finished = 0;
  run_on(any_backend, [&]() -> task<void> {
    for (int i = 0; i < 100; ++i) {
      spawn([&finished]() -> task<void> {
        co_await yield();
        ++finished;
      }).detach();
    }
    while (finished < 100) co_await yield();
    co_await yield();  // let the last ones reach their final suspend and free themselves
    EXPECT_EQ(engine::current()->tasks().live_tasks(), 1u);  // only main is left
  });
  EXPECT_EQ(finished, 100);
}

TEST(spawn, joining_twice_is_a_clear_error) {
  const std::string message = run_on(any_backend, []() -> task<std::string> {
    auto handle = spawn([]() -> task<int> { co_return 1; });
    co_await handle;
    try {
      co_await handle;
    } catch (const std::logic_error& error) {
      co_return error.what();
    }
    co_return "no error";
  });
  EXPECT_NE(message.find("already awaited"), std::string::npos) << message;
}

TEST(spawn, cancel_ends_a_sleep_with_operation_canceled) {
  const std::error_code outcome = run_on(any_backend, []() -> task<std::error_code> {
    auto handle = spawn([]() -> task<std::error_code> {
      auto slept = co_await sleep_for(1h);
      co_return slept.error();
    });
    co_await yield();  // let it start sleeping
    handle.cancel();
    co_return co_await handle;
  });
  EXPECT_EQ(outcome, std::errc::operation_canceled);
}

TEST(spawn, cancel_before_the_first_wait_is_seen_at_that_wait) {
  const std::error_code outcome = run_on(any_backend, []() -> task<std::error_code> {
    auto handle = spawn([]() -> task<std::error_code> {
      co_return (co_await sleep_for(1h)).error();
    });
    handle.cancel();
    co_return co_await handle;
  });
  EXPECT_EQ(outcome, std::errc::operation_canceled);
}

TEST(spawn, cancelling_the_joiner_cancels_the_joined_task) {
  const std::error_code outcome = run_on(any_backend, []() -> task<std::error_code> {
    auto outer = spawn([]() -> task<std::error_code> {
      auto inner = spawn([]() -> task<std::error_code> {
        co_return (co_await sleep_for(1h)).error();
      });
      co_return co_await inner;
    });
    co_await yield();
    co_await yield();
    outer.cancel();
    co_return co_await outer;
  });
  EXPECT_EQ(outcome, std::errc::operation_canceled);
}

TEST(spawn, a_joiner_cancelled_before_it_joins_cancels_the_joined_task) {
  const std::error_code outcome = run_on(any_backend, []() -> task<std::error_code> {
    auto outer = spawn([]() -> task<std::error_code> {
      auto inner = spawn([]() -> task<std::error_code> {
        co_return (co_await sleep_for(1h)).error();
      });
      co_await yield();  // the cancellation arrives here, before the join starts
      co_return co_await inner;
    });
    outer.cancel();
    co_return co_await outer;
  });
  EXPECT_EQ(outcome, std::errc::operation_canceled);
}

TEST(spawn, event_wakes_every_waiter_and_cancel_removes_one) {
  const int woken = run_on(any_backend, []() -> task<int> {
    event ready;
    int count = 0;
    std::vector<join_handle<result<void>>> waiters;
    for (int i = 0; i < 10; ++i) {
      waiters.push_back(spawn([&ready, &count]() -> task<result<void>> {
        auto outcome = co_await ready.wait();
        if (outcome) ++count;
        co_return outcome;
      }));
    }
    co_await yield();
    waiters[3].cancel();
    ready.set();
    for (int i = 0; i < 10; ++i) {
      auto outcome = co_await waiters[i];
      EXPECT_EQ(i == 3, !outcome.has_value()) << i;
    }
    co_return count;
  });
  EXPECT_EQ(woken, 9);
}

TEST(spawn, stopping_engine_cancels_tasks_parked_on_events_and_runs_their_destructors) {
  struct counted {
    int* destroyed;
    ~counted() { ++*destroyed; }
  };
  int destroyed = 0;
  std::error_code seen;
  {
    event never;  // outlives the engine's run: nobody ever sets it
    run_on(any_backend, [&]() -> task<void> {
      for (int i = 0; i < 10; ++i) {
        spawn([&](int) -> task<void> {
          counted guard{&destroyed};
          seen = (co_await never.wait()).error();
        }, i).detach();
      }
      co_await yield();
      EXPECT_EQ(engine::current()->tasks().live_tasks(), 11u);
    });
  }
  EXPECT_EQ(destroyed, 10);
  EXPECT_EQ(seen, std::errc::operation_canceled);
}

TEST(spawn, arguments_reach_the_callable_by_reference_or_moved_when_move_only) {
  engine runner;
  const int total = runner.run([]() -> task<int> {
    // By reference: the callable sees the copy kept in the task's frame.
    auto add_to = [](std::vector<int>& numbers, int more) -> task<int> {
      numbers.push_back(more);
      co_return static_cast<int>(numbers.size());
    };
    // By value, move-only: handed over.
    auto take = [](std::unique_ptr<int> owned) -> task<int> { co_return *owned; };
    // Named first: g++ 12 mishandles these temporaries inside a co_await expression.
    std::vector<int> numbers{1, 2};
    join_handle<int> sizing = spawn(add_to, std::move(numbers), 3);
    join_handle<int> taking = spawn(take, std::make_unique<int>(40));
    const int size = co_await sizing;
    const int taken = co_await taking;
    co_return size + taken;
  });
  EXPECT_EQ(total, 43);
}

TEST(spawn, io_outside_an_engine_is_a_clear_error) {
  EXPECT_THROW(spawn([]() -> task<void> { co_return; }).detach(), std::logic_error);
}

}  // namespace
}  // namespace percore
