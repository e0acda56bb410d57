// I/O operations through the engine on every backend: pipes, files, sockets, poll, and
// cancellation of in-flight operations (the buffer stays alive until the final completion).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "engine_fixture.hh"

namespace percore {
namespace {

using namespace std::chrono_literals;
using testing::on_every_backend;

class io_operations : public on_every_backend {};

std::span<const std::byte> bytes_of(const std::string& text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

// Binds `fd` to 127.0.0.1 on a port the kernel picks and returns that address.
sockaddr_in bind_loopback(int fd) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  return address;
}

TEST_P(io_operations, nop_completes) {
  EXPECT_TRUE(run([]() -> task<bool> { co_return (co_await nop()).has_value(); }));
}

TEST_P(io_operations, pipe_ping_pong_hundred_thousand_messages) {
  constexpr int messages = 100'000;
  const long checksum = run([]() -> task<long> {
    auto forward = make_pipe().value();
    auto backward = make_pipe().value();
    auto echo = spawn([](int in, int out) -> task<void> {
      for (int i = 0; i < messages; ++i) {
        std::uint32_t value = 0;
        auto got = co_await read(in, std::as_writable_bytes(std::span(&value, 1)));
        EXPECT_EQ(got.value(), sizeof value);
        value += 1;
        auto sent = co_await write(out, std::as_bytes(std::span(&value, 1)));
        EXPECT_EQ(sent.value(), sizeof value);
      }
    }, forward[0], backward[1]);
    long sum = 0;
    for (std::uint32_t i = 0; i < messages; ++i) {
      auto sent = co_await write(forward[1], std::as_bytes(std::span(&i, 1)));
      EXPECT_EQ(sent.value(), sizeof i);
      std::uint32_t reply = 0;
      auto got = co_await read(backward[0], std::as_writable_bytes(std::span(&reply, 1)));
      EXPECT_EQ(got.value(), sizeof reply);
      EXPECT_EQ(reply, i + 1);
      sum += reply;
    }
    co_await echo;
    for (int fd : {forward[0], forward[1], backward[0], backward[1]}) (co_await close(fd)).value();
    co_return sum;
  });
  EXPECT_EQ(checksum, static_cast<long>(messages) * (messages + 1) / 2);
}

TEST_P(io_operations, file_open_write_fsync_read_close) {
  const auto directory = std::filesystem::temp_directory_path() /
                         ("percore-io-" + std::to_string(::getpid()) + "-" +
                          std::string(io::to_string(GetParam())));
  std::filesystem::create_directories(directory);
  const std::string path = (directory / "data").string();
  const std::string read_back = run([&path]() -> task<std::string> {
    const int fd = (co_await openat(AT_FDCWD, path.c_str(), O_CREAT | O_RDWR | O_TRUNC)).value();
    const std::string first = "hello, ";
    const std::string second = "file";
    EXPECT_EQ((co_await write(fd, bytes_of(first), 0)).value(), first.size());
    EXPECT_EQ((co_await write(fd, bytes_of(second), first.size())).value(), second.size());
    EXPECT_TRUE(co_await fsync(fd));
    EXPECT_TRUE(co_await fsync(fd, true));
    std::string buffer(64, '\0');
    std::array<iovec, 2> parts{iovec{buffer.data(), 3}, iovec{buffer.data() + 3, 61}};
    const std::size_t got = (co_await readv(fd, parts, 0)).value();
    buffer.resize(got);
    (co_await close(fd)).value();
    co_return buffer;
  });
  std::filesystem::remove_all(directory);
  EXPECT_EQ(read_back, "hello, file");
}

TEST_P(io_operations, open_missing_file_is_an_error_value) {
  const std::error_code error = run([]() -> task<std::error_code> {
    co_return (co_await openat(AT_FDCWD, "/nonexistent/percore/file", O_RDONLY)).error();
  });
  EXPECT_EQ(error, std::errc::no_such_file_or_directory);
}

TEST_P(io_operations, tcp_accept_connect_send_recv) {
  const std::string received = run([]() -> task<std::string> {
    const int listener = make_socket(AF_INET, SOCK_STREAM).value();
    sockaddr_in address = bind_loopback(listener);
    EXPECT_EQ(::listen(listener, 16), 0);

    auto server = spawn([](int listening) -> task<void> {
      const int connection = (co_await accept(listening)).value();
      std::string buffer(16, '\0');
      const std::size_t got =
          (co_await recv(connection, std::as_writable_bytes(std::span(buffer)))).value();
      buffer.resize(got);
      const std::string reply = "re:" + buffer;
      EXPECT_EQ((co_await send(connection, bytes_of(reply))).value(), reply.size());
      (co_await close(connection)).value();
    }, listener);

    const int client = make_socket(AF_INET, SOCK_STREAM).value();
    EXPECT_TRUE(co_await percore::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address));
    const std::string request = "ping";
    EXPECT_EQ((co_await send(client, bytes_of(request))).value(), request.size());
    std::string reply(16, '\0');
    std::size_t total = 0;
    for (;;) {
      const std::size_t got =
          (co_await recv(client, std::as_writable_bytes(std::span(reply).subspan(total)))).value();
      if (got == 0) break;
      total += got;
    }
    reply.resize(total);
    co_await server;
    (co_await close(client)).value();
    (co_await close(listener)).value();
    co_return reply;
  });
  EXPECT_EQ(received, "re:ping");
}

TEST_P(io_operations, connect_to_a_closed_port_is_refused) {
  const std::error_code error = run([]() -> task<std::error_code> {
    // Bind a port, then close it without listening: nothing accepts there.
    const int probe = make_socket(AF_INET, SOCK_STREAM).value();
    sockaddr_in address = bind_loopback(probe);
    ::close(probe);
    const int client = make_socket(AF_INET, SOCK_STREAM).value();
    auto outcome = co_await percore::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::close(client);
    co_return outcome.error();
  });
  EXPECT_EQ(error, std::errc::connection_refused);
}

TEST_P(io_operations, poll_reports_readable) {
  const unsigned mask = run([]() -> task<unsigned> {
    auto ends = make_pipe().value();
    auto waiter = spawn([](int fd) -> task<unsigned> { co_return (co_await poll(fd, POLLIN)).value(); },
                        ends[0]);
    co_await sleep_for(5ms);
    const char byte = 'x';
    EXPECT_EQ((co_await write(ends[1], std::as_bytes(std::span(&byte, 1)))).value(), 1u);
    const unsigned ready = co_await waiter;
    ::close(ends[0]);
    ::close(ends[1]);
    co_return ready;
  });
  EXPECT_TRUE(mask & POLLIN);
}

// The kernel must be told: a read on a pipe that never gets data ends when its task is
// cancelled, with operation_canceled, and its buffer is untouched and alive until then.
// Run 10,000 times so that ASan would catch a buffer freed before the final completion.
TEST_P(io_operations, cancelling_a_task_cancels_its_read_ten_thousand_times) {
  constexpr int rounds = 10'000;
  const int cancelled = run([]() -> task<int> {
    auto ends = make_pipe().value();
    int count = 0;
    for (int round = 0; round < rounds; ++round) {
      auto reader = spawn([](int fd) -> task<std::pair<std::error_code, bool>> {
        std::vector<std::byte> buffer(64, std::byte{0x5a});
        auto outcome = co_await read(fd, buffer);
        const bool untouched = std::all_of(buffer.begin(), buffer.end(),
                                           [](std::byte b) { return b == std::byte{0x5a}; });
        co_return std::pair{outcome.error(), untouched};
      }, ends[0]);
      if (round % 2 == 0) co_await yield();  // half cancelled in flight, half before starting
      reader.cancel();
      auto [error, untouched] = co_await reader;
      EXPECT_EQ(error, std::errc::operation_canceled);
      EXPECT_TRUE(untouched);
      if (error == std::errc::operation_canceled) ++count;
    }
    ::close(ends[0]);
    ::close(ends[1]);
    co_return count;
  });
  EXPECT_EQ(cancelled, rounds);
}

TEST_P(io_operations, stopping_engine_cancels_io_left_in_flight) {
  std::error_code seen;
  int pipe_ends[2] = {-1, -1};
  run([&]() -> task<void> {
    auto ends = make_pipe().value();
    pipe_ends[0] = ends[0];
    pipe_ends[1] = ends[1];
    spawn([&seen](int fd) -> task<void> {
      std::array<std::byte, 8> buffer{};
      seen = (co_await read(fd, buffer)).error();
    }, ends[0]).detach();
    co_await yield();
  });
  ::close(pipe_ends[0]);
  ::close(pipe_ends[1]);
  EXPECT_EQ(seen, std::errc::operation_canceled);
}

TEST_P(io_operations, close_runs_even_in_a_cancelled_task) {
  const bool closed = run([]() -> task<bool> {
    auto ends = make_pipe().value();
    auto cleaner = spawn([](int fd) -> task<bool> {
      std::array<std::byte, 8> buffer{};
      auto read_outcome = co_await read(fd, buffer);  // cancelled
      EXPECT_EQ(read_outcome.error(), std::errc::operation_canceled);
      co_return (co_await close(fd)).has_value();
    }, ends[0]);
    co_await yield();
    cleaner.cancel();
    const bool ok = co_await cleaner;
    EXPECT_EQ(::fcntl(ends[0], F_GETFD), -1);  // really closed
    ::close(ends[1]);
    co_return ok;
  });
  EXPECT_TRUE(closed);
}

PERCORE_ON_EVERY_BACKEND(io_operations);

}  // namespace
}  // namespace percore
