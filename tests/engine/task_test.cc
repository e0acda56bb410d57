// task<T>: values and exceptions reach the awaiter, deep chains do not grow the stack,
// misuse is a clear error.
#include <stdexcept>
#include <string>
#include <utility>

#include <percore/engine/maybe_ready.hh>

#include "engine_fixture.hh"

namespace percore {
namespace {

using testing::run_on;
constexpr auto any_backend = io::backend_kind::epoll;

task<int> answer() { co_return 42; }
task<std::string> greeting(std::string name) { co_return "hello " + name; }
task<void> fail() {
  throw std::runtime_error("boom");
  co_return;
}
task<int> depth(int remaining) {
  if (remaining == 0) co_return 0;
  co_return 1 + co_await depth(remaining - 1);
}

TEST(task, value_reaches_the_awaiter) {
  EXPECT_EQ(run_on(any_backend, []() -> task<int> { co_return co_await answer(); }), 42);
  EXPECT_EQ(run_on(any_backend, []() -> task<std::string> { co_return co_await greeting("you"); }),
            "hello you");
}

TEST(task, exception_reaches_the_awaiter) {
  const bool caught = run_on(any_backend, []() -> task<bool> {
    try {
      co_await fail();
    } catch (const std::runtime_error& error) {
      co_return std::string(error.what()) == "boom";
    }
    co_return false;
  });
  EXPECT_TRUE(caught);
}

TEST(task, exception_from_main_reaches_run) {
  EXPECT_THROW(run_on(any_backend, []() -> task<void> { co_await fail(); }), std::runtime_error);
}

// Ready when asked for an even number; otherwise the task that computes it.
maybe_ready<int> doubled_when_odd(int number, int& frames) {
  if (number % 2 == 0) return number;
  return [](int odd, int& started) -> task<int> {
    ++started;
    co_await yield();
    co_return odd * 2;
  }(number, frames);
}

TEST(task, maybe_ready_gives_a_ready_value_without_a_task_and_awaits_the_task_otherwise) {
  const auto [sum, frames] = run_on(any_backend, []() -> task<std::pair<int, int>> {
    int started = 0;
    int total = 0;
    for (int number = 0; number < 10; ++number) total += co_await doubled_when_odd(number, started);
    co_return std::pair{total, started};
  });
  EXPECT_EQ(sum, (0 + 2 + 4 + 6 + 8) + 2 * (1 + 3 + 5 + 7 + 9));
  EXPECT_EQ(frames, 5);
}

TEST(task, maybe_ready_rethrows_the_task_s_exception) {
  EXPECT_THROW(run_on(any_backend, []() -> task<void> {
                 maybe_ready<void*> failing = []() -> task<void*> {
                   throw std::runtime_error("boom");
                   co_return nullptr;
                 }();
                 (void)co_await failing;
               }),
               std::runtime_error);
}

TEST(task, a_task_is_lazy) {
  bool started = false;
  run_on(any_backend, [&]() -> task<void> {
    // A named lambda: its captures must outlive the coroutine, which only starts when awaited.
    auto body = [&]() -> task<void> {
      started = true;
      co_return;
    };
    auto work = body();
    EXPECT_FALSE(started);
    co_await std::move(work);
    EXPECT_TRUE(started);
  });
}

// Symmetric transfer: a million nested awaits of already-complete work run in constant stack.
TEST(task, million_deep_chain_does_not_overflow_the_stack) {
  EXPECT_EQ(run_on(any_backend, []() -> task<int> { co_return co_await depth(1'000'000); }),
            1'000'000);
}

TEST(task, million_sequential_awaits) {
  const long total = run_on(any_backend, []() -> task<long> {
    long sum = 0;
    for (int i = 0; i < 1'000'000; ++i) sum += co_await answer();
    co_return sum;
  });
  EXPECT_EQ(total, 42'000'000L);
}

TEST(task, awaiting_a_moved_from_task_is_a_clear_error) {
  const std::string message = run_on(any_backend, []() -> task<std::string> {
    task<int> first = answer();
    task<int> second = std::move(first);
    std::string message = "no error";
    try {
      co_await first;
    } catch (const std::logic_error& error) {
      message = error.what();
    }
    EXPECT_EQ(co_await second, 42);
    co_return message;
  });
  EXPECT_NE(message.find("moved from or already awaited"), std::string::npos) << message;
}

TEST(task, awaiting_a_task_twice_is_a_clear_error) {
  const bool caught = run_on(any_backend, []() -> task<bool> {
    task<int> once = answer();
    EXPECT_EQ(co_await once, 42);
    try {
      co_await once;
    } catch (const std::logic_error&) {
      co_return true;
    }
    co_return false;
  });
  EXPECT_TRUE(caught);
}

TEST(task, an_unawaited_task_is_destroyed_without_running) {
  int runs = 0;
  run_on(any_backend, [&]() -> task<void> {
    auto body = [&]() -> task<void> {
      ++runs;
      co_return;
    };
    { auto never = body(); }
    co_return;
  });
  EXPECT_EQ(runs, 0);
}

}  // namespace
}  // namespace percore
