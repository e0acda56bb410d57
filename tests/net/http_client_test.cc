// http::client and client_connection against percore's own server (and raw listeners that
// misbehave) over loopback, on every backend: reuse, pipelining, bodies, limits, retries, timeouts.
#include <percore/engine/engine.hh>
#include <percore/engine/spawn.hh>
#include <percore/engine/timer.hh>
#include <percore/engine/with_timeout.hh>
#include <percore/net/connect.hh>
#include <percore/net/http/client.hh>
#include <percore/net/http/client_connection.hh>
#include <percore/net/http/parse_error.hh>
#include <percore/net/http/server.hh>
#include <percore/net/tcp_stream.hh>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "../engine_fixture.hh"

// ThreadSanitizer brings its own global operator new: the allocation count needs ours.
#if defined(__SANITIZE_THREAD__)
#define PERCORE_COUNTS_ALLOCATIONS 0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PERCORE_COUNTS_ALLOCATIONS 0
#endif
#endif
#ifndef PERCORE_COUNTS_ALLOCATIONS
#define PERCORE_COUNTS_ALLOCATIONS 1
#endif

#if PERCORE_COUNTS_ALLOCATIONS
namespace {
std::atomic<long> global_allocations{0};
}

// Not inlined, nor the deletes: g++ would see malloc's memory reach operator delete (or operator
// new's reach free) and warn of a mismatch.
[[gnu::noinline]] void* operator new(std::size_t size) {
  global_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* memory = std::malloc(size == 0 ? 1 : size)) return memory;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* memory) noexcept { std::free(memory); }
[[gnu::noinline]] void operator delete(void* memory, std::size_t) noexcept { std::free(memory); }
#endif

