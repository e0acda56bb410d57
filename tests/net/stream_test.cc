// Buffered input_stream and output_stream over a real socketpair, on every backend: lines and
// delimiters split across reads, limits, exact reads, end of stream, write-behind, partial writes.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <percore/net/input_stream.hh>
#include <percore/net/output_stream.hh>
#include <percore/net/unix_stream.hh>
#include <percore/engine/frame_pool.hh>
#include <percore/engine/timer.hh>

#include "engine_fixture.hh"

namespace percore::net {
namespace {

using namespace std::chrono_literals;
using testing::on_every_backend;

// A source and sink over one socket, counting the calls that reach the kernel.
struct counted_socket {
  int fd;
  int reads = 0;
  int writes = 0;

  io_operation<std::size_t> read(std::span<std::byte> buffer) {
    ++reads;
    return percore::read(fd, buffer);
  }
  io_operation<std::size_t> write(std::span<const std::byte> bytes) {
    ++writes;
    return percore::write(fd, bytes);
  }
  io_operation<std::size_t> writev(std::span<const iovec> parts) {
    ++writes;
    return percore::writev(fd, parts);
  }
};
static_assert(byte_source<counted_socket> && byte_sink<counted_socket>);

// Both ends of a stream socketpair, in the blocking mode the running backend wants.
std::array<int, 2> make_socket_pair() {
  const int nonblocking = current_backend().wants_nonblocking_fds() ? SOCK_NONBLOCK : 0;
  std::array<int, 2> ends{-1, -1};
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | nonblocking, 0, ends.data()) != 0) {
    throw std::system_error(errno, std::system_category(), "socketpair");
  }
  return ends;
}

