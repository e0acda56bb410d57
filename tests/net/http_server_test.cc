// http::server over real loopback connections on every backend: keep-alive, pipelining, bodies,
// 100-continue, routing errors, malformed requests, timeouts, slow readers and graceful stop.
#include <percore/engine/engine.hh>
#include <percore/engine/spawn.hh>
#include <percore/engine/timer.hh>
#include <percore/engine/with_timeout.hh>
#include <percore/net/connect.hh>
#include <percore/net/http/server.hh>
#include <percore/net/tcp_stream.hh>

#include <gtest/gtest.h>

#include <chrono>
#include <type_traits>
#include <string>
#include <vector>

#include "../engine_fixture.hh"

namespace percore::net::http {
namespace {

using namespace std::chrono_literals;

class http_server : public testing::on_every_backend {};
PERCORE_ON_EVERY_BACKEND(http_server);

std::span<const std::byte> bytes_of(std::string_view text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

// The routes every test serves.
void add_test_routes(server& served) {
  served.route("GET", "/", [](exchange& call) -> task<void> {
    const header type[] = {{"Content-Type", "text/plain"}};
    (void)co_await call.respond(status::ok, type, "Hello, World!");
  });
  served.route("POST", "/echo", [](exchange& call) -> task<void> {
    std::string body;
    if (!co_await call.read_body(body, 1 << 20)) {
      (void)co_await call.respond(status::bad_request);
      co_return;
    }
    (void)co_await call.respond(status::ok, {}, body);
  });
  served.route("GET", "/chunks", [](exchange& call) -> task<void> {
    (void)co_await call.respond_chunked(status::ok);
    (void)co_await call.write_chunk(bytes_of("first,"));
    (void)co_await call.write_chunk(bytes_of("second"));
    (void)co_await call.finish_chunks();
  });
  served.route("GET", "/slow", [](exchange& call) -> task<void> {
    co_await sleep_for(200ms);
    (void)co_await call.respond(status::ok, {}, "slow");
  });
  served.route("GET", "/big", [](exchange& call) -> task<void> {
    const std::string big(4 << 20, 'x');
    (void)co_await call.respond(status::ok, {}, big);
  });
  served.route("GET", "/throws", [](exchange&) -> task<void> {
    throw std::runtime_error("a handler bug");
    co_return;
  });
}

server_options quick_options() {
  server_options options;
  options.idle_timeout = 300ms;
  options.request_timeout = 300ms;
  return options;
}

// Sends `request` (then half-closes if asked) and reads until the server closes, within 5 s.
task<std::string> talk(socket_address address, std::string request, bool half_close = false) {
  result<tcp_stream> connected = co_await net::connect(address, 2s);
  if (!connected) co_return "connect failed: " + connected.error().message();
  tcp_stream& client = connected.value();
  if (!co_await client.write_all(bytes_of(request))) co_return "write failed";
  if (half_close) (void)client.shutdown(shutdown_how::write);
  std::string received;
  std::byte buffer[16384];
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto read_once = [&]() -> task<result<std::size_t>> { co_return co_await client.read(buffer); };
    result<std::size_t> got = co_await with_timeout(5s, read_once());
    if (!got || *got == 0) break;
    received.append(reinterpret_cast<const char*>(buffer), *got);
  }
  co_return received;
}

// Runs a server on an ephemeral port for `client`, then stops it; returns what client returned.
template <class Client>
auto with_server(server_options options, Client client) {
  using outcome = typename std::invoke_result_t<Client, socket_address, server&>::value_type;
  return [options, client]() -> task<outcome> {
    server served(options);
    add_test_routes(served);
    result<tcp_listener> listener = tcp_listener::bind(socket_address::ipv4_loopback(0));
    if (!listener) throw std::system_error(listener.error());
    const socket_address address = listener->local_address().value();
    join_handle<void> serving = spawn(served.serve(*listener));
    auto outcome = co_await client(address, served);
    co_await served.stop();
    co_await serving;
    co_return outcome;
  };
}

std::size_t count_of(const std::string& text, std::string_view piece) {
  std::size_t count = 0;
  for (std::size_t at = text.find(piece); at != std::string::npos; at = text.find(piece, at + 1)) {
    ++count;
  }
  return count;
}

TEST_P(http_server, answers_and_keeps_the_connection_alive) {
  const std::string reply = run(with_server(quick_options(), [](socket_address at, server&) {
    return talk(at,
                "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
                "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  }));
  EXPECT_EQ(count_of(reply, "HTTP/1.1 200 OK\r\n"), 2u) << reply;
  EXPECT_EQ(count_of(reply, "Hello, World!"), 2u);
  EXPECT_NE(reply.find("Content-Length: 13\r\n"), std::string::npos);
  EXPECT_NE(reply.find("Connection: close\r\n"), std::string::npos);
  EXPECT_NE(reply.find("Date: "), std::string::npos);
}

TEST_P(http_server, pipelined_requests_are_answered_in_order) {
  std::string requests;
  for (int index = 0; index < 16; ++index) requests += "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  requests += "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nlast";
  const std::string reply = run(with_server(quick_options(), [requests](socket_address at, server&) {
    return talk(at, requests, true);
  }));
  EXPECT_EQ(count_of(reply, "Hello, World!"), 16u) << reply;
  EXPECT_EQ(reply.rfind("last"), reply.size() - 4) << "the POST's answer is not the last";
}

TEST_P(http_server, request_bodies_by_length_and_by_chunks) {
  const std::string reply = run(with_server(quick_options(), [](socket_address at, server&) {
    return talk(at,
                "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world"
                "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                "5;ext=1\r\nchunk\r\n7\r\ned body\r\n0\r\nTrailer: x\r\n\r\n"
                "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  }));
  EXPECT_NE(reply.find("Content-Length: 11\r\n\r\nhello world"), std::string::npos) << reply;
  EXPECT_NE(reply.find("Content-Length: 12\r\n\r\nchunked body"), std::string::npos) << reply;
  EXPECT_EQ(count_of(reply, "Hello, World!"), 1u);
}

TEST_P(http_server, an_unread_body_is_skipped_before_the_next_request) {
  const std::string reply = run(with_server(quick_options(), [](socket_address at, server&) {
    return talk(at,
                "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nxxxxx"
                "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  }));
  EXPECT_EQ(count_of(reply, "HTTP/1.1 200 OK"), 2u) << reply;
}

TEST_P(http_server, expect_100_continue_invites_the_body) {
  struct seen {
    std::string first;
    std::string rest;
  };
  const seen outcome = run(with_server(quick_options(), [](socket_address at, server&) -> task<seen> {
    result<tcp_stream> connected = co_await net::connect(at, 2s);
    tcp_stream& client = connected.value();
    (void)co_await client.write_all(bytes_of(
        "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"));
    std::byte buffer[256];
    result<std::size_t> got = co_await client.read(buffer);
    seen result_seen;
    result_seen.first.assign(reinterpret_cast<const char*>(buffer), got.value_or(0));
    (void)co_await client.write_all(bytes_of("abc"));
    for (;;) {
      got = co_await client.read(buffer);
      if (!got || *got == 0) break;
      result_seen.rest.append(reinterpret_cast<const char*>(buffer), *got);
    }
    co_return result_seen;
  }));
  EXPECT_EQ(outcome.first, "HTTP/1.1 100 Continue\r\n\r\n");
  EXPECT_NE(outcome.rest.find("HTTP/1.1 200 OK"), std::string::npos) << outcome.rest;
  EXPECT_NE(outcome.rest.find("\r\n\r\nabc"), std::string::npos) << outcome.rest;
}

TEST_P(http_server, unknown_paths_and_methods_head_and_chunked_responses) {
  const std::string reply = run(with_server(quick_options(), [](socket_address at, server&) {
    return talk(at,
                "GET /nowhere HTTP/1.1\r\nHost: a\r\n\r\n"
                "DELETE / HTTP/1.1\r\nHost: a\r\n\r\n"
                "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n"
                "GET /chunks HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  }));
  EXPECT_NE(reply.find("HTTP/1.1 404 Not Found"), std::string::npos) << reply;
  EXPECT_NE(reply.find("HTTP/1.1 405 Method Not Allowed"), std::string::npos) << reply;
  EXPECT_NE(reply.find("Allow: GET"), std::string::npos) << reply;
  // HEAD announces the length of GET's body and sends none of it.
  EXPECT_EQ(count_of(reply, "Hello, World!"), 0u) << reply;
  EXPECT_NE(reply.find("Content-Length: 13"), std::string::npos) << reply;
  EXPECT_NE(reply.find("Transfer-Encoding: chunked\r\n"), std::string::npos) << reply;
  EXPECT_NE(reply.find("6\r\nfirst,\r\n6\r\nsecond\r\n0\r\n\r\n"), std::string::npos) << reply;
}

TEST_P(http_server, malformed_requests_get_their_status_and_a_closed_connection) {
  struct bad_case {
    std::string request;
    std::string status;
  };
  const std::vector<bad_case> corpus = {
      {"GET\r\n\r\n", "400"},
      {"GET / HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n", "400"},
      {"GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", "400"},
      {"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", "400"},
      {"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", "400"},
      {"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", "400"},
      {"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "400"},
      {"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999\r\n\r\n", "413"},
      {"GET /" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n", "414"},
      {"GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(20000, 'b') + "\r\n\r\n", "431"},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", "400"},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "501"},
      {"GET / HTTP/2.0\r\n\r\n", "505"},
  };
  const std::vector<std::string> replies =
      run(with_server(quick_options(), [&corpus](socket_address at, server&) -> task<std::vector<std::string>> {
        std::vector<std::string> answers;
        for (const bad_case& bad : corpus) answers.push_back(co_await talk(at, bad.request));
        // The server still serves.
        answers.push_back(co_await talk(at, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"));
        co_return answers;
      }));
  ASSERT_EQ(replies.size(), corpus.size() + 1);
  for (std::size_t index = 0; index < corpus.size(); ++index) {
    EXPECT_EQ(replies[index].substr(0, 12), "HTTP/1.1 " + corpus[index].status)
        << "case " << index << ": " << replies[index];
    EXPECT_NE(replies[index].find("Connection: close"), std::string::npos) << replies[index];
  }
  EXPECT_NE(replies.back().find("Hello, World!"), std::string::npos);
}

TEST_P(http_server, idle_and_half_sent_requests_time_out) {
  struct outcome {
    std::string idle;
    std::string partial;
    std::uint64_t timeouts;
  };
  const outcome seen = run(with_server(quick_options(), [](socket_address at, server& served) -> task<outcome> {
    outcome result_seen;
    // talk() reads until the server closes: the timeouts end both within the read deadline.
    result_seen.idle = co_await talk(at, "");
    result_seen.partial = co_await talk(at, "GET / HTTP/1.1\r\nHost: a\r\nHost:");
    result_seen.timeouts = served.stats().timeouts;
    co_return result_seen;
  }));
  EXPECT_EQ(seen.idle, "");
  EXPECT_EQ(seen.partial, "");
  EXPECT_EQ(seen.timeouts, 2u);
}

TEST_P(http_server, a_client_that_never_reads_is_closed_by_the_timeout) {
  const std::uint64_t timeouts = run(with_server(quick_options(), [](socket_address at, server& served) -> task<std::uint64_t> {
    result<tcp_stream> connected = co_await net::connect(at, 2s);
    tcp_stream& client = connected.value();
    for (int index = 0; index < 8; ++index) {
      (void)co_await client.write_all(bytes_of("GET /big HTTP/1.1\r\nHost: a\r\n\r\n"));
    }
    // Never read: the server's writes stall on a full socket buffer until its deadline.
    while (served.stats().connections_open > 0) co_await sleep_for(20ms);
    co_return served.stats().timeouts;
  }));
  EXPECT_EQ(timeouts, 1u);
}

TEST_P(http_server, a_throwing_handler_gets_a_500_and_the_server_carries_on) {
  const std::string reply = run(with_server(quick_options(), [](socket_address at, server&) -> task<std::string> {
    std::string both = co_await talk(at, "GET /throws HTTP/1.1\r\nHost: a\r\n\r\n");
    both += co_await talk(at, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    co_return both;
  }));
  EXPECT_NE(reply.find("HTTP/1.1 500 Internal Server Error"), std::string::npos) << reply;
  EXPECT_NE(reply.find("Hello, World!"), std::string::npos) << reply;
}

TEST_P(http_server, stop_finishes_requests_under_way_and_closes_idle_connections) {
  struct outcome {
    std::string busy;
    std::string idle;
  };
  const outcome seen = run([]() -> task<outcome> {
    server served(quick_options());
    add_test_routes(served);
    result<tcp_listener> listener = tcp_listener::bind(socket_address::ipv4_loopback(0));
    const socket_address at = listener->local_address().value();
    join_handle<void> serving = spawn(served.serve(*listener));
    join_handle<std::string> busy = spawn(talk(at, "GET /slow HTTP/1.1\r\nHost: a\r\n\r\n"));
    join_handle<std::string> idle = spawn(talk(at, ""));
    co_await sleep_for(50ms);  // both connected; /slow is in its handler
    co_await served.stop();
    co_await serving;
    outcome result_seen;
    result_seen.busy = co_await busy;
    result_seen.idle = co_await idle;
    co_return result_seen;
  });
  EXPECT_NE(seen.busy.find("HTTP/1.1 200 OK"), std::string::npos) << seen.busy;
  EXPECT_NE(seen.busy.find("Connection: close"), std::string::npos) << seen.busy;
  EXPECT_NE(seen.busy.find("slow"), std::string::npos);
  EXPECT_EQ(seen.idle, "");
}

}  // namespace
}  // namespace percore::net::http
