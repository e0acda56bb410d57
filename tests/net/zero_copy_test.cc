// Zero-copy writes (SEND_ZC and SENDMSG_ZC on io_uring, copies on epoll) on every backend, over
// real loopback sockets: large transfers, short writes, the buffer held until the kernel lets go
// of it, a peer's reset, cancellation and a stopping engine mid-write, and the refused fall-back.
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <random>
#include <string>
#include <vector>

#include <percore/net/sockets.hh>

#include "engine_fixture.hh"

namespace percore::net {
namespace {

using namespace std::chrono_literals;
using testing::on_every_backend;

class zero_copy : public on_every_backend {};

// Zero copy from 16 KiB up, the smallest size the kernel documentation suggests it for.
constexpr std::size_t threshold = 16 << 10;

// Deterministic content whose every position matters, so a lost or reordered byte shows.
std::vector<std::byte> pattern(std::size_t size, unsigned seed) {
  std::vector<std::byte> bytes(size);
  std::minstd_rand generator(seed + 1);
  for (std::byte& b : bytes) b = static_cast<std::byte>('a' + generator() % 26);
  return bytes;
}

struct stream_pair {
  tcp_stream writer;
  tcp_stream reader;
};

task<stream_pair> connect_pair(tcp_listener& listener) {
  task<result<tcp_stream>> connecting = net::connect(listener.local_address().value(), 5s);
  result<tcp_stream> writer = co_await std::move(connecting);
  result<tcp_stream> reader = co_await listener.accept();
  writer.value().set_zero_copy_threshold(threshold);
  co_return stream_pair{std::move(writer.value()), std::move(reader.value())};
}

// Reads until `size` bytes or the end; `pause` between reads makes a slow reader.
task<std::vector<std::byte>> read_up_to(tcp_stream& stream, std::size_t size,
                                        std::chrono::microseconds pause = 0us) {
  std::vector<std::byte> received;
  received.reserve(size);
  std::vector<std::byte> piece(64 << 10);
  while (received.size() < size) {
    const result<std::size_t> got = co_await stream.read(piece);
    if (!got || got.value() == 0) break;
    received.insert(received.end(), piece.begin(), piece.begin() + static_cast<long>(got.value()));
    if (pause > 0us) co_await sleep_for(pause);
  }
  co_return received;
}

// Makes `stream`'s receive window small, so that a writer's bytes wait in its own socket until
// the reader reads: the kernel then holds a zero-copy write's buffer for a long time. A reader
// that does read needs a window of several segments (64 KiB on loopback), or the writer's
// kernel falls back to probing a closed window at growing intervals.
void shrink_receive_buffer(tcp_stream& stream, int bytes) {
  ASSERT_TRUE(stream.set_option(SOL_SOCKET, SO_RCVBUF, bytes));
}
constexpr int silent_reader_window = 16 << 10;
constexpr int slow_reader_window = 256 << 10;

TEST_P(zero_copy, a_large_write_all_arrives_intact) {
  const std::vector<std::byte> message = pattern(64 << 20, 1);
  const bool intact = run([&message]() -> task<bool> {
    tcp_listener listener = tcp_listener::bind(socket_address::ipv4_loopback(0)).value();
    stream_pair pair = co_await connect_pair(listener);
    EXPECT_EQ(pair.writer.zero_copy_threshold(), threshold);
    auto reading = spawn(read_up_to(pair.reader, message.size() + 1));
    EXPECT_TRUE(co_await pair.writer.write_all(message));
    EXPECT_TRUE(co_await pair.writer.close());
    const std::vector<std::byte> received = co_await reading;
    co_return received == message;
  });
  EXPECT_TRUE(intact);
}

TEST_P(zero_copy, writev_all_of_large_and_small_parts_arrives_intact) {
  // Parts above and below the threshold, and more data than the socket takes in one sendmsg,
  // so that sends stop inside a part and the rest of it goes alone.
  const std::vector<std::byte> message = pattern((24 << 20) + 3, 2);
  const std::array<std::size_t, 5> sizes{7, 10 << 20, 100, 5 << 20, 0};
  const bool intact = run([&]() -> task<bool> {
    tcp_listener listener = tcp_listener::bind(socket_address::ipv4_loopback(0)).value();
    stream_pair pair = co_await connect_pair(listener);
    std::vector<iovec> parts;
    std::size_t offset = 0;
    for (std::size_t size : sizes) {
      const std::size_t length = size == 0 ? message.size() - offset : size;
      parts.push_back(iovec{const_cast<std::byte*>(message.data()) + offset, length});
      offset += length;
    }
    const std::vector<iovec> unchanged = parts;
    auto reading = spawn(read_up_to(pair.reader, message.size() + 1));
    EXPECT_TRUE(co_await pair.writer.writev_all(parts));
    EXPECT_TRUE(co_await pair.writer.close());
    const std::vector<std::byte> received = co_await reading;
    EXPECT_TRUE(std::equal(parts.begin(), parts.end(), unchanged.begin(),
                           [](const iovec& a, const iovec& b) {
                             return a.iov_base == b.iov_base && a.iov_len == b.iov_len;
                           }))
        << "writev_all left the caller's iovec array alone";
    co_return received == message;
  });
  EXPECT_TRUE(intact);
}

TEST_P(zero_copy, single_writes_may_be_short_and_carry_on_where_they_stopped) {
  const std::vector<std::byte> message = pattern(64 << 20, 3);
  const std::vector<std::string> outcome = run([&message]() -> task<std::vector<std::string>> {
    tcp_listener listener = tcp_listener::bind(socket_address::ipv4_loopback(0)).value();
    stream_pair pair = co_await connect_pair(listener);
    auto reading = spawn(read_up_to(pair.reader, message.size() + 1));
    std::vector<std::string> seen;
    const result<std::size_t> first = co_await pair.writer.write(message);
    const std::size_t taken = first.value_or(0);
    seen.push_back(taken > 0 && taken < message.size() ? "short" : "not short: " +
                                                                       std::to_string(taken));
    const std::span<const std::byte> rest = std::span(message).subspan(taken);
    const std::size_t half = rest.size() / 2;
    const std::array<iovec, 2> halves{iovec{const_cast<std::byte*>(rest.data()), half},
                                      iovec{const_cast<std::byte*>(rest.data()) + half,
                                            rest.size() - half}};
    const result<std::size_t> second = co_await pair.writer.writev(halves);
    seen.push_back(second && second.value() > 0 ? "writev sent some" : "writev failed");
    EXPECT_TRUE(co_await pair.writer.write_all(rest.subspan(second.value_or(0))));
    EXPECT_TRUE(co_await pair.writer.close());
    const std::vector<std::byte> received = co_await reading;
    seen.push_back(received == message ? "intact" : "corrupt");
    co_return seen;
  });
  EXPECT_EQ(outcome, (std::vector<std::string>{"short", "writev sent some", "intact"}));
}

// The data bytes of `stream` its peer has acknowledged (TCP_INFO counts the SYN too).
std::uint64_t bytes_acknowledged(const tcp_stream& stream) {
  tcp_info info{};
  socklen_t size = sizeof info;
  EXPECT_EQ(::getsockopt(stream.native_handle(), IPPROTO_TCP, TCP_INFO, &info, &size), 0);
  return info.tcpi_bytes_acked - 1;
}

TEST_P(zero_copy, the_buffer_may_be_overwritten_as_soon_as_the_write_returns) {
  // A slow reader behind a small window: a write that returned at the kernel's first completion
  // would leave bytes in the socket still to be read from the buffer, and the reader would see
  // the overwriting. On io_uring the write returns once the kernel let go of every byte, which
  // on TCP means the peer acknowledged them all.
  const std::vector<std::byte> message = pattern(8 << 20, 4);
  const std::vector<std::string> outcome = run([&]() -> task<std::vector<std::string>> {
    tcp_listener listener = tcp_listener::bind(socket_address::ipv4_loopback(0)).value();
    stream_pair pair = co_await connect_pair(listener);
    shrink_receive_buffer(pair.reader, slow_reader_window);
    std::vector<std::byte> buffer = message;
    auto reading = spawn(read_up_to(pair.reader, 2 * message.size() + 1, 200us));
    std::vector<std::string> seen;
    const bool lends = GetParam() == io::backend_kind::io_uring;
    EXPECT_TRUE(co_await pair.writer.write_all(buffer));
    const std::uint64_t acknowledged = bytes_acknowledged(pair.writer);
    seen.push_back(!lends || acknowledged == message.size() ? "acknowledged"
                                                            : std::to_string(acknowledged));
    std::fill(buffer.begin(), buffer.end(), std::byte{'X'});
    std::array<iovec, 2> halves{iovec{buffer.data(), buffer.size() / 2},
                                iovec{buffer.data() + buffer.size() / 2, buffer.size() / 2}};
    std::copy(message.begin(), message.end(), buffer.begin());
    EXPECT_TRUE(co_await pair.writer.writev_all(halves));
    const std::uint64_t acknowledged_again = bytes_acknowledged(pair.writer);
    seen.push_back(!lends || acknowledged_again == 2 * message.size()
                       ? "acknowledged"
                       : std::to_string(acknowledged_again));
    std::fill(buffer.begin(), buffer.end(), std::byte{'Y'});
    EXPECT_TRUE(co_await pair.writer.close());
    const std::vector<std::byte> received = co_await reading;
    std::vector<std::byte> twice = message;
    twice.insert(twice.end(), message.begin(), message.end());
    seen.push_back(received == twice ? "intact" : "overwritten");
    co_return seen;
  });
  EXPECT_EQ(outcome, (std::vector<std::string>{"acknowledged", "acknowledged", "intact"}));
}

TEST_P(zero_copy, a_peer_reset_mid_write_is_an_error_value) {
  const std::error_code error = run([]() -> task<std::error_code> {
    tcp_listener listener = tcp_listener::bind(socket_address::ipv4_loopback(0)).value();
    stream_pair pair = co_await connect_pair(listener);
    auto resetter = spawn([](tcp_stream& reader) -> task<void> {
      std::vector<std::byte> some(256 << 10);
      EXPECT_TRUE(co_await reader.read_exact(some));  // the writer is well under way
      const linger abort_on_close{.l_onoff = 1, .l_linger = 0};
      EXPECT_EQ(::setsockopt(reader.native_handle(), SOL_SOCKET, SO_LINGER, &abort_on_close,
                             sizeof abort_on_close),
                0);
      EXPECT_TRUE(co_await reader.close());  // unread data: RST
    }, std::ref(pair.reader));
    const std::vector<std::byte> large(64 << 20, std::byte{'x'});
    const result<void> written = co_await pair.writer.write_all(large);
    co_await resetter;
    co_return written.error();
  });
  EXPECT_TRUE(error == std::errc::connection_reset || error == std::errc::broken_pipe)
      << error.message();
}

task<result<void>> write_everything(tcp_stream& stream, std::vector<std::byte> buffer) {
  co_return co_await stream.write_all(buffer);
}

TEST_P(zero_copy, a_write_cancelled_while_the_peer_does_not_read_ends_and_frees_its_buffer) {
  // The buffer lives in the cancelled task's frame: if anything of the write outlived the task,
  // ASan would see the request or the buffer used after the frame is gone.
  const std::vector<std::string> outcome = run([]() -> task<std::vector<std::string>> {
    tcp_listener listener = tcp_listener::bind(socket_address::ipv4_loopback(0)).value();
    stream_pair pair = co_await connect_pair(listener);
    shrink_receive_buffer(pair.reader, silent_reader_window);
    task<result<void>> writing = write_everything(pair.writer, pattern(32 << 20, 5));
    const result<void> written = co_await with_timeout(50ms, std::move(writing));
    std::vector<std::string> seen{written.error().message()};
    seen.push_back("in flight " + std::to_string(current_backend().in_flight()));
    // Whatever the reader gets, it ends: with a reset where the kernel held lent bytes, or the
    // end of the stream once the writer closes.
    EXPECT_TRUE(co_await pair.writer.close());
    const std::vector<std::byte> received = co_await read_up_to(pair.reader, 64 << 20);
    seen.push_back(received.size() < (32u << 20) ? "partial" : "all of it");
    co_return seen;
  });
  EXPECT_EQ(outcome, (std::vector<std::string>{make_error_code(std::errc::timed_out).message(),
                                               "in flight 0", "partial"}));
}

TEST_P(zero_copy, cancelling_zero_copy_writes_at_any_moment_leaves_nothing_behind) {
  // Cancelled at varied moments: before a send, while the kernel takes bytes, while it holds
  // them; each time the task ends, nothing stays in flight, and the next connection works.
  const int completed = run([]() -> task<int> {
    tcp_listener listener = tcp_listener::bind(socket_address::ipv4_loopback(0)).value();
    int ended = 0;
    for (int round = 0; round < 60; ++round) {
      stream_pair pair = co_await connect_pair(listener);
      shrink_receive_buffer(pair.reader, slow_reader_window);
      auto reading = spawn(read_up_to(pair.reader, 64 << 20, 100us));
      task<result<void>> writing = write_everything(pair.writer, pattern(4 << 20, round));
      (void)co_await with_timeout(std::chrono::microseconds(50 + 97 * round), std::move(writing));
      if (current_backend().in_flight() <= 1) ++ended;  // only the reader's receive is left
      EXPECT_TRUE(co_await pair.writer.close());
      (void)co_await reading;
      EXPECT_TRUE(co_await pair.reader.close());
    }
    co_return ended;
  });
  EXPECT_EQ(completed, 60);
}

TEST_P(zero_copy, on_io_uring_the_write_waits_for_the_peer_and_elsewhere_it_copies) {
  // The evidence that io_uring lends the buffer: a write of more than the reader's window does
  // not return until the reader takes the bytes. A copying send returns once they are copied.
  const std::vector<std::string> outcome = run([]() -> task<std::vector<std::string>> {
    tcp_listener listener = tcp_listener::bind(socket_address::ipv4_loopback(0)).value();
    stream_pair pair = co_await connect_pair(listener);
    shrink_receive_buffer(pair.reader, silent_reader_window);
    const std::vector<std::byte> message = pattern(1 << 20, 6);
    auto write_once = [](tcp_stream& stream,
                         const std::vector<std::byte>& bytes) -> task<result<std::size_t>> {
      co_return co_await stream.write(bytes);
    };
    task<result<std::size_t>> writing = write_once(pair.writer, message);
    const result<std::size_t> written = co_await with_timeout(100ms, std::move(writing));
    std::vector<std::string> seen{written ? "returned" : written.error().message()};
    std::array<std::byte, 16> probe;
    const result<std::size_t> got = co_await pair.reader.read(probe);
    seen.push_back(got ? "reader got bytes" : got.error().message());
    co_return seen;
  });
  const bool lends = GetParam() == io::backend_kind::io_uring;
  EXPECT_EQ(outcome,
            (std::vector<std::string>{
                lends ? make_error_code(std::errc::timed_out).message() : "returned",
                "reader got bytes"}));
}

TEST_P(zero_copy, an_engine_stops_while_a_zero_copy_write_waits_for_a_silent_peer) {
  std::vector<std::error_code> ended;
  const auto start = std::chrono::steady_clock::now();
  run([&ended]() -> task<void> {
    tcp_listener listener = tcp_listener::bind(socket_address::ipv4_loopback(0)).value();
    stream_pair pair = co_await connect_pair(listener);
    shrink_receive_buffer(pair.reader, silent_reader_window);
    spawn([](stream_pair connection, std::vector<std::error_code>& into) -> task<void> {
      const std::vector<std::byte> large = pattern(16 << 20, 7);
      into.push_back((co_await connection.writer.write_all(large)).error());
    }, std::move(pair), std::ref(ended)).detach();
    co_await sleep_for(20ms);
  });
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_TRUE(ended[0] == std::errc::operation_canceled ||
              ended[0] == std::errc::connection_reset || ended[0] == std::errc::broken_pipe)
      << ended[0].message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST_P(zero_copy, sends_below_the_socket_layer_lend_or_copy_on_tcp_and_unix_sockets) {
  // The engine's own zero-copy sends: on a Unix socket the kernel refuses zero copy and they
  // copy, on TCP they lend; either way the bytes arrive.
  const std::vector<std::string> outcome = run([]() -> task<std::vector<std::string>> {
    std::vector<std::string> seen;
    const std::vector<std::byte> message = pattern(100'000, 8);
    int pair[2];
    const int type = SOCK_STREAM | SOCK_CLOEXEC |
                     (current_backend().wants_nonblocking_fds() ? SOCK_NONBLOCK : 0);
    EXPECT_EQ(::socketpair(AF_UNIX, type, 0, pair), 0);
    auto unix_reader = spawn([](int fd, std::size_t size) -> task<std::vector<std::byte>> {
      std::vector<std::byte> received(size);
      std::size_t have = 0;
      while (have < size) {
        const result<std::size_t> got =
            co_await percore::recv(fd, std::span(received).subspan(have));
        if (!got || got.value() == 0) break;
        have += got.value();
      }
      received.resize(have);
      co_return received;
    }, pair[1], 2 * message.size());
    std::size_t sent = 0;
    while (sent < message.size()) {
      const result<std::size_t> some =
          co_await percore::send_zero_copy(pair[0], std::span(message).subspan(sent));
      if (!some) break;
      sent += some.value();
    }
    iovec whole{const_cast<std::byte*>(message.data()), message.size()};
    msghdr header{};
    header.msg_iov = &whole;
    header.msg_iovlen = 1;
    std::size_t sent_again = 0;
    while (sent_again < message.size()) {
      whole.iov_base = const_cast<std::byte*>(message.data()) + sent_again;
      whole.iov_len = message.size() - sent_again;
      const result<std::size_t> some = co_await percore::sendmsg_zero_copy(pair[0], &header);
      if (!some) break;
      sent_again += some.value();
    }
    EXPECT_TRUE(co_await percore::close(pair[0]));
    const std::vector<std::byte> on_unix = co_await unix_reader;
    std::vector<std::byte> twice = message;
    twice.insert(twice.end(), message.begin(), message.end());
    seen.push_back(on_unix == twice ? "unix intact" : "unix corrupt");
    EXPECT_TRUE(co_await percore::close(pair[1]));

    tcp_listener listener = tcp_listener::bind(socket_address::ipv4_loopback(0)).value();
    stream_pair tcp = co_await connect_pair(listener);
    auto tcp_reader = spawn(read_up_to(tcp.reader, message.size() + 1));
    const result<std::size_t> lent =
        co_await percore::send_zero_copy(tcp.writer.native_handle(), message);
    EXPECT_TRUE(co_await tcp.writer.write_all(std::span(message).subspan(lent.value_or(0))));
    EXPECT_TRUE(co_await tcp.writer.close());
    const std::vector<std::byte> on_tcp = co_await tcp_reader;
    seen.push_back(on_tcp == message ? "tcp intact" : "tcp corrupt");
    co_return seen;
  });
  EXPECT_EQ(outcome, (std::vector<std::string>{"unix intact", "tcp intact"}));
}

PERCORE_ON_EVERY_BACKEND(zero_copy);

}  // namespace
}  // namespace percore::net