std::span<const std::byte> bytes_of(std::string_view text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

std::string text_of(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// Writes each piece on its own, pausing in between so that the reader sees them arrive one by
// one; then closes the socket.
task<void> send_pieces(int fd, std::vector<std::string> pieces) {
  for (const std::string& piece : pieces) {
    std::size_t sent = 0;
    while (sent < piece.size()) {
      const std::span<const std::byte> rest = bytes_of(piece).subspan(sent);
      sent += (co_await percore::write(fd, rest)).value();
    }
    co_await sleep_for(100us);
  }
  ::close(fd);
}

// Reads until the end of the stream.
task<std::string> receive_all(int fd) {
  std::string received;
  std::array<std::byte, 4096> buffer;
  for (;;) {
    const std::size_t got = (co_await percore::read(fd, buffer)).value();
    if (got == 0) break;
    received += text_of(std::span(buffer).first(got));
  }
  co_return received;
}

class input_streams : public on_every_backend {};
class output_streams : public on_every_backend {};

TEST_P(input_streams, read_line_gives_lines_split_anywhere_across_reads) {
  const std::vector<std::string> lines = run([]() -> task<std::vector<std::string>> {
    auto ends = make_socket_pair();
    auto sender = spawn(send_pieces(ends[1], {"al", "pha\r", "\nbeta\nga", "mma and more th",
                                              "an sixteen bytes\r\n", "\r\n", "tail"}));
    counted_socket source{ends[0]};
    input_stream in(source, 40);
    std::vector<std::string> got;
    for (;;) {
      result<std::string_view> line = co_await in.read_line(40);
      if (!line) {
        EXPECT_EQ(line.error(), stream_errc::end_of_stream);
        break;
      }
      got.emplace_back(*line);
    }
    EXPECT_EQ(text_of(in.peek()), "tail");  // the unterminated rest stays buffered
    co_await sender;
    ::close(ends[0]);
    co_return got;
  });
  EXPECT_EQ(lines, (std::vector<std::string>{"alpha", "beta", "gamma and more than sixteen bytes",
                                             ""}));
}

TEST_P(input_streams, read_line_longer_than_its_limit_is_an_error_value) {
  run([]() -> task<void> {
    auto ends = make_socket_pair();
    auto sender = spawn(send_pieces(ends[1], {"1234567\n", "12345678\n"}));
    counted_socket source{ends[0]};
    input_stream in(source, 64);
    result<std::string_view> fits = co_await in.read_line(8);  // 7 bytes and "\n": at the limit
    EXPECT_EQ(fits.value(), "1234567");
    result<std::string_view> too_long = co_await in.read_line(8);
    EXPECT_EQ(too_long.error(), stream_errc::too_long);
    EXPECT_GE(in.peek().size(), 8u);  // nothing is lost: the caller decides what to do
    EXPECT_EQ(text_of(in.peek().first(8)), "12345678");
    co_await sender;
    ::close(ends[0]);
  });
}

TEST_P(input_streams, a_full_buffer_bounds_read_until_whatever_the_limit) {
  run([]() -> task<void> {
    auto ends = make_socket_pair();
    auto sender = spawn(send_pieces(ends[1], {std::string(100, 'x')}));
    counted_socket source{ends[0]};
    input_stream in(source, 16);
    result<std::string_view> line = co_await in.read_until("\n", 1'000'000);
    EXPECT_EQ(line.error(), stream_errc::too_long);
    EXPECT_EQ(in.peek().size(), 16u);
    result<std::size_t> more = co_await in.fill();
    EXPECT_EQ(more.error(), stream_errc::buffer_full);
    co_await sender;
    ::close(ends[0]);
  });
}

TEST_P(input_streams, read_until_finds_a_delimiter_split_between_reads) {
  run([]() -> task<void> {
    auto ends = make_socket_pair();
    auto sender = spawn(send_pieces(ends[1], {"head: 1\r\n\r", "\nbody", "\r\n\r\n"}));
    counted_socket source{ends[0]};
    input_stream in(source, 64);
    result<std::string_view> head = co_await in.read_until("\r\n\r\n", 64);
    EXPECT_EQ(head.value(), "head: 1\r\n\r\n");
    result<std::string_view> body = co_await in.read_until("\r\n\r\n", 64);
    EXPECT_EQ(body.value(), "body\r\n\r\n");
    result<std::string_view> none = co_await in.read_until("\r\n\r\n", 64);
    EXPECT_EQ(none.error(), stream_errc::end_of_stream);
    EXPECT_GE(source.reads, 3);
    co_await sender;
    ::close(ends[0]);
  });
}

TEST_P(input_streams, peek_fill_and_consume_work_in_place) {
  run([]() -> task<void> {
    auto ends = make_socket_pair();
    auto sender = spawn(send_pieces(ends[1], {"GET", " / HTTP/1.1"}));
    counted_socket source{ends[0]};
    input_stream in(source, 64);
    EXPECT_TRUE(in.peek().empty());
    std::size_t total = 0;
    while (total < 14) {
      result<std::size_t> got = co_await in.fill();
      EXPECT_GT(got.value(), 0u);
      total += *got;
      EXPECT_EQ(in.peek().size(), total);
    }
    const std::byte* before = in.peek().data();
    in.consume(4);
    EXPECT_EQ(in.peek().data(), before + 4);  // consuming moves nothing
    EXPECT_EQ(text_of(in.peek()), "/ HTTP/1.1");
    EXPECT_EQ((co_await in.fill()).value(), 0u);  // end of stream; the bytes are still there
    EXPECT_EQ(text_of(in.peek()), "/ HTTP/1.1");
    in.consume(in.peek().size());
    EXPECT_TRUE(in.peek().empty());
    co_await sender;
    ::close(ends[0]);
  });
}

TEST_P(input_streams, read_some_gives_buffered_bytes_first_and_zero_at_the_end) {
  run([]() -> task<void> {
    auto ends = make_socket_pair();
    auto sender = spawn(send_pieces(ends[1], {"line\nrest"}));
    counted_socket source{ends[0]};
    input_stream in(source, 64);
    EXPECT_EQ((co_await in.read_line(64)).value(), "line");
    std::array<std::byte, 2> small;
    EXPECT_EQ((co_await in.read_some(small)).value(), 2u);
    EXPECT_EQ(text_of(small), "re");
    std::array<std::byte, 64> large;
    EXPECT_EQ((co_await in.read_some(large)).value(), 2u);
    EXPECT_EQ(text_of(std::span(large).first(2)), "st");
    EXPECT_EQ((co_await in.read_some(large)).value(), 0u);
    co_await sender;
    ::close(ends[0]);
  });
}

TEST_P(input_streams, read_exact_larger_than_the_buffer_is_complete_and_in_order) {
  run([]() -> task<void> {
    auto ends = make_socket_pair();
    std::string pattern(200'000, '\0');
    for (std::size_t i = 0; i < pattern.size(); ++i) pattern[i] = static_cast<char>('a' + i % 23);
    auto sender = spawn(send_pieces(ends[1], {pattern.substr(0, 5), pattern.substr(5, 70'000),
                                              pattern.substr(70'005)}));
    counted_socket source{ends[0]};
    input_stream in(source, 4096);
    std::string head(3, '\0');
    EXPECT_TRUE(co_await in.read_exact(std::as_writable_bytes(std::span(head))));
    std::string rest(pattern.size() - 3, '\0');
    EXPECT_TRUE(co_await in.read_exact(std::as_writable_bytes(std::span(rest))));
    EXPECT_TRUE(head + rest == pattern);
    co_await sender;
    ::close(ends[0]);
  });
}

TEST_P(input_streams, read_exact_past_the_end_of_the_stream_is_an_error_value) {
  run([]() -> task<void> {
    auto ends = make_socket_pair();
    auto sender = spawn(send_pieces(ends[1], {"short"}));
    counted_socket source{ends[0]};
    input_stream in(source, 64);
    std::array<std::byte, 10> buffer;
    result<void> got = co_await in.read_exact(buffer);
    EXPECT_EQ(got.error(), stream_errc::end_of_stream);
    co_await sender;
    ::close(ends[0]);
  });
}

TEST_P(input_streams, a_read_error_is_a_value) {
  run([]() -> task<void> {
    counted_socket source{-1};
    input_stream in(source, 64);
    result<std::string_view> line = co_await in.read_line(64);
    EXPECT_EQ(line.error(), std::errc::bad_file_descriptor);
  });
}

TEST_P(output_streams, small_writes_are_gathered_into_few_system_calls) {
  const std::string received = run([]() -> task<std::string> {
    auto ends = make_socket_pair();
    auto receiver = spawn(receive_all(ends[1]));
    counted_socket sink{ends[0]};
    output_stream out(sink, 4096);
    for (int i = 0; i < 1000; ++i) {
      const std::string record = "record " + std::to_string(i % 10) + "\n";  // 9 bytes
      EXPECT_TRUE(co_await out.write(record));
    }
    EXPECT_TRUE(co_await out.flush());
    EXPECT_EQ(out.buffered(), 0u);
    // 9,000 bytes through a 4,096-byte buffer: two writev when it overflows, one write to flush.
    EXPECT_LE(sink.writes, 3);
    ::shutdown(ends[0], SHUT_WR);
    std::string all = co_await receiver;
    ::close(ends[0]);
    ::close(ends[1]);
    co_return all;
  });
  ASSERT_EQ(received.size(), 9000u);
  for (std::size_t i = 0; i < 1000; ++i) {
    ASSERT_EQ(received.substr(i * 9, 9), "record " + std::to_string(i % 10) + "\n");
  }
}

TEST_P(output_streams, writes_stay_buffered_until_flush) {
  run([]() -> task<void> {
    auto ends = make_socket_pair();
    counted_socket sink{ends[0]};
    output_stream out(sink, 256);
    EXPECT_TRUE(co_await out.write(std::string_view("hello, ")));
    EXPECT_TRUE(out.try_append(std::string_view("world")));
    EXPECT_EQ(out.buffered(), 12u);
    EXPECT_EQ(sink.writes, 0);
    char probe[32];
    EXPECT_EQ(::recv(ends[1], probe, sizeof probe, MSG_DONTWAIT), -1);  // nothing sent yet
    EXPECT_TRUE(co_await out.flush());
    EXPECT_EQ(sink.writes, 1);
    const ssize_t got = ::recv(ends[1], probe, sizeof probe, 0);
    EXPECT_EQ(std::string(probe, got > 0 ? static_cast<std::size_t>(got) : 0), "hello, world");
    EXPECT_TRUE(co_await out.flush());  // nothing buffered: no system call
    EXPECT_EQ(sink.writes, 1);
    ::close(ends[0]);
    ::close(ends[1]);
  });
}

TEST_P(output_streams, try_append_refuses_what_does_not_fit_and_copies_nothing) {
  run([]() -> task<void> {
    auto ends = make_socket_pair();
    counted_socket sink{ends[0]};
    output_stream out(sink, 8);
    EXPECT_TRUE(out.try_append(std::string_view("12345")));
    EXPECT_FALSE(out.try_append(std::string_view("6789")));
    EXPECT_EQ(out.buffered(), 5u);
    EXPECT_TRUE(out.try_append(std::string_view("678")));
    EXPECT_EQ(out.buffered(), 8u);
    EXPECT_TRUE(co_await out.flush());
    char probe[16];
    const ssize_t got = ::recv(ends[1], probe, sizeof probe, 0);
    EXPECT_EQ(std::string(probe, got > 0 ? static_cast<std::size_t>(got) : 0), "12345678");
    ::close(ends[0]);
    ::close(ends[1]);
  });
}

TEST_P(output_streams, a_large_write_after_small_ones_arrives_whole_through_partial_writes) {
  std::string pattern(3'000'000, '\0');
  for (std::size_t i = 0; i < pattern.size(); ++i) pattern[i] = static_cast<char>('A' + i % 29);
  const std::string received = run([&pattern]() -> task<std::string> {
    auto ends = make_socket_pair();
    const int small_buffer = 4096;  // the kernel takes a large write in many pieces
    ::setsockopt(ends[0], SOL_SOCKET, SO_SNDBUF, &small_buffer, sizeof small_buffer);
    auto receiver = spawn(receive_all(ends[1]));
    counted_socket sink{ends[0]};
    output_stream out(sink, 1024);
    const std::string_view all = pattern;
    EXPECT_TRUE(co_await out.write(all.substr(0, 10)));
    EXPECT_TRUE(co_await out.write(all.substr(10, 100)));
    EXPECT_TRUE(co_await out.write(all.substr(110)));
    EXPECT_TRUE(co_await out.flush());
    ::shutdown(ends[0], SHUT_WR);
    std::string got = co_await receiver;
    ::close(ends[0]);
    ::close(ends[1]);
    co_return got;
  });
  EXPECT_EQ(received.size(), pattern.size());
  EXPECT_TRUE(received == pattern);
}

TEST_P(output_streams, writing_to_a_closed_peer_is_an_error_value) {
  ::signal(SIGPIPE, SIG_IGN);
  run([]() -> task<void> {
    auto ends = make_socket_pair();
    ::close(ends[1]);
    counted_socket sink{ends[0]};
    output_stream out(sink, 64);
    EXPECT_TRUE(co_await out.write(std::string_view("buffered, not sent")));
    result<void> flushed = co_await out.flush();
    EXPECT_EQ(flushed.error(), std::errc::broken_pipe);
    EXPECT_EQ(out.buffered(), 0u);
    const std::string large(1000, 'x');
    result<void> written = co_await out.write(large);
    EXPECT_EQ(written.error(), std::errc::broken_pipe);
    ::close(ends[0]);
  });
}

// Fills the socket's send buffer (the peer not reading) until the kernel refuses more.
void fill_send_buffer(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  const std::string chunk(4096, 'f');
  while (::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL) > 0) {
  }
  ::fcntl(fd, F_SETFL, flags);
}

std::uint64_t small_blocks_outstanding() {
  const frame_pool::statistics now = frame_pool::local().stats();
  return now.allocations - now.deallocations;
}

TEST_P(output_streams, write_behind_sends_while_the_writer_goes_on_and_keeps_the_order) {
  const std::string received = run([]() -> task<std::string> {
    auto ends = make_socket_pair();
    auto receiver = spawn(receive_all(ends[1]));
    unix_stream socket(ends[0]);
    {
      output_stream out(socket, 64);
      EXPECT_TRUE(out.try_append(std::string_view("first answer; ")));
      out.write_behind();
      EXPECT_EQ(out.buffered(), 0u);
      // Written while the first may still be in flight: it waits for it, then follows it.
      EXPECT_TRUE(co_await out.write(std::string_view("second answer; ")));
      out.write_behind();
      EXPECT_TRUE(co_await out.write(std::string(100, 'z')));  // larger than the buffer
      EXPECT_TRUE(co_await out.flush());
      EXPECT_TRUE(co_await out.settled());
    }
    (void)socket.shutdown(shutdown_how::write);
    co_return co_await receiver;
  });
  EXPECT_EQ(received, "first answer; second answer; " + std::string(100, 'z'));
}

TEST_P(output_streams, a_write_behind_error_comes_from_settled_once) {
  ::signal(SIGPIPE, SIG_IGN);
  run([]() -> task<void> {
    auto ends = make_socket_pair();
    ::close(ends[1]);
    unix_stream socket(ends[0]);
    output_stream out(socket, 64);
    EXPECT_TRUE(out.try_append(std::string_view("to nobody")));
    out.write_behind();
    const result<void> sent = co_await out.settled();
    EXPECT_EQ(sent.error(), std::errc::broken_pipe);
    EXPECT_TRUE(co_await out.settled());  // reported once
  });
}

TEST_P(output_streams, a_stream_destroyed_with_its_send_waiting_frees_the_buffer_on_completion) {
  const std::int64_t leaked = run([]() -> task<std::int64_t> {
    auto ends = make_socket_pair();
    fill_send_buffer(ends[0]);
    unix_stream socket(ends[0]);
    const std::uint64_t before = small_blocks_outstanding();
    {
      output_stream out(socket, 256);
      EXPECT_TRUE(out.try_append(std::string(200, 'w')));
      out.write_behind();  // the kernel cannot take it: the peer reads nothing
    }
    // The send was cancelled; its completion, in a later turn, frees the block.
    for (int turn = 0; turn < 100 && small_blocks_outstanding() != before; ++turn) {
      co_await sleep_for(1ms);
    }
    ::close(ends[1]);
    co_return static_cast<std::int64_t>(small_blocks_outstanding() - before);
  });
  EXPECT_EQ(leaked, 0);
}

PERCORE_ON_EVERY_BACKEND(input_streams);
PERCORE_ON_EVERY_BACKEND(output_streams);

}  // namespace
}  // namespace percore::net
