// percore-load's network part end to end, on every backend, over real loopback sockets: servers
// run on shard 0 of the same launch, the load on both shards; figures and errors are checked.
#include "bench/load/load_run.hh"

#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include <percore/engine/spawn.hh>
#include <percore/engine/timer.hh>
#include <percore/net/http/server.hh>
#include <percore/net/tcp_stream.hh>
#include <percore/shards/launch.hh>
#include <percore/shards/sharded.hh>
#include <percore/shards/submit_to.hh>

#include "bench/load/load_plan.hh"
#include "bench/load/shard_load.hh"
#include "tests/engine_fixture.hh"

namespace percore::load {
namespace {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

net::tcp_listener listen_on_any_port() {
  return net::tcp_listener::bind(net::socket_address::ipv4_loopback(0)).value();
}

net::socket_address address_of(const net::tcp_listener& listener) {
  return listener.local_address().value();
}

// What a test server does with the bytes it receives.
enum class server_behaviour { echo, change_a_byte, stay_silent };

// A TCP server on the calling shard. It keeps its connections' tasks so that stop() can end
// them before it goes away.
class test_server {
 public:
  explicit test_server(server_behaviour behaviour)
      : behaviour_(behaviour), listener_(listen_on_any_port()) {
    accepting_ = spawn(accept_connections());
  }

  net::socket_address address() const { return address_of(listener_); }
  std::uint64_t bytes_received() const noexcept { return bytes_received_; }

  task<void> stop() {
    accepting_.cancel();
    co_await accepting_;
    for (join_handle<void>& connection : connections_) connection.cancel();
    for (join_handle<void>& connection : connections_) co_await connection;
  }

 private:
  task<void> accept_connections() {
    for (;;) {
      result<net::tcp_stream> accepted = co_await listener_.accept();
      if (!accepted) co_return;
      connections_.push_back(spawn(serve(std::move(accepted.value()))));
    }
  }

  task<void> serve(net::tcp_stream stream) {
    std::vector<std::byte> buffer(16 * 1024);
    for (;;) {
      result<std::size_t> got = co_await stream.read(buffer);
      if (!got || *got == 0) co_return;
      bytes_received_ += *got;
      if (behaviour_ == server_behaviour::stay_silent) continue;
      if (behaviour_ == server_behaviour::change_a_byte) buffer[0] ^= std::byte{0x20};
      const std::span<const std::byte> answer(buffer.data(), *got);
      if (!co_await stream.write_all(answer)) co_return;
    }
  }

  server_behaviour behaviour_;
  net::tcp_listener listener_;
  join_handle<void> accepting_;
  std::vector<join_handle<void>> connections_;
  std::uint64_t bytes_received_ = 0;
};

load_options options_for(std::string url) {
  load_options options;
  options.target = parse_target_url(url);
  options.connections = 6;
  options.duration = 300ms;
  options.message_size = 100;
  return options;
}

std::string url_of(std::string_view scheme, const net::socket_address& address,
                   std::string_view path = "") {
  return std::string(scheme) + "://" + address.to_string() + std::string(path);
}

class load_run : public ::testing::TestWithParam<io::backend_kind> {
 protected:
  // Returns launch's status: main's, or the code given to stop().
  template <class Main>
  int run_on_two_shards(Main main) {
    launch_config config;
    config.engine.backend = GetParam();
    config.placement.smp = 2;
    config.placement.oversubscribe = true;
    return launch(config, std::move(main));
  }