namespace percore::net::http {
namespace {

using namespace std::chrono_literals;

class http_client : public testing::on_every_backend {};
PERCORE_ON_EVERY_BACKEND(http_client);

std::span<const std::byte> bytes_of(std::string_view text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

// 'a', 'b', ... 'z', 'a', ...: a body whose every byte is checked, not only its size.
std::string pattern(std::size_t size) {
  std::string text(size, ' ');
  for (std::size_t index = 0; index < size; ++index) text[index] = static_cast<char>('a' + index % 26);
  return text;
}

constexpr std::size_t many_chunks = 200;
constexpr std::size_t chunk_size = 1000;

void add_test_routes(server& served) {
  served.route("GET", "/", [](exchange& call) -> task<void> {
    const header type[] = {{"Content-Type", "text/plain"}};
    (void)co_await call.respond(status::ok, type, "Hello, World!");
  });
  served.route("POST", "/echo", [](exchange& call) -> task<void> {
    std::string body;
    if (!co_await call.read_body(body, 4 << 20)) {
      (void)co_await call.respond(status::bad_request);
      co_return;
    }
    (void)co_await call.respond(status::ok, {}, body);
  });
  served.route_prefix("GET", "/item", [](exchange& call) -> task<void> {
    (void)co_await call.respond(status::ok, {}, call.request().path());
  });
  served.route("GET", "/chunks", [](exchange& call) -> task<void> {
    (void)co_await call.respond_chunked(status::ok);
    (void)co_await call.write_chunk(bytes_of("first,"));
    (void)co_await call.write_chunk(bytes_of("second"));
    (void)co_await call.finish_chunks();
  });
  served.route("GET", "/many-chunks", [](exchange& call) -> task<void> {
    const std::string all = pattern(many_chunks * chunk_size);
    (void)co_await call.respond_chunked(status::ok);
    for (std::size_t index = 0; index < many_chunks; ++index) {
      const std::string_view piece = std::string_view(all).substr(index * chunk_size, chunk_size);
      if (!co_await call.write_chunk(bytes_of(piece))) co_return;
    }
    (void)co_await call.finish_chunks();
  });
  served.route("GET", "/big", [](exchange& call) -> task<void> {
    const std::string big = pattern(64 * 1024);
    (void)co_await call.respond(status::ok, {}, big);
  });
  served.route("GET", "/slow", [](exchange& call) -> task<void> {
    co_await sleep_for(30ms);
    (void)co_await call.respond(status::ok, {}, "slow");
  });
  served.route("GET", "/sleep", [](exchange& call) -> task<void> {
    co_await sleep_for(600ms);
    (void)co_await call.respond(status::ok, {}, "late");
  });
  served.route("GET", "/close", [](exchange& call) -> task<void> {
    // The server would keep the connection; the client must still honour the field.
    const header close_field[] = {{"Connection", "close"}};
    (void)co_await call.respond(status::ok, close_field, "bye");
  });
}

client_options test_options() {
  client_options options;
  options.request_timeout = 5s;
  options.connect_timeout = 2s;
  return options;
}

// Runs a server on an ephemeral port for `test`, then stops it; returns what `test` returned.
template <class Test>
auto with_server(server_options options, Test test) {
  using outcome = typename std::invoke_result_t<Test, socket_address, server&>::value_type;
  return [options, test]() -> task<outcome> {
    server served(options);
    add_test_routes(served);
    result<tcp_listener> listener = tcp_listener::bind(socket_address::ipv4_loopback(0));
    if (!listener) throw std::system_error(listener.error());
    const socket_address address = listener->local_address().value();
    join_handle<void> serving = spawn(served.serve(*listener));
    auto value = co_await test(address, served);
    co_await served.stop();
    co_await serving;
    co_return value;
  };
}

// A peer that reads the requests, writes the `parts` of its reply as they are, 20 ms apart (so
// that the client reads them separately), and closes; when `then_wait`, it first waits up to
// 5 s for the client to close, so that the client sees the bytes, not the end of the stream.
task<void> answer_raw(tcp_listener& listener, std::vector<std::string> parts, bool then_wait) {
  result<tcp_stream> accepted = co_await listener.accept();
  if (!accepted) co_return;
  tcp_stream& peer = accepted.value();
  std::byte buffer[4096];
  auto read_once = [&]() -> task<result<std::size_t>> { co_return co_await peer.read(buffer); };
  (void)co_await with_timeout(5s, read_once());
  for (std::size_t index = 0; index < parts.size(); ++index) {
    if (index > 0) co_await sleep_for(20ms);
    (void)co_await peer.write_all(bytes_of(parts[index]));
  }
  if (then_wait) (void)co_await with_timeout(5s, read_once());
  (void)co_await peer.close();
}

// A raw peer on an ephemeral port for `test`, answering one connection with `parts`.
template <class Test>
auto with_raw_peer(std::vector<std::string> parts, bool then_wait, Test test) {
  using outcome = typename std::invoke_result_t<Test, socket_address>::value_type;
  return [parts, then_wait, test]() -> task<outcome> {
    result<tcp_listener> listener = tcp_listener::bind(socket_address::ipv4_loopback(0));
    if (!listener) throw std::system_error(listener.error());
    const socket_address address = listener->local_address().value();
    join_handle<void> answering = spawn(answer_raw(*listener, parts, then_wait));
    auto value = co_await test(address);
    co_await answering;
    co_return value;
  };
}

// A connection with the default options in `slot`, which outlives it.
task<client_connection*> open_connection(socket_address at, std::optional<client_connection>& slot) {
  result<tcp_stream> connected = co_await net::connect(at, 2s);
  slot.emplace(std::move(connected.value()));
  co_return &*slot;
}

TEST_P(http_client, a_get_gives_the_status_and_the_body) {
  const client_response response = run(with_server({}, [](socket_address at, server&) -> task<client_response> {
    client pool(at, test_options());
    result<client_response> got = co_await pool.request("GET", "/");
    co_return got.value();
  }));
  EXPECT_EQ(response.code, status::ok);
  EXPECT_EQ(response.body, "Hello, World!");
}

TEST_P(http_client, the_response_view_shows_the_head) {
  struct seen {
    unsigned code;
    std::string type;
    std::string length;
    std::string body;
    bool keep_alive;
    std::string coding;
    std::size_t gathered_size;
  };
  const seen outcome = run(with_server({}, [](socket_address at, server&) -> task<seen> {
    std::optional<client_connection> slot;
    client_connection& connection = *co_await open_connection(at, slot);
    (co_await connection.send("GET", "/")).value();
    const response_view response = (co_await connection.receive()).value();
    seen result_seen{static_cast<unsigned>(response.code),
                     std::string(response.find_header("content-type").value_or("")),
                     std::string(response.find_header("Content-Length").value_or("")),
                     std::string(response.body), response.keep_alive, "", 0};
    // A body far larger than the input buffer: the head's bytes there are long overwritten.
    (co_await connection.send("GET", "/many-chunks")).value();
    const response_view gathered = (co_await connection.receive()).value();
    result_seen.coding = std::string(gathered.find_header("Transfer-Encoding").value_or(""));
    result_seen.gathered_size = gathered.body.size();
    co_return result_seen;
  }));
  EXPECT_EQ(outcome.code, 200u);
  EXPECT_EQ(outcome.type, "text/plain");
  EXPECT_EQ(outcome.length, "13");
  EXPECT_EQ(outcome.body, "Hello, World!");
  EXPECT_TRUE(outcome.keep_alive);
  EXPECT_EQ(outcome.coding, "chunked");
  EXPECT_EQ(outcome.gathered_size, many_chunks * chunk_size);
}

TEST_P(http_client, keep_alive_serves_sequential_requests_on_one_connection) {
  struct counts {
    client_stats stats;
    std::uint64_t accepted;
    int good;
  };
  const counts outcome = run(with_server({}, [](socket_address at, server& served) -> task<counts> {
    client pool(at, test_options());
    int good = 0;
    for (int index = 0; index < 100; ++index) {
      result<client_response> got = co_await pool.request("GET", "/");
      if (got && got.value().body == "Hello, World!") ++good;
    }
    co_return counts{pool.stats(), served.stats().connections_accepted, good};
  }));
  EXPECT_EQ(outcome.good, 100);
  EXPECT_EQ(outcome.stats.connections_opened, 1u);
  EXPECT_EQ(outcome.stats.connections_reused, 99u);
  EXPECT_EQ(outcome.stats.requests, 100u);
  EXPECT_EQ(outcome.stats.retries, 0u);
  EXPECT_EQ(outcome.accepted, 1u);
}

TEST_P(http_client, pipelined_requests_are_answered_in_order) {
  struct seen {
    std::vector<std::string> bodies;
    std::size_t pending_after_sends;
    std::uint64_t accepted;
  };
  const seen outcome = run(with_server({}, [](socket_address at, server& served) -> task<seen> {
    std::optional<client_connection> slot;
    client_connection& connection = *co_await open_connection(at, slot);
    std::vector<std::string> targets;
    for (int index = 0; index < 32; ++index) targets.push_back("/item/" + std::to_string(index));
    for (const std::string& target : targets) (co_await connection.send("GET", target)).value();
    seen result_seen{{}, connection.pending(), 0};
    for (std::size_t index = 0; index < targets.size(); ++index) {
      result<response_view> response = co_await connection.receive();
      result_seen.bodies.emplace_back(response ? response.value().body : "error");
    }
    result_seen.accepted = served.stats().connections_accepted;
    co_return result_seen;
  }));
  EXPECT_EQ(outcome.pending_after_sends, 32u);
  ASSERT_EQ(outcome.bodies.size(), 32u);
  for (std::size_t index = 0; index < outcome.bodies.size(); ++index) {
    EXPECT_EQ(outcome.bodies[index], "/item/" + std::to_string(index));
  }
  EXPECT_EQ(outcome.accepted, 1u);
}

TEST_P(http_client, post_bodies_are_echoed_small_and_larger_than_the_buffers) {
  struct seen {
    std::string small;
    std::string large;
    std::string after;
    std::uint64_t opened;
  };
  const std::string large_body = pattern(200 * 1024);
  const seen outcome = run(with_server({}, [large_body](socket_address at, server&) -> task<seen> {
    client pool(at, test_options());
    seen result_seen;
    const header type[] = {{"Content-Type", "application/octet-stream"}};
    result_seen.small = (co_await pool.request("POST", "/echo", type, "ping")).value().body;
    result_seen.large = (co_await pool.request("POST", "/echo", type, large_body)).value().body;
    result_seen.after = (co_await pool.request("GET", "/")).value().body;
    result_seen.opened = pool.stats().connections_opened;
    co_return result_seen;
  }));
  EXPECT_EQ(outcome.small, "ping");
  EXPECT_TRUE(outcome.large == large_body) << "echoed " << outcome.large.size() << " bytes";
  EXPECT_EQ(outcome.after, "Hello, World!");
  EXPECT_EQ(outcome.opened, 1u);
}

TEST_P(http_client, chunked_bodies_are_decoded) {
  struct seen {
    std::string few;
    std::string many;
    std::string after;
    std::uint64_t opened;
  };
  const seen outcome = run(with_server({}, [](socket_address at, server&) -> task<seen> {
    client pool(at, test_options());
    seen result_seen;
    result_seen.few = (co_await pool.request("GET", "/chunks")).value().body;
    result_seen.many = (co_await pool.request("GET", "/many-chunks")).value().body;
    result_seen.after = (co_await pool.request("GET", "/")).value().body;
    result_seen.opened = pool.stats().connections_opened;
    co_return result_seen;
  }));
  EXPECT_EQ(outcome.few, "first,second");
  EXPECT_TRUE(outcome.many == pattern(many_chunks * chunk_size))
      << "decoded " << outcome.many.size() << " bytes";
  EXPECT_EQ(outcome.after, "Hello, World!");
  EXPECT_EQ(outcome.opened, 1u);
}

TEST_P(http_client, a_head_response_has_no_body_and_the_connection_goes_on) {
  struct seen {
    unsigned code;
    std::string length;
    std::size_t body_size;
    std::string next;
  };
  const seen outcome = run(with_server({}, [](socket_address at, server&) -> task<seen> {
    std::optional<client_connection> slot;
    client_connection& connection = *co_await open_connection(at, slot);
    (co_await connection.send("HEAD", "/")).value();
    (co_await connection.send("GET", "/")).value();
    const response_view head = (co_await connection.receive()).value();
    seen result_seen{static_cast<unsigned>(head.code),
                     std::string(head.find_header("Content-Length").value_or("")),
                     head.body.size(), ""};
    result_seen.next = std::string((co_await connection.receive()).value().body);
    co_return result_seen;
  }));
  EXPECT_EQ(outcome.code, 200u);
  EXPECT_EQ(outcome.length, "13");
  EXPECT_EQ(outcome.body_size, 0u);
  EXPECT_EQ(outcome.next, "Hello, World!");
}

TEST_P(http_client, the_pool_never_opens_more_than_max_connections) {
  struct seen {
    int completed;
    std::size_t peak_open;
    std::size_t peak_served;
    std::size_t peak_waiting;
    std::uint64_t opened;
  };
  const seen outcome = run(with_server({}, [](socket_address at, server& served) -> task<seen> {
    client_options options = test_options();
    options.max_connections = 2;
    client pool(at, options);
    seen result_seen{0, 0, 0, 0, 0};
    bool done = false;
    join_handle<void> monitor = spawn([&]() -> task<void> {
      while (!done) {
        result_seen.peak_open = std::max(result_seen.peak_open, pool.open_connections());
        result_seen.peak_served =
            std::max<std::size_t>(result_seen.peak_served, served.stats().connections_open);
        result_seen.peak_waiting = std::max(result_seen.peak_waiting, pool.waiting());
        co_await sleep_for(1ms);
      }
    });
    std::vector<join_handle<result<client_response>>> calls;
    for (int index = 0; index < 10; ++index) {
      calls.push_back(spawn([&pool]() -> task<result<client_response>> {
        co_return co_await pool.request("GET", "/slow");
      }));
    }
    for (auto& call : calls) {
      result<client_response> response = co_await call;
      if (response && response.value().body == "slow") ++result_seen.completed;
    }
    done = true;
    co_await monitor;
    result_seen.opened = pool.stats().connections_opened;
    co_return result_seen;
  }));
  EXPECT_EQ(outcome.completed, 10);
  EXPECT_LE(outcome.peak_open, 2u);
  EXPECT_LE(outcome.peak_served, 2u);
  EXPECT_GE(outcome.peak_waiting, 1u) << "no request ever waited for a connection";
  EXPECT_EQ(outcome.opened, 2u);
}

TEST_P(http_client, waiting_tasks_are_served_first_come_first_served) {
  const std::vector<int> order = run(with_server({}, [](socket_address at, server&) -> task<std::vector<int>> {
    client_options options = test_options();
    options.max_connections = 1;
    client pool(at, options);
    std::vector<int> served_order;
    result<client::lease> first = co_await pool.acquire();
    std::optional<client::lease> held(std::move(first.value()));
    std::vector<join_handle<void>> waiters;
    for (int index = 0; index < 3; ++index) {
      waiters.push_back(spawn([&pool, &served_order](int id) -> task<void> {
        result<client::lease> leased = co_await pool.acquire();
        if (!leased) co_return;
        served_order.push_back(id);
        (void)co_await leased.value()->send("GET", "/");
        (void)co_await leased.value()->receive();
      }, index));
      co_await yield();
    }
    held.reset();
    for (auto& waiter : waiters) co_await waiter;
    co_return served_order;
  }));
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
}

TEST_P(http_client, close_fails_the_waiting_tasks_and_later_acquires) {
  struct seen {
    std::error_code waiter;
    std::error_code later;
    std::size_t open_after_return;
  };
  const seen outcome = run(with_server({}, [](socket_address at, server&) -> task<seen> {
    client_options options = test_options();
    options.max_connections = 1;
    client pool(at, options);
    result<client::lease> first = co_await pool.acquire();
    std::optional<client::lease> held(std::move(first.value()));
    join_handle<std::error_code> waiter = spawn([&pool]() -> task<std::error_code> {
      co_return (co_await pool.acquire()).error();
    });
    while (pool.waiting() == 0) co_await yield();
    pool.close();
    seen result_seen;
    result_seen.waiter = co_await waiter;
    result_seen.later = (co_await pool.acquire()).error();
    held.reset();
    result_seen.open_after_return = pool.open_connections();
    co_return result_seen;
  }));
  EXPECT_EQ(outcome.waiter, client_errc::client_closed);
  EXPECT_EQ(outcome.later, client_errc::client_closed);
  EXPECT_EQ(outcome.open_after_return, 0u);
}

TEST_P(http_client, a_cancelled_waiter_leaves_the_pool_consistent) {
  struct seen {
    std::error_code cancelled;
    std::size_t waiting;
    std::size_t idle;
    std::string next;
  };
  const seen outcome = run(with_server({}, [](socket_address at, server&) -> task<seen> {
    client_options options = test_options();
    options.max_connections = 1;
    client pool(at, options);
    result<client::lease> first = co_await pool.acquire();
    std::optional<client::lease> held(std::move(first.value()));
    join_handle<std::error_code> waiter = spawn([&pool]() -> task<std::error_code> {
      co_return (co_await pool.acquire()).error();
    });
    while (pool.waiting() == 0) co_await yield();
    waiter.cancel();
    seen result_seen;
    result_seen.cancelled = co_await waiter;
    result_seen.waiting = pool.waiting();
    held.reset();
    result_seen.idle = pool.idle_connections();
    result_seen.next = (co_await pool.request("GET", "/")).value().body;
    co_return result_seen;
  }));
  EXPECT_EQ(outcome.cancelled, std::errc::operation_canceled);
  EXPECT_EQ(outcome.waiting, 0u);
  EXPECT_EQ(outcome.idle, 1u);
  EXPECT_EQ(outcome.next, "Hello, World!");
}

TEST_P(http_client, connection_close_from_either_side_opens_a_new_connection) {
  struct seen {
    std::string bye;
    std::string after_bye;
    std::string asked;
    std::string after_asked;
    std::uint64_t opened;
    std::uint64_t accepted;
  };
  const seen outcome = run(with_server({}, [](socket_address at, server& served) -> task<seen> {
    client pool(at, test_options());
    seen result_seen;
    result_seen.bye = (co_await pool.request("GET", "/close")).value().body;
    result_seen.after_bye = (co_await pool.request("GET", "/")).value().body;
    const header close_field[] = {{"Connection", "close"}};
    result_seen.asked = (co_await pool.request("GET", "/", close_field)).value().body;
    result_seen.after_asked = (co_await pool.request("GET", "/")).value().body;
    result_seen.opened = pool.stats().connections_opened;
    result_seen.accepted = served.stats().connections_accepted;
    co_return result_seen;
  }));
  EXPECT_EQ(outcome.bye, "bye");
  EXPECT_EQ(outcome.after_bye, "Hello, World!");
  EXPECT_EQ(outcome.asked, "Hello, World!");
  EXPECT_EQ(outcome.after_asked, "Hello, World!");
  EXPECT_EQ(outcome.opened, 3u);
  EXPECT_EQ(outcome.accepted, 3u);
}

server_options short_idle() {
  server_options options;
  options.idle_timeout = 50ms;
  return options;
}

TEST_P(http_client, a_get_on_a_connection_the_server_closed_while_idle_is_retried) {
  struct seen {
    std::string first;
    std::string second;
    client_stats stats;
    std::uint64_t server_timeouts;
  };
  const seen outcome = run(with_server(short_idle(), [](socket_address at, server& served) -> task<seen> {
    client pool(at, test_options());
    seen result_seen;
    result_seen.first = (co_await pool.request("GET", "/")).value().body;
    co_await sleep_for(300ms);  // the server's idle timeout closes the pooled connection
    result<client_response> second = co_await pool.request("GET", "/");
    result_seen.second = second ? second.value().body : second.error().message();
    result_seen.stats = pool.stats();
    result_seen.server_timeouts = served.stats().timeouts;
    co_return result_seen;
  }));
  EXPECT_EQ(outcome.first, "Hello, World!");
  EXPECT_EQ(outcome.second, "Hello, World!");
  EXPECT_EQ(outcome.server_timeouts, 1u);
  EXPECT_EQ(outcome.stats.retries, 1u);
  EXPECT_EQ(outcome.stats.connections_opened, 2u);
}

TEST_P(http_client, a_post_on_a_connection_the_server_closed_is_not_retried) {
  struct seen {
    std::error_code post;
    std::uint64_t retries;
    std::string next;
  };
  const seen outcome = run(with_server(short_idle(), [](socket_address at, server&) -> task<seen> {
    client pool(at, test_options());
    (void)(co_await pool.request("GET", "/")).value();
    co_await sleep_for(300ms);
    seen result_seen;
    result_seen.post = (co_await pool.request("POST", "/echo", {}, "once")).error();
    result_seen.retries = pool.stats().retries;
    result_seen.next = (co_await pool.request("GET", "/")).value().body;
    co_return result_seen;
  }));
  EXPECT_EQ(outcome.post, client_errc::closed_before_response);
  EXPECT_EQ(outcome.retries, 0u);
  EXPECT_EQ(outcome.next, "Hello, World!");
}

struct raw_outcome {
  std::error_code error;
  bool open_after;
};

// One request on a connection to a raw peer answering `reply`.
raw_outcome exchange_with_raw_peer(std::string reply, bool then_wait, io::backend_kind kind) {
  return testing::run_on(kind, with_raw_peer({reply}, then_wait, [](socket_address at) -> task<raw_outcome> {
    std::optional<client_connection> slot;
    client_connection& connection = *co_await open_connection(at, slot);
    (co_await connection.send("GET", "/")).value();
    result<response_view> response = co_await connection.receive();
    co_return raw_outcome{response.error(), connection.is_open()};
  }));
}

TEST_P(http_client, a_malformed_response_is_an_error_value) {
  const raw_outcome garbage = exchange_with_raw_peer("garbage\r\n\r\n", true, GetParam());
  EXPECT_EQ(garbage.error, parse_errc::bad_status_line);
  EXPECT_FALSE(garbage.open_after);

  const raw_outcome bad_chunk = exchange_with_raw_peer(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", true, GetParam());
  EXPECT_EQ(bad_chunk.error, parse_errc::bad_chunk);
  EXPECT_FALSE(bad_chunk.open_after);

  const raw_outcome bad_length = exchange_with_raw_peer(
      "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", true, GetParam());
  EXPECT_EQ(bad_length.error, parse_errc::bad_content_length);
}

TEST_P(http_client, a_connection_ending_early_is_an_error_value) {
  const raw_outcome truncated = exchange_with_raw_peer(
      "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", false, GetParam());
  EXPECT_EQ(truncated.error, client_errc::incomplete_response);
  EXPECT_FALSE(truncated.open_after);

  const raw_outcome half_head = exchange_with_raw_peer("HTTP/1.1 200 OK\r\nCont", false, GetParam());
  EXPECT_EQ(half_head.error, client_errc::incomplete_response);

  const raw_outcome nothing = exchange_with_raw_peer("", false, GetParam());
  EXPECT_EQ(nothing.error, client_errc::closed_before_response);
}

TEST_P(http_client, a_body_delimited_by_the_close_is_read_to_the_end) {
  struct seen {
    std::string body;
    bool keep_alive;
    bool open_after;
  };
  const seen outcome = run(with_raw_peer({"HTTP/1.1 200 OK\r\n\r\nuntil the end"}, false,
                                         [](socket_address at) -> task<seen> {
    std::optional<client_connection> slot;
    client_connection& connection = *co_await open_connection(at, slot);
    (co_await connection.send("GET", "/")).value();
    const response_view response = (co_await connection.receive()).value();
    co_return seen{std::string(response.body), response.keep_alive, connection.is_open()};
  }));
  EXPECT_EQ(outcome.body, "until the end");
  EXPECT_FALSE(outcome.keep_alive);
  EXPECT_FALSE(outcome.open_after);
}

TEST_P(http_client, a_head_that_moves_in_the_buffer_keeps_its_fields) {
  struct seen {
    std::string first;
    unsigned code;
    std::string field;
    std::string second;
  };
  // The second head arrives behind the first response and its body 20 ms later: reading the
  // body moves the head to the front of the buffer, and the body then covers where it was.
  const std::vector<std::string> parts = {
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst"
      "HTTP/1.1 201 Created\r\nX-Test: moved\r\nContent-Length: 200\r\n\r\n",
      pattern(200)};
  const seen outcome = run(with_raw_peer(parts, true, [](socket_address at) -> task<seen> {
    std::optional<client_connection> slot;
    client_connection& connection = *co_await open_connection(at, slot);
    (co_await connection.send("GET", "/1")).value();
    (co_await connection.send("GET", "/2")).value();
    seen result_seen;
    result_seen.first = std::string((co_await connection.receive()).value().body);
    const response_view second = (co_await connection.receive()).value();
    result_seen.code = static_cast<unsigned>(second.code);
    result_seen.field = std::string(second.find_header("X-Test").value_or(""));
    result_seen.second = std::string(second.body);
    co_return result_seen;
  }));
  EXPECT_EQ(outcome.first, "first");
  EXPECT_EQ(outcome.code, 201u);
  EXPECT_EQ(outcome.field, "moved");
  EXPECT_EQ(outcome.second, pattern(200));
}

TEST_P(http_client, interim_responses_are_skipped) {
  struct seen {
    unsigned code;
    std::string body;
  };
  const std::vector<std::string> parts = {
      "HTTP/1.1 100 Continue\r\n\r\n",
      "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"};
  const seen outcome = run(with_raw_peer(parts, true, [](socket_address at) -> task<seen> {
    std::optional<client_connection> slot;
    client_connection& connection = *co_await open_connection(at, slot);
    (co_await connection.send("GET", "/")).value();
    const response_view response = (co_await connection.receive()).value();
    co_return seen{static_cast<unsigned>(response.code), std::string(response.body)};
  }));
  EXPECT_EQ(outcome.code, 200u);
  EXPECT_EQ(outcome.body, "ok");
}

TEST_P(http_client, requests_pipelined_behind_a_closing_response_get_no_answer) {
  struct seen {
    std::string first;
    bool keep_alive;
    bool open_after;
    std::error_code second;
    std::error_code third;
  };
  const std::vector<std::string> parts = {
      "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"};
  const seen outcome = run(with_raw_peer(parts, false, [](socket_address at) -> task<seen> {
    std::optional<client_connection> slot;
    client_connection& connection = *co_await open_connection(at, slot);
    (co_await connection.send("GET", "/1")).value();
    (co_await connection.send("GET", "/2")).value();
    seen result_seen;
    const response_view first = (co_await connection.receive()).value();
    result_seen.first = std::string(first.body);
    result_seen.keep_alive = first.keep_alive;
    result_seen.open_after = connection.is_open();
    result_seen.second = (co_await connection.receive()).error();
    result_seen.third = (co_await connection.send("GET", "/3")).error();
    co_return result_seen;
  }));
  EXPECT_EQ(outcome.first, "ok");
  EXPECT_FALSE(outcome.keep_alive);
  EXPECT_FALSE(outcome.open_after);
  EXPECT_EQ(outcome.second, client_errc::closed_before_response);
  EXPECT_EQ(outcome.third, std::errc::not_connected);
}

TEST_P(http_client, a_request_the_server_never_reads_times_out) {
  struct seen {
    std::error_code error;
    std::chrono::milliseconds waited;
    bool open_after;
  };
  const seen outcome = run([]() -> task<seen> {
    result<tcp_listener> listener = tcp_listener::bind(socket_address::ipv4_loopback(0));
    // A small receive buffer (inherited by the accepted socket) fills at once.
    (void)listener.value().set_option(SOL_SOCKET, SO_RCVBUF, 4096);
    const socket_address at = listener.value().local_address().value();
    event finished;
    join_handle<void> silent_peer = spawn([&]() -> task<void> {
      result<tcp_stream> accepted = co_await listener.value().accept();
      auto wait_finished = [&]() -> task<void> { (void)co_await finished.wait(); };
      (void)co_await with_timeout(5s, wait_finished());
    });
    result<tcp_stream> connected = co_await net::connect(at, 2s);
    client_connection_options options;
    options.request_timeout = 100ms;
    client_connection connection(std::move(connected.value()), options);
    const std::string body(16 << 20, 'x');
    const auto start = std::chrono::steady_clock::now();
    seen result_seen;
    result_seen.error = (co_await connection.send("POST", "/", {}, body)).error();
    result_seen.waited = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    result_seen.open_after = connection.is_open();
    finished.set();
    co_await silent_peer;
    co_return result_seen;
  });
  EXPECT_EQ(outcome.error, std::errc::timed_out);
  EXPECT_GE(outcome.waited, 100ms);
  EXPECT_LT(outcome.waited, 2000ms);
  EXPECT_FALSE(outcome.open_after);
}

TEST_P(http_client, a_body_over_the_limit_is_an_error_value) {
  struct seen {
    std::error_code by_length;
    std::error_code by_chunks;
    std::string small;
  };
  const seen outcome = run(with_server({}, [](socket_address at, server&) -> task<seen> {
    client_options options = test_options();
    options.limits.max_body = 1024;
    client pool(at, options);
    seen result_seen;
    result_seen.by_length = (co_await pool.request("GET", "/big")).error();
    result_seen.by_chunks = (co_await pool.request("GET", "/many-chunks")).error();
    result_seen.small = (co_await pool.request("GET", "/")).value().body;
    co_return result_seen;
  }));
  EXPECT_EQ(outcome.by_length, parse_errc::body_too_large);
  EXPECT_EQ(outcome.by_chunks, parse_errc::body_too_large);
  EXPECT_EQ(outcome.small, "Hello, World!");
}

TEST_P(http_client, a_response_slower_than_the_request_timeout_times_out) {
  struct seen {
    std::error_code error;
    std::chrono::milliseconds waited;
    std::size_t open_after;
    std::string next;
  };
  const seen outcome = run(with_server({}, [](socket_address at, server&) -> task<seen> {
    client_options options = test_options();
    options.request_timeout = 100ms;
    client pool(at, options);
    seen result_seen;
    const auto start = std::chrono::steady_clock::now();
    result_seen.error = (co_await pool.request("GET", "/sleep")).error();
    result_seen.waited = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    result_seen.open_after = pool.open_connections();
    // The calling task was not cancelled: it goes on with new requests.
    result_seen.next = (co_await pool.request("GET", "/")).value().body;
    co_return result_seen;
  }));
  EXPECT_EQ(outcome.error, std::errc::timed_out);
  EXPECT_GE(outcome.waited, 100ms);
  EXPECT_LT(outcome.waited, 500ms);
  EXPECT_EQ(outcome.open_after, 0u);
  EXPECT_EQ(outcome.next, "Hello, World!");
}

TEST_P(http_client, a_refused_connect_is_an_error_value_and_frees_its_slot) {
  struct seen {
    std::error_code error;
    std::size_t open_after;
  };
  const seen outcome = run([]() -> task<seen> {
    socket_address vacant;
    {
      // A port that was free a moment ago, and has no listener now.
      result<tcp_listener> listener = tcp_listener::bind(socket_address::ipv4_loopback(0));
      vacant = listener.value().local_address().value();
    }
    client pool(vacant, test_options());
    seen result_seen;
    result_seen.error = (co_await pool.request("GET", "/")).error();
    result_seen.open_after = pool.open_connections();
    co_return result_seen;
  });
  EXPECT_EQ(outcome.error, std::errc::connection_refused);
  EXPECT_EQ(outcome.open_after, 0u);
}

TEST_P(http_client, requests_that_could_split_the_message_are_refused) {
  struct seen {
    int refused;
    bool idle_after;
  };
  const seen outcome = run(with_server({}, [](socket_address at, server&) -> task<seen> {
    std::optional<client_connection> slot;
    client_connection& connection = *co_await open_connection(at, slot);
    seen result_seen{0, false};
    const header injected[] = {{"X-Note", "a\r\nX-Evil: 1"}};
    const header framing[] = {{"Content-Length", "5"}};
    const header bad_name[] = {{"Bad Name", "1"}};
    const std::string_view targets[] = {"/a b", "", "/\x7f"};
    for (const std::string_view target : targets) {
      try {
        (void)co_await connection.send("GET", target);
      } catch (const std::invalid_argument&) {
        ++result_seen.refused;
      }
    }
    const std::span<const header> field_sets[] = {injected, framing, bad_name};
    for (const std::span<const header> fields : field_sets) {
      try {
        (void)co_await connection.send("GET", "/", fields);
      } catch (const std::invalid_argument&) {
        ++result_seen.refused;
      }
    }
    try {
      (void)co_await connection.send("G T", "/");
    } catch (const std::invalid_argument&) {
      ++result_seen.refused;
    }
    result_seen.idle_after = connection.is_idle();
    co_return result_seen;
  }));
  EXPECT_EQ(outcome.refused, 7);
  EXPECT_TRUE(outcome.idle_after);
}

TEST_P(http_client, requests_on_a_warm_connection_allocate_nothing) {
#if PERCORE_COUNTS_ALLOCATIONS
  struct seen {
    long allocations;
    int good;
  };
  const seen outcome = run(with_server({}, [](socket_address at, server&) -> task<seen> {
    std::optional<client_connection> slot;
    client_connection& connection = *co_await open_connection(at, slot);
    const header fields[] = {{"Accept", "text/plain"}};
    int good = 0;
    auto one_request = [&]() -> task<void> {
      if (!co_await connection.send("GET", "/", fields)) co_return;
      result<response_view> response = co_await connection.receive();
      if (response && response.value().body == "Hello, World!") ++good;
    };
    // Warm-up: the frame pool takes its chunks, the timers and the date line settle.
    for (int index = 0; index < 200; ++index) co_await one_request();
    const long before = global_allocations.load();
    for (int index = 0; index < 1000; ++index) co_await one_request();
    const long during = global_allocations.load() - before;
    co_return seen{during, good};
  }));
  EXPECT_EQ(outcome.good, 1200);
  EXPECT_EQ(outcome.allocations, 0);
#else
  GTEST_SKIP() << "ThreadSanitizer replaces operator new: allocations cannot be counted";
#endif
}

}  // namespace
}  // namespace percore::net::http
