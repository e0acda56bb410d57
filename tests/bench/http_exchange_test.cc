// http_exchange tests, without sockets: the request it sends, and the responses it reads however
// they are split: lengths, chunks, interim answers, statuses, keep-alive and malformed input.
#include "bench/load/http_exchange.hh"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

#include <percore/net/http/parse_error.hh>
#include <percore/net/stream_error.hh>

namespace percore::load {
namespace {

using net::http::parse_errc;

http_exchange exchange_for(std::string_view url) {
  return http_exchange(parse_target_url(url));
}

std::string sent_request(http_exchange& exchange) {
  std::string text;
  for (std::span<const std::byte> out = exchange.to_send(); !out.empty();
       out = exchange.to_send()) {
    const std::size_t count = std::min<std::size_t>(5, out.size());
    text.append(reinterpret_cast<const char*>(out.data()), count);
    exchange.sent(count);
  }
  return text;
}

// Feeds `response` in pieces of `piece` bytes; the state after the last one.
result<exchange_state> answer(http_exchange& exchange, std::string_view response,
                              std::size_t piece) {
  result<exchange_state> state = exchange_state::waiting;
  while (!response.empty()) {
    const std::span<std::byte> space = exchange.receive_space();
    const std::size_t count = std::min({piece, space.size(), response.size()});
    std::memcpy(space.data(), response.data(), count);
    response.remove_prefix(count);
    state = exchange.received(count);
    if (!state || *state != exchange_state::waiting) return state;
  }
  return state;
}

constexpr std::string_view hello =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";

TEST(http_exchange, the_request_is_a_get_with_a_host_field) {
  http_exchange plain = exchange_for("http://127.0.0.1:8080/plaintext?x=1");
  plain.begin();
  EXPECT_EQ(sent_request(plain), "GET /plaintext?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n");
  EXPECT_TRUE(plain.to_send().empty());
  plain.begin();
  EXPECT_EQ(sent_request(plain), std::string(plain.request()));

  http_exchange default_port = exchange_for("http://example.org");
  EXPECT_EQ(default_port.request(), "GET / HTTP/1.1\r\nHost: example.org\r\n\r\n");
  http_exchange ipv6 = exchange_for("http://[::1]:81/");
  EXPECT_EQ(ipv6.request(), "GET / HTTP/1.1\r\nHost: [::1]:81\r\n\r\n");
}

TEST(http_exchange, a_response_completes_however_it_is_split) {
  http_exchange exchange = exchange_for("http://h/");
  for (std::size_t piece = 1; piece <= hello.size(); ++piece) {
    exchange.begin();
    result<exchange_state> state = answer(exchange, hello, piece);
    ASSERT_TRUE(state) << piece << ": " << state.error().message();
    EXPECT_EQ(*state, exchange_state::answered) << piece;
    EXPECT_TRUE(exchange.reusable());
  }
}

TEST(http_exchange, a_head_alone_waits_for_its_body) {
  http_exchange exchange = exchange_for("http://h/");
  exchange.begin();
  const std::string_view head = hello.substr(0, hello.find("Hello"));
  result<exchange_state> state = answer(exchange, head, head.size());
  ASSERT_TRUE(state);
  EXPECT_EQ(*state, exchange_state::waiting);
  state = answer(exchange, "Hello, World!", 100);
  ASSERT_TRUE(state);
  EXPECT_EQ(*state, exchange_state::answered);
}

TEST(http_exchange, chunked_bodies_and_interim_answers_are_read_to_the_end) {
  http_exchange exchange = exchange_for("http://h/");
  const std::string chunked =
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nHello\r\n8;ext=1\r\n, World!\r\n0\r\nX-Trailer: 1\r\n\r\n";
  for (std::size_t piece : {1u, 3u, 1000u}) {
    exchange.begin();
    result<exchange_state> state = answer(exchange, chunked, piece);
    ASSERT_TRUE(state) << piece << ": " << state.error().message();
    EXPECT_EQ(*state, exchange_state::answered) << piece;
  }
}

TEST(http_exchange, a_large_body_streams_through_the_buffer) {
  http_exchange exchange = exchange_for("http://h/");
  const std::size_t length = 5 * http_exchange::buffer_size + 3;
  const std::string response = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(length) +
                               "\r\n\r\n" + std::string(length, 'x');
  exchange.begin();
  result<exchange_state> state = answer(exchange, response, 7000);
  ASSERT_TRUE(state) << state.error().message();
  EXPECT_EQ(*state, exchange_state::answered);
}

TEST(http_exchange, a_status_other_than_2xx_is_rejected_but_keeps_the_connection) {
  http_exchange exchange = exchange_for("http://h/");
  for (std::string_view status : {"404 Not Found", "500 Internal Server Error", "301 Moved"}) {
    exchange.begin();
    const std::string response =
        "HTTP/1.1 " + std::string(status) + "\r\nContent-Length: 4\r\n\r\nnope";
    result<exchange_state> state = answer(exchange, response, 10);
    ASSERT_TRUE(state);
    EXPECT_EQ(*state, exchange_state::rejected) << status;
    EXPECT_TRUE(exchange.reusable());
  }
  exchange.begin();
  result<exchange_state> no_content = answer(exchange, "HTTP/1.1 204 No Content\r\n\r\n", 64);
  ASSERT_TRUE(no_content);
  EXPECT_EQ(*no_content, exchange_state::answered);
}

TEST(http_exchange, the_server_decides_whether_the_connection_is_reused) {
  http_exchange closing = exchange_for("http://h/");
  closing.begin();
  result<exchange_state> state =
      answer(closing, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", 64);
  ASSERT_TRUE(state);
  EXPECT_EQ(*state, exchange_state::answered);
  EXPECT_FALSE(closing.reusable());

  // No length: the body runs until the server closes, which completes it.
  http_exchange until_close = exchange_for("http://h/");
  until_close.begin();
  result<exchange_state> waiting = answer(until_close, "HTTP/1.0 200 OK\r\n\r\nsome body", 64);
  ASSERT_TRUE(waiting);
  EXPECT_EQ(*waiting, exchange_state::waiting);
  result<exchange_state> ended = until_close.end_of_stream();
  ASSERT_TRUE(ended);
  EXPECT_EQ(*ended, exchange_state::answered);
  EXPECT_FALSE(until_close.reusable());
}

TEST(http_exchange, broken_answers_are_errors) {
  {
    http_exchange exchange = exchange_for("http://h/");
    exchange.begin();
    result<exchange_state> state = answer(exchange, "SSH-2.0-OpenSSH\r\n\r\n", 64);
    ASSERT_FALSE(state);
    EXPECT_EQ(state.error(), parse_errc::bad_status_line);
  }
  {
    http_exchange exchange = exchange_for("http://h/");
    exchange.begin();
    result<exchange_state> state =
        answer(exchange, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", 64);
    ASSERT_TRUE(state);
    result<exchange_state> cut = exchange.end_of_stream();
    ASSERT_FALSE(cut);
    EXPECT_EQ(cut.error(), parse_errc::incomplete_body);
  }
  {
    http_exchange exchange = exchange_for("http://h/");
    exchange.begin();
    result<exchange_state> cut = exchange.end_of_stream();
    ASSERT_FALSE(cut);
    EXPECT_EQ(cut.error(), net::stream_errc::end_of_stream);
  }
  {
    http_exchange exchange = exchange_for("http://h/");
    exchange.begin();
    const std::string endless_head =
        "HTTP/1.1 200 OK\r\n" + std::string(http_exchange::buffer_size, 'x');
    result<exchange_state> state = answer(exchange, endless_head, 4096);
    ASSERT_FALSE(state);
    EXPECT_EQ(state.error(), parse_errc::headers_too_large);
  }
}

}  // namespace
}  // namespace percore::load
