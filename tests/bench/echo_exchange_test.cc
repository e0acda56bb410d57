// echo_exchange tests, without sockets: what a connection sends, how the echo is checked as it
// arrives in pieces, and how far a large message runs ahead of its echo.
#include "bench/load/echo_exchange.hh"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include <percore/net/stream_error.hh>

#include "bench/load/load_error.hh"

namespace percore::load {
namespace {

// Sends everything to_send() offers, in pieces of at most `piece` bytes, and returns it.
std::vector<std::byte> send_all(echo_exchange& exchange, std::size_t piece) {
  std::vector<std::byte> sent;
  for (std::span<const std::byte> out = exchange.to_send(); !out.empty();
       out = exchange.to_send()) {
    const std::size_t count = std::min(piece, out.size());
    sent.insert(sent.end(), out.begin(), out.begin() + static_cast<std::ptrdiff_t>(count));
    exchange.sent(count);
  }
  return sent;
}

// Echoes `bytes` back in pieces of at most `piece` bytes; the state after the last piece.
result<exchange_state> echo_back(echo_exchange& exchange, std::span<const std::byte> bytes,
                                 std::size_t piece) {
  result<exchange_state> state = exchange_state::waiting;
  while (!bytes.empty()) {
    const std::span<std::byte> space = exchange.receive_space();
    const std::size_t count = std::min({piece, space.size(), bytes.size()});
    std::memcpy(space.data(), bytes.data(), count);
    bytes = bytes.subspan(count);
    state = exchange.received(count);
    if (!state) return state;
  }
  return state;
}

TEST(echo_exchange, a_whole_echo_answers_in_any_pieces) {
  echo_exchange exchange(100);
  for (std::size_t piece : {100u, 1u, 7u, 64u}) {
    exchange.begin();
    const std::vector<std::byte> sent = send_all(exchange, 1000);
    ASSERT_EQ(sent.size(), 100u);
    EXPECT_TRUE(exchange.to_send().empty());
    std::vector<std::byte> all_but_last(sent.begin(), sent.end() - 1);
    result<exchange_state> state = echo_back(exchange, all_but_last, piece);
    ASSERT_TRUE(state) << piece;
    EXPECT_EQ(*state, exchange_state::waiting);
    state = echo_back(exchange, std::span(sent).last(1), piece);
    ASSERT_TRUE(state);
    EXPECT_EQ(*state, exchange_state::answered) << piece;
  }
  EXPECT_TRUE(exchange.reusable());
}

TEST(echo_exchange, each_message_carries_its_sequence_number) {
  echo_exchange exchange(64);
  exchange.begin();
  const std::vector<std::byte> first = send_all(exchange, 64);
  ASSERT_TRUE(echo_back(exchange, first, 64));
  exchange.begin();
  const std::vector<std::byte> second = send_all(exchange, 64);
  EXPECT_NE(first, second);
  // An echo of the earlier message is wrong now.
  result<exchange_state> replayed = echo_back(exchange, first, 64);
  ASSERT_FALSE(replayed);
  EXPECT_EQ(replayed.error(), load_errc::wrong_echo);

  echo_exchange tiny(3);
  tiny.begin();
  EXPECT_EQ(send_all(tiny, 3).size(), 3u);
}

TEST(echo_exchange, one_changed_byte_is_a_wrong_echo) {
  echo_exchange exchange(4096);
  for (std::size_t changed : {0u, 9u, 4095u}) {
    exchange.begin();
    std::vector<std::byte> echo = send_all(exchange, 4096);
    echo[changed] ^= std::byte{1};
    result<exchange_state> state = echo_back(exchange, echo, 1000);
    ASSERT_FALSE(state) << changed;
    EXPECT_EQ(state.error(), load_errc::wrong_echo);
    EXPECT_NE(state.error().message().find("differ"), std::string::npos);
  }
}

TEST(echo_exchange, a_large_message_runs_ahead_of_its_echo_by_a_window_at_most) {
  const std::size_t size = 3 * echo_exchange::most_ahead + 5;
  echo_exchange exchange(size);
  exchange.begin();
  std::vector<std::byte> sent = send_all(exchange, 1000);
  EXPECT_EQ(sent.size(), echo_exchange::most_ahead);
  std::size_t echoed = 0;
  result<exchange_state> state = exchange_state::waiting;
  while (echoed < size) {
    EXPECT_LE(exchange.receive_space().size(), echo_exchange::most_ahead);
    const std::size_t step = std::min<std::size_t>(10'000, sent.size() - echoed);
    ASSERT_GT(step, 0u);
    state = echo_back(exchange, std::span(sent).subspan(echoed, step), step);
    ASSERT_TRUE(state);
    echoed += step;
    const std::vector<std::byte> more = send_all(exchange, 1 << 20);
    sent.insert(sent.end(), more.begin(), more.end());
    EXPECT_LE(sent.size() - echoed, echo_exchange::most_ahead);
  }
  EXPECT_EQ(sent.size(), size);
  EXPECT_EQ(*state, exchange_state::answered);
}

TEST(echo_exchange, the_end_of_the_stream_cuts_the_answer_short) {
  echo_exchange exchange(10);
  exchange.begin();
  result<exchange_state> state = exchange.end_of_stream();
  ASSERT_FALSE(state);
  EXPECT_EQ(state.error(), net::stream_errc::end_of_stream);
  EXPECT_THROW(echo_exchange(0), std::invalid_argument);
}

}  // namespace
}  // namespace percore::load