  // Runs the load of `options` against `address`, and also gives the test what the report
  // leaves out.
  static task<result<load_result>> run(load_options options, net::socket_address address) {
    const std::vector<net::socket_address> addresses{address};
    task<result<load_result>> running = run_load(options, addresses);
    co_return co_await std::move(running);
  }
};

// Drives the shards as run_load does, but keeps the merged histogram and the running totals.
struct whole_run {
  window_figures figures;
  progress_counts totals;
};

task<whole_run> run_by_hand(load_options options, net::socket_address address) {
  sharded<shard_load> loads;
  const load_plan plan{.options = options, .address = address};
  co_await loads.start(std::cref(plan));
  auto open_here = [&loads] { return loads.local().open(); };
  auto add_openings = [](opening_outcome total, opening_outcome shard) { return total + shard; };
  task<opening_outcome> opening = map_reduce(open_here, opening_outcome{}, add_openings);
  const opening_outcome opened = co_await std::move(opening);
  EXPECT_EQ(opened.attempted, options.connections);
  EXPECT_EQ(opened.failed, 0u);
  const load_timeline timeline = timeline_starting_at(options, clock::now() + 10ms);
  auto begin_here = [&loads, timeline] { return loads.local().begin(timeline); };
  co_await invoke_on_all(begin_here);
  (void)co_await sleep_until(timeline.window_end);
  const clock::time_point end = timeline.window_end;
  auto finish_here = [&loads, end] { return loads.local().finish(end); };
  auto merge = [](window_figures total, window_figures shard) { return std::move(total) + shard; };
  task<window_figures> finishing = map_reduce(finish_here, window_figures{}, merge);
  whole_run outcome;
  outcome.figures = co_await std::move(finishing);
  auto count_here = [&loads] { return loads.local().progress(); };
  auto add = [](progress_counts total, progress_counts shard) { return total + shard; };
  task<progress_counts> counting = map_reduce(count_here, progress_counts{}, add);
  outcome.totals = co_await std::move(counting);
  co_await loads.stop();
  co_return outcome;
}

TEST_P(load_run, every_echo_is_checked_and_every_answer_timed) {
  whole_run outcome;
  std::uint64_t bytes_received = 0;
  const load_options options = options_for("tcp://127.0.0.1:1");
  run_on_two_shards([&]() -> task<void> {
    test_server server(server_behaviour::echo);
    task<whole_run> running = run_by_hand(options, server.address());
    outcome = co_await std::move(running);
    co_await server.stop();
    bytes_received = server.bytes_received();
  });
  EXPECT_GT(outcome.figures.requests, 0u);
  EXPECT_EQ(outcome.figures.latencies.count(), outcome.figures.requests);
  EXPECT_EQ(outcome.figures.errors.total(), 0u);
  EXPECT_EQ(outcome.totals.errors, 0u);
  EXPECT_GE(outcome.totals.answered, outcome.figures.requests);
  // Each connection has at most one message the server echoed and the load did not record.
  const std::uint64_t messages = bytes_received / options.message_size;
  EXPECT_GE(messages, outcome.totals.answered);
  EXPECT_LE(messages, outcome.totals.answered + options.connections);
}

TEST_P(load_run, large_messages_are_echoed_piece_by_piece) {
  result<load_result> outcome = std::errc::not_connected;
  run_on_two_shards([&outcome]() -> task<void> {
    test_server server(server_behaviour::echo);
    load_options options = options_for(url_of("tcp", server.address()));
    options.connections = 2;
    options.message_size = 300 * 1024;
    task<result<load_result>> running = run(options, server.address());
    outcome = co_await std::move(running);
    co_await server.stop();
  });
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_GT(outcome->requests, 0u);
  EXPECT_EQ(outcome->errors.total(), 0u);
  EXPECT_EQ(outcome->shards, 2u);
}

TEST_P(load_run, a_wrong_echo_is_a_bad_answer_never_a_latency) {
  result<load_result> outcome = std::errc::not_connected;
  run_on_two_shards([&outcome]() -> task<void> {
    test_server server(server_behaviour::change_a_byte);
    task<result<load_result>> running =
        run(options_for(url_of("tcp", server.address())), server.address());
    outcome = co_await std::move(running);
    co_await server.stop();
  });
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_EQ(outcome->requests, 0u);
  EXPECT_GT(outcome->errors.answer, 0u);
  EXPECT_EQ(outcome->errors.total(), outcome->errors.answer);
  EXPECT_EQ(outcome->latency.max, 0ns);
}

TEST_P(load_run, an_answer_that_never_comes_is_a_timeout) {
  result<load_result> outcome = std::errc::not_connected;
  run_on_two_shards([&outcome]() -> task<void> {
    test_server server(server_behaviour::stay_silent);
    load_options options = options_for(url_of("tcp", server.address()));
    options.connections = 2;
    options.timeout = 40ms;
    task<result<load_result>> running = run(options, server.address());
    outcome = co_await std::move(running);
    co_await server.stop();
  });
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_EQ(outcome->requests, 0u);
  EXPECT_GT(outcome->errors.timeout, 0u);
  EXPECT_EQ(outcome->errors.total(), outcome->errors.timeout);
}

TEST_P(load_run, an_open_loop_sends_no_more_than_its_rate) {
  result<load_result> outcome = std::errc::not_connected;
  std::uint64_t bytes_received = 0;
  const std::size_t message_size = 100;
  const std::size_t connections = 6;
  run_on_two_shards([&]() -> task<void> {
    test_server server(server_behaviour::echo);
    load_options options = options_for(url_of("tcp", server.address()));
    options.rate = 1000;
    options.message_size = message_size;
    options.connections = connections;
    task<result<load_result>> running = run(options, server.address());
    outcome = co_await std::move(running);
    co_await server.stop();
    bytes_received = server.bytes_received();
  });
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_GT(outcome->requests, 0u);
  // 1000 requests/s for 0.3 s: the schedule has no more due in the window (a closed loop would
  // send thousands).
  EXPECT_LE(outcome->requests, 300u);
  EXPECT_LE(bytes_received, (300u + connections) * message_size);
  EXPECT_EQ(outcome->errors.total(), 0u);
}

TEST_P(load_run, http_answers_count_and_other_statuses_are_errors) {
  result<load_result> answered = std::errc::not_connected;
  result<load_result> refused = std::errc::not_connected;
  std::uint64_t bad_requests = 1;
  run_on_two_shards([&]() -> task<void> {
    net::tcp_listener listener = listen_on_any_port();
    const net::socket_address address = address_of(listener);
    net::http::server http;
    http.route("GET", "/", [](net::http::exchange& call) -> task<void> {
      (void)co_await call.respond(net::http::status::ok, {}, "Hello, World!");
    });
    join_handle<void> serving = spawn(http.serve(listener));
    task<result<load_result>> hello = run(options_for(url_of("http", address, "/")), address);
    answered = co_await std::move(hello);
    task<result<load_result>> missing =
        run(options_for(url_of("http", address, "/missing")), address);
    refused = co_await std::move(missing);
    co_await http.stop();
    co_await serving;
    bad_requests = http.stats().bad_requests;
  });
  ASSERT_TRUE(answered) << answered.error().message();
  EXPECT_GT(answered->requests, 0u);
  EXPECT_EQ(answered->errors.total(), 0u);
  EXPECT_EQ(bad_requests, 0u);
  ASSERT_TRUE(refused) << refused.error().message();
  EXPECT_EQ(refused->requests, 0u);
  EXPECT_GT(refused->errors.answer, 0u);
}

TEST_P(load_run, an_interrupted_run_reports_its_shorter_window) {
  result<load_result> outcome = std::errc::not_connected;
  const int status = run_on_two_shards([&]() -> task<void> {
    test_server server(server_behaviour::echo);
    load_options options = options_for(url_of("tcp", server.address()));
    options.duration = 10s;
    // What SIGINT does: every shard is asked to stop, and main's wait is cancelled.
    spawn([]() -> task<void> {
      co_await sleep_for(200ms);
      stop(130);
    }).detach();
    task<result<load_result>> running = run(options, server.address());
    outcome = co_await std::move(running);
    co_await server.stop();
  });
  ASSERT_TRUE(outcome) << outcome.error().message();
  EXPECT_GT(outcome->requests, 0u);
  EXPECT_LT(outcome->elapsed, 5s);
  EXPECT_GT(outcome->elapsed, 0s);
  EXPECT_EQ(outcome->errors.total(), 0u);
  EXPECT_EQ(status, 130);
}

TEST_P(load_run, a_port_nobody_listens_on_is_refused) {
  result<load_result> outcome = load_result{};
  run_on_two_shards([&outcome]() -> task<void> {
    net::socket_address closed_port;
    {
      net::tcp_listener listener = listen_on_any_port();
      closed_port = address_of(listener);
    }
    task<result<load_result>> running = run(options_for(url_of("tcp", closed_port)), closed_port);
    outcome = co_await std::move(running);
  });
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error(), std::errc::connection_refused);
}

INSTANTIATE_TEST_SUITE_P(backends, load_run, ::testing::ValuesIn(io::available_backends()),
                         testing::backend_name);

}  // namespace
}  // namespace percore::load
