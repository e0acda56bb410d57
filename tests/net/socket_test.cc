// Sockets on every backend, over real loopback sockets: TCP (IPv4, IPv6), Unix streams and
// datagrams, UDP, refusal, timeouts, half-close, resets, 10,000 connections, bad input, and
// multishot accept and receive.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <percore/net/byte_stream.hh>
#include <percore/net/sockets.hh>

#include "engine_fixture.hh"

namespace percore::net {
namespace {

using namespace std::chrono_literals;
using testing::on_every_backend;
using clock_type = std::chrono::steady_clock;

class net_sockets : public on_every_backend {
 protected:
  // A name no other test, backend or concurrent run uses.
  std::string unique_name(std::string_view what) const {
    static std::atomic<int> counter{0};
    return "percore-test-" + std::to_string(::getpid()) + "-" +
           std::string(io::to_string(GetParam())) + "-" + std::string(what) + "-" +
           std::to_string(counter++);
  }
};

// The shape the buffered streams are templated on.
static_assert(byte_source<tcp_stream> && byte_sink<tcp_stream>);
static_assert(byte_source<unix_stream> && byte_sink<unix_stream>);

std::span<const std::byte> bytes_of(std::string_view text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

std::span<std::byte> writable_bytes_of(std::string& text) {
  return std::as_writable_bytes(std::span(text));
}

// Deterministic content whose every position matters, so a lost or reordered byte shows.
std::string pattern(std::size_t size, unsigned seed) {
  std::string text(size, '\0');
  std::minstd_rand generator(seed + 1);
  for (char& c : text) c = static_cast<char>('a' + generator() % 26);
  return text;
}

bool ipv6_loopback_available() {
  const int probe = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (probe < 0) return false;
  const socket_address loopback = socket_address::ipv6_loopback(0);
  const bool bound = ::bind(probe, loopback.native(), loopback.native_size()) == 0;
  ::close(probe);
  return bound;
}

// Accepts one connection, reads `size` bytes, writes them back and reports the peer's address.
template <class Stream>
task<result<socket_address>> echo_one(stream_listener<Stream>& listener, std::size_t size) {
  result<Stream> accepted = co_await listener.accept();
  if (!accepted) co_return accepted.error();
  Stream connection = std::move(accepted.value());
  std::string buffer(size, '\0');
  if (auto got = co_await connection.read_exact(writable_bytes_of(buffer)); !got) {
    co_return got.error();
  }
  if (auto sent = co_await connection.write_all(bytes_of(buffer)); !sent) co_return sent.error();
  co_return connection.peer_address();
}

struct echo_outcome {
  std::string reply;
  socket_address client_local;
  socket_address server_saw;
  socket_address client_peer;
};

// Connects a Stream to `listener`, sends `message` in three writev parts, and reads the echo.
template <class Stream>
task<echo_outcome> echo_through(stream_listener<Stream>& listener, std::string message) {
  const socket_address target = listener.local_address().value();
  auto server = spawn(echo_one<Stream>, std::ref(listener), message.size());
  task<result<Stream>> connecting = net::connect<Stream>(target, 5s);
  result<Stream> connected = co_await std::move(connecting);
  Stream client = std::move(connected.value());
  const std::size_t third = message.size() / 3;
  std::array<iovec, 3> parts{iovec{message.data(), third},
                             iovec{message.data() + third, third},
                             iovec{message.data() + 2 * third, message.size() - 2 * third}};
  EXPECT_TRUE(co_await client.writev_all(parts));
  echo_outcome outcome;
  outcome.reply.resize(message.size());
  EXPECT_TRUE(co_await client.read_exact(writable_bytes_of(outcome.reply)));
  outcome.client_local = client.local_address().value();
  outcome.client_peer = client.peer_address().value();
  const result<socket_address> server_saw = co_await server;
  outcome.server_saw = server_saw.value();
  EXPECT_TRUE(co_await client.close());
  co_return outcome;
}

TEST_P(net_sockets, tcp_echo_over_ipv4) {
  const std::string message = pattern(3 << 20, 1);
  const echo_outcome outcome = run([&message]() -> task<echo_outcome> {
    tcp_listener listener = tcp_listener::bind(socket_address::ipv4_loopback(0)).value();
    EXPECT_NE(listener.local_address().value().port(), 0);
    co_return co_await echo_through(listener, message);
  });
  EXPECT_TRUE(outcome.reply == message);
  EXPECT_EQ(outcome.client_local.family(), AF_INET);
  EXPECT_EQ(outcome.server_saw, outcome.client_local);
  EXPECT_EQ(outcome.client_peer.to_string().rfind("127.0.0.1:", 0), 0u);
}

TEST_P(net_sockets, tcp_echo_over_ipv6) {
  if (!ipv6_loopback_available()) GTEST_SKIP() << "this machine has no IPv6 loopback";
  const std::string message = pattern(1 << 20, 2);
  const echo_outcome outcome = run([&message]() -> task<echo_outcome> {
    tcp_listener listener = tcp_listener::bind(socket_address::ipv6_loopback(0)).value();
    co_return co_await echo_through(listener, message);
  });
  EXPECT_TRUE(outcome.reply == message);
  EXPECT_EQ(outcome.client_local.family(), AF_INET6);
  EXPECT_EQ(outcome.server_saw, outcome.client_local);
  EXPECT_EQ(outcome.client_peer.to_string().rfind("[::1]:", 0), 0u);
}

TEST_P(net_sockets, unix_stream_echo_over_a_path_and_an_abstract_name) {
  const auto directory = std::filesystem::temp_directory_path() / unique_name("dir");
  std::filesystem::create_directories(directory);
  const socket_address path = socket_address::unix_path((directory / "socket").string()).value();
  const socket_address abstract = socket_address::unix_abstract(unique_name("stream")).value();
  const std::string message = pattern(256 << 10, 3);
  for (const socket_address& address : {path, abstract}) {
    const echo_outcome outcome = run([&]() -> task<echo_outcome> {
      unix_listener listener = unix_listener::bind(address).value();
      EXPECT_EQ(listener.local_address().value(), address);
      co_return co_await echo_through(listener, message);
    });
    EXPECT_TRUE(outcome.reply == message) << address.to_string();
    EXPECT_EQ(outcome.client_peer, address);
    EXPECT_TRUE(outcome.server_saw.is_unix());
    EXPECT_TRUE(outcome.server_saw.unix_name().empty()) << "the client never bound a name";
  }
  EXPECT_TRUE(std::filesystem::exists(directory / "socket")) << "a path listener leaves its file";
  std::filesystem::remove_all(directory);
}

TEST_P(net_sockets, unix_stream_reports_the_peer_credentials) {
  const socket_address address = socket_address::unix_abstract(unique_name("credentials")).value();
  const pid_t peer = run([&address]() -> task<pid_t> {
    unix_listener listener = unix_listener::bind(address).value();
    task<result<unix_stream>> connecting = net::connect<unix_stream>(address, 5s);
    unix_stream client = (co_await std::move(connecting)).value();
    unix_stream server = (co_await listener.accept()).value();
    co_return server.peer_credentials().value().pid;
  });
  EXPECT_EQ(peer, ::getpid());
}

// Sends from `client` to `server` and back, checking what each side sees as the sender.
template <class Socket>
task<std::vector<std::string>> datagram_round_trip(Socket& server, Socket& client) {
  const socket_address server_address = server.local_address().value();
  const socket_address client_address = client.local_address().value();
  // The server waits before anything is sent: the receive has to wait for readiness.
  auto answering = spawn([](Socket& socket) -> task<result<socket_address>> {
    std::string buffer(64, '\0');
    result<received_datagram> got = co_await socket.recv_from(writable_bytes_of(buffer));
    if (!got) co_return got.error();
    const std::string reply = "re:" + buffer.substr(0, got.value().size);
    const result<std::size_t> sent = co_await socket.send_to(bytes_of(reply), got.value().sender);
    if (!sent) co_return sent.error();
    co_return got.value().sender;
  }, std::ref(server));
  co_await sleep_for(2ms);
  const result<std::size_t> sent = co_await client.send_to(bytes_of("ping"), server_address);
  EXPECT_EQ(sent.value(), 4u);
  std::string reply(64, '\0');
  const result<received_datagram> answered = co_await client.recv_from(writable_bytes_of(reply));
  const received_datagram& answer = answered.value();
  reply.resize(answer.size);
  const result<socket_address> server_side = co_await answering;
  const socket_address& server_saw = server_side.value();

  // A datagram longer than the buffer is cut, and says so.
  const std::string long_message = pattern(100, 4);
  const result<std::size_t> sent_long =
      co_await client.send_to(bytes_of(long_message), server_address);
  EXPECT_EQ(sent_long.value(), 100u);
  std::string small(10, '\0');
  const result<received_datagram> received = co_await server.recv_from(writable_bytes_of(small));
  const received_datagram& cut = received.value();

  co_return std::vector<std::string>{
      reply,
      server_saw == client_address ? "server saw the client" : server_saw.to_string(),
      answer.sender == server_address ? "client saw the server" : answer.sender.to_string(),
      std::to_string(cut.size) + (cut.truncated ? " truncated" : " whole"),
      small == long_message.substr(0, 10) ? "prefix kept" : small};
}

const std::vector<std::string> expected_round_trip{
    "re:ping", "server saw the client", "client saw the server", "10 truncated", "prefix kept"};

TEST_P(net_sockets, udp_round_trip_over_ipv4_and_ipv6_with_sender_addresses) {
  std::vector<socket_address> loopbacks{socket_address::ipv4_loopback(0)};
  if (ipv6_loopback_available()) loopbacks.push_back(socket_address::ipv6_loopback(0));
  for (const socket_address& loopback : loopbacks) {
    const auto seen = run([&loopback]() -> task<std::vector<std::string>> {
      udp_socket server = udp_socket::bind(loopback).value();
      udp_socket client = udp_socket::bind(loopback).value();
      co_return co_await datagram_round_trip(server, client);
    });
    EXPECT_EQ(seen, expected_round_trip) << loopback.to_string();
  }
}

TEST_P(net_sockets, unix_datagram_round_trip_with_sender_addresses) {
  const socket_address server_address = socket_address::unix_abstract(unique_name("dgram")).value();
  const socket_address client_address = socket_address::unix_abstract(unique_name("dgram")).value();
  const auto seen = run([&]() -> task<std::vector<std::string>> {
    unix_datagram_socket server = unix_datagram_socket::bind(server_address).value();
    unix_datagram_socket client = unix_datagram_socket::bind(client_address).value();
    co_return co_await datagram_round_trip(server, client);
  });
  EXPECT_EQ(seen, expected_round_trip);
}

TEST_P(net_sockets, connecting_where_nobody_listens_is_refused) {
  const std::error_code error = run([]() -> task<std::error_code> {
    // Bound, never listening: the kernel answers SYN with RST.
    udp_socket placeholder = udp_socket::bind(socket_address::ipv4_loopback(0)).value();
    const int probe = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const socket_address any_port = socket_address::ipv4_loopback(0);
    EXPECT_EQ(::bind(probe, any_port.native(), any_port.native_size()), 0);
    socket_handle bound_only(probe);
    const socket_address target = bound_only.local_address().value();
    task<result<tcp_stream>> connecting = net::connect(target, 5s);
    co_return (co_await std::move(connecting)).error();
  });
  EXPECT_EQ(error, std::errc::connection_refused);
}

TEST_P(net_sockets, connect_gives_up_at_its_deadline) {
  // A listener that never accepts, with room for one queued connection: once that is taken the
  // kernel drops further SYNs (the client would retry for minutes), all on loopback.
  struct outcome {
    std::error_code error;
    clock_type::duration waited{};
    int connected_before = 0;
  };
  const outcome seen = run([]() -> task<outcome> {
    tcp_listener listener =
        tcp_listener::bind(socket_address::ipv4_loopback(0), {.backlog = 0}).value();
    const socket_address target = listener.local_address().value();
    std::vector<tcp_stream> queued;
    outcome seen;
    for (int attempt = 0; attempt < 8; ++attempt) {
      const auto start = clock_type::now();
      task<result<tcp_stream>> connecting = net::connect(target, 300ms);
      result<tcp_stream> connected = co_await std::move(connecting);
      if (!connected) {
        seen.error = connected.error();
        seen.waited = clock_type::now() - start;
        break;
      }
      queued.push_back(std::move(connected.value()));
      ++seen.connected_before;
    }
    co_return seen;
  });
  EXPECT_EQ(seen.error, std::errc::timed_out);
  EXPECT_GE(seen.waited, 250ms);
  EXPECT_LT(seen.waited, 3s);
  EXPECT_LE(seen.connected_before, 3);
}

TEST_P(net_sockets, a_port_in_use_is_an_error_value_unless_shared_with_reuse_port) {
  const std::vector<std::error_code> errors = run([]() -> task<std::vector<std::error_code>> {
    const listen_options exclusive{.reuse_port = false};
    tcp_listener first = tcp_listener::bind(socket_address::ipv4_loopback(0), exclusive).value();
    const std::uint16_t port = first.local_address().value().port();
    std::vector<std::error_code> seen;
    seen.push_back(tcp_listener::bind(socket_address::ipv4_loopback(port), exclusive).error());

    // The shard layout: every shard binds its own listener on the same port.
    tcp_listener shared = tcp_listener::bind(socket_address::ipv4_loopback(0)).value();
    const std::uint16_t shared_port = shared.local_address().value().port();
    result<tcp_listener> second = tcp_listener::bind(socket_address::ipv4_loopback(shared_port));
    seen.push_back(second.error());
    seen.push_back(
        tcp_listener::bind(socket_address::ipv4_loopback(shared_port), exclusive).error());

    udp_socket udp = udp_socket::bind(socket_address::ipv4_loopback(0)).value();
    seen.push_back(
        udp_socket::bind(socket_address::ipv4_loopback(udp.local_address().value().port()))
            .error());
    co_return seen;
  });
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_EQ(errors[0], std::errc::address_in_use);
  EXPECT_FALSE(errors[1]) << errors[1].message();
  EXPECT_EQ(errors[2], std::errc::address_in_use);
  EXPECT_EQ(errors[3], std::errc::address_in_use);
}

TEST_P(net_sockets, half_close_lets_the_server_answer_after_end_of_stream) {
  const std::string reply = run([]() -> task<std::string> {
    tcp_listener listener = tcp_listener::bind(socket_address::ipv4_loopback(0)).value();
    auto server = spawn([](tcp_listener& listening) -> task<void> {
      tcp_stream connection = (co_await listening.accept()).value();
      std::string request;
      std::array<std::byte, 7> chunk;
      for (;;) {
        const std::size_t got = (co_await connection.read(chunk)).value();
        if (got == 0) break;
        request.append(reinterpret_cast<const char*>(chunk.data()), got);
      }
      const std::string answer = "after EOF: " + request;
      EXPECT_TRUE(co_await connection.write_all(bytes_of(answer)));
      EXPECT_TRUE(co_await connection.close());
    }, std::ref(listener));
    task<result<tcp_stream>> connecting = net::connect(listener.local_address().value(), 5s);
    tcp_stream client = (co_await std::move(connecting)).value();
    EXPECT_TRUE(co_await client.write_all(bytes_of("the whole request")));
    EXPECT_TRUE(client.shutdown(shutdown_how::write));
    std::string received;
    std::array<std::byte, 5> chunk;
    for (;;) {
      const std::size_t got = (co_await client.read(chunk)).value();
      if (got == 0) break;
      received.append(reinterpret_cast<const char*>(chunk.data()), got);
    }
    co_await server;
    co_return received;
  });
  EXPECT_EQ(reply, "after EOF: the whole request");
}

TEST_P(net_sockets, a_peer_reset_during_a_large_write_is_an_error_value_not_sigpipe) {
  const std::error_code error = run([]() -> task<std::error_code> {
    tcp_listener listener = tcp_listener::bind(socket_address::ipv4_loopback(0)).value();
    auto resetter = spawn([](tcp_listener& listening) -> task<void> {
      tcp_stream connection = (co_await listening.accept()).value();
      std::vector<std::byte> some(64 << 10);
      EXPECT_TRUE(co_await connection.read_exact(some));  // the writer is well under way
      const linger abort_on_close{.l_onoff = 1, .l_linger = 0};
      EXPECT_EQ(::setsockopt(connection.native_handle(), SOL_SOCKET, SO_LINGER, &abort_on_close,
                             sizeof abort_on_close),
                0);
      EXPECT_TRUE(co_await connection.close());  // sends RST, not FIN
    }, std::ref(listener));
    task<result<tcp_stream>> connecting = net::connect(listener.local_address().value(), 5s);
    tcp_stream writer = (co_await std::move(connecting)).value();
    const std::vector<std::byte> large(64 << 20, std::byte{'x'});
    const result<void> written = co_await writer.write_all(large);
    co_await resetter;
    co_return written.error();
  });
  EXPECT_TRUE(error == std::errc::connection_reset || error == std::errc::broken_pipe)
      << error.message();
}

TEST_P(net_sockets, a_large_write_all_to_a_slow_reader_arrives_whole_and_in_order) {
  const bool same = run([]() -> task<bool> {
    tcp_listener listener = tcp_listener::bind(socket_address::ipv4_loopback(0)).value();
    std::vector<std::byte> large(16 << 20);
    for (std::size_t index = 0; index < large.size(); ++index) {
      large[index] = static_cast<std::byte>((index * 7 + index / 4096) & 0xff);
    }
    auto slow_reader = spawn([](tcp_listener& listening, std::size_t size) -> task<std::vector<std::byte>> {
      tcp_stream connection = (co_await listening.accept()).value();
      std::vector<std::byte> received(size);
      std::size_t done = 0;
      while (done < size) {
        // Small reads with a yield between them: the writer's sends come back short.
        const std::span<std::byte> piece(received.data() + done, std::min<std::size_t>(4096, size - done));
        const result<std::size_t> got = co_await connection.read(piece);
        if (!got || *got == 0) break;
        done += *got;
        co_await yield();
      }
      received.resize(done);
      co_return received;
    }, std::ref(listener), large.size());
    task<result<tcp_stream>> connecting = net::connect(listener.local_address().value(), 5s);
    tcp_stream writer = (co_await std::move(connecting)).value();
    EXPECT_TRUE(co_await writer.write_all(large));
    const std::vector<std::byte> received = co_await slow_reader;
    co_return received == large;
  });
  EXPECT_TRUE(same);
}

TEST_P(net_sockets, a_write_all_to_a_peer_that_never_reads_ends_at_its_deadline) {
  const std::error_code error = run([]() -> task<std::error_code> {
    tcp_listener listener = tcp_listener::bind(socket_address::ipv4_loopback(0)).value();
    task<result<tcp_stream>> connecting = net::connect(listener.local_address().value(), 5s);
    tcp_stream writer = (co_await std::move(connecting)).value();
    tcp_stream silent = (co_await listener.accept()).value();
    const std::vector<std::byte> large(64 << 20, std::byte{'x'});
    auto write_everything = [](tcp_stream& stream, std::span<const std::byte> bytes) -> task<result<void>> {
      co_return co_await stream.write_all(bytes);
    };
    task<result<void>> writing = write_everything(writer, large);
    const result<void> written = co_await with_timeout(50ms, std::move(writing));
    co_return written.has_value() ? std::error_code{} : written.error();
  });
  EXPECT_EQ(error, std::errc::timed_out) << error.message();
}

// Raises the soft descriptor limit to `wanted`; false if the hard limit is lower.
bool raise_descriptor_limit(rlim_t wanted) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_max < wanted) return false;
  if (limit.rlim_cur >= wanted) return true;
  limit.rlim_cur = wanted;
  return ::setrlimit(RLIMIT_NOFILE, &limit) == 0;
}

constexpr int connections = 10'000;

struct client_census {
  int connected = 0;  // connect attempts finished, either way
  int wave_end = 0;   // the count the current wave of attempts waits for
  event wave_done;
  int echoed = 0;
  event all_echoed;   // every connection has echoed, so all are open now: they may close
};

task<bool> echo_client(socket_address target, int index, client_census& census) {
  task<result<tcp_stream>> connecting = net::connect(target, 30s);
  result<tcp_stream> connected = co_await std::move(connecting);
  if (++census.connected >= census.wave_end) census.wave_done.set();
  if (!connected) co_return false;
  tcp_stream stream = std::move(connected.value());
  char message[17];
  std::snprintf(message, sizeof message, "connection %05d", index);
  const std::string_view sent(message, 16);
  if (!co_await stream.write_all(bytes_of(sent))) co_return false;
  std::string echo(16, '\0');
  if (!co_await stream.read_exact(writable_bytes_of(echo))) co_return false;
  if (echo != sent) co_return false;
  if (++census.echoed == connections) census.all_echoed.set();
  co_return (co_await census.all_echoed.wait()).has_value();
}

// The clients that echoed. They connect in waves, which keeps the accept queue from overflowing
// (a dropped SYN costs a one-second retry), and all stay open until every one has echoed.
task<int> run_echo_clients(socket_address target) {
  client_census census;
  constexpr int wave = 500;
  std::vector<join_handle<bool>> clients;
  clients.reserve(connections);
  for (int first = 0; first < connections; first += wave) {
    census.wave_end = std::min(connections, first + wave);
    census.wave_done.reset();
    for (int i = first; i < census.wave_end; ++i) {
      clients.push_back(spawn(echo_client(target, i, census)));
    }
    if (census.connected < census.wave_end) (void)co_await census.wave_done.wait();
  }
  int succeeded = 0;
  for (auto& client : clients) succeeded += (co_await client) ? 1 : 0;
  co_return succeeded;
}

struct server_census {
  int open = 0;
  int peak = 0;
};

task<void> echo_server_connection(tcp_stream connection, server_census& census) {
  census.peak = std::max(census.peak, ++census.open);
  std::array<std::byte, 16> message;
  if (co_await connection.read_exact(message)) {
    (void)co_await connection.write_all(message);
    (void)co_await connection.read(message);  // open until the client closes
  }
  --census.open;
}

task<int> serve_echo_connections(tcp_listener& listener, server_census& census) {
  std::vector<join_handle<void>> handlers;
  handlers.reserve(connections);
  for (int i = 0; i < connections; ++i) {
    result<tcp_stream> accepted = co_await listener.accept();
    if (!accepted) co_return i;
    // A task rather than function and arguments: the stream is moved into its frame.
    handlers.push_back(spawn(echo_server_connection(std::move(accepted.value()), census)));
  }
  for (auto& handler : handlers) co_await handler;
  co_return connections;
}

// Waits up to `limit` for the child; kills it (by its pid) if it is still running then.
int wait_for_child(pid_t child, std::chrono::seconds limit) {
  const auto deadline = clock_type::now() + limit;
  int status = 0;
  while (::waitpid(child, &status, WNOHANG) == 0) {
    if (clock_type::now() > deadline) {
      ::kill(child, SIGKILL);
      ::waitpid(child, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(10ms);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_P(net_sockets, ten_thousand_concurrent_connections_each_echo) {
  // Each side needs 10,000 descriptors, and raising the hard limit needs a privilege CI may not
  // have: the clients run in a child process with an engine of their own.
  if (!raise_descriptor_limit(connections + 256)) {
    GTEST_SKIP() << "the hard RLIMIT_NOFILE is below " << connections + 256;
  }
  int port_channel[2];
  ASSERT_EQ(::pipe2(port_channel, O_CLOEXEC), 0);
  const auto start = clock_type::now();
  const pid_t clients = ::fork();
  ASSERT_GE(clients, 0);
  if (clients == 0) {
    ::close(port_channel[1]);
    std::uint16_t port = 0;
    if (::read(port_channel[0], &port, sizeof port) != sizeof port) ::_exit(2);
    const int echoed = run([port]() -> task<int> {
      task<int> echoing = run_echo_clients(socket_address::ipv4_loopback(port));
      co_return (co_await with_timeout(100s, std::move(echoing))).value_or(0);
    });
    ::_exit(echoed == connections ? 0 : 1);
  }
  ::close(port_channel[0]);
  const int peak = run([&port_channel]() -> task<int> {
    tcp_listener listener =
        tcp_listener::bind(socket_address::ipv4_loopback(0), {.backlog = 4096}).value();
    const std::uint16_t port = listener.local_address().value().port();
    EXPECT_EQ(::write(port_channel[1], &port, sizeof port), static_cast<ssize_t>(sizeof port));
    ::close(port_channel[1]);
    server_census census;
    task<int> serving = serve_echo_connections(listener, census);
    EXPECT_EQ((co_await with_timeout(100s, std::move(serving))).value_or(-1), connections);
    co_return census.peak;
  });
  EXPECT_EQ(wait_for_child(clients, 30s), 0) << "every client connected and got its echo";
  EXPECT_EQ(peak, connections) << "all connections were open at once";
  EXPECT_LT(clock_type::now() - start, 120s);
}

TEST_P(net_sockets, accept_is_cancelled_by_a_deadline) {
  const std::error_code error = run([]() -> task<std::error_code> {
    tcp_listener listener = tcp_listener::bind(socket_address::ipv4_loopback(0)).value();
    auto accept_one = [](tcp_listener& listening) -> task<result<tcp_stream>> {
      co_return co_await listening.accept();
    };
    task<result<tcp_stream>> accepting = accept_one(listener);
    co_return (co_await with_timeout(20ms, std::move(accepting))).error();
  });
  EXPECT_EQ(error, std::errc::timed_out);
}

TEST_P(net_sockets, tcp_options_are_applied) {
  const std::vector<int> values = run([]() -> task<std::vector<int>> {
    tcp_listener listener = tcp_listener::bind(socket_address::ipv4_loopback(0)).value();
    task<result<tcp_stream>> connecting = net::connect(listener.local_address().value(), 5s);
    tcp_stream stream = (co_await std::move(connecting)).value();
    EXPECT_TRUE(stream.set_nodelay(true));
    EXPECT_TRUE(stream.set_keepalive(keepalive_options{.idle = 30s, .interval = 5s, .count = 3}));
    std::vector<int> seen{stream.get_option(IPPROTO_TCP, TCP_NODELAY).value(),
                          stream.get_option(SOL_SOCKET, SO_KEEPALIVE).value(),
                          stream.get_option(IPPROTO_TCP, TCP_KEEPIDLE).value(),
                          stream.get_option(IPPROTO_TCP, TCP_KEEPINTVL).value(),
                          stream.get_option(IPPROTO_TCP, TCP_KEEPCNT).value()};
    EXPECT_TRUE(stream.set_keepalive(false));
    seen.push_back(stream.get_option(SOL_SOCKET, SO_KEEPALIVE).value());
    EXPECT_EQ(stream.set_keepalive(keepalive_options{.idle = 100'000s}).error(),
              std::errc::invalid_argument);
    co_return seen;
  });
  EXPECT_EQ(values, (std::vector<int>{1, 1, 30, 5, 3, 0}));
}

TEST_P(net_sockets, end_of_stream_before_read_exact_is_full_is_an_error_value) {
  const std::error_code error = run([]() -> task<std::error_code> {
    tcp_listener listener = tcp_listener::bind(socket_address::ipv4_loopback(0)).value();
    task<result<tcp_stream>> connecting = net::connect(listener.local_address().value(), 5s);
    tcp_stream client = (co_await std::move(connecting)).value();
    tcp_stream server = (co_await listener.accept()).value();
    EXPECT_TRUE(co_await client.write_all(bytes_of("short")));
    EXPECT_TRUE(co_await client.close());
    std::array<std::byte, 64> buffer;
    co_return (co_await server.read_exact(buffer)).error();
  });
  EXPECT_EQ(error, stream_errc::end_of_stream);
}

TEST_P(net_sockets, a_descriptor_number_reused_after_a_destructor_close_still_works) {
  // The destructor closes outside the backend; an epoll registration of the old file must not
  // make the backend ignore the new socket that gets the same number.
  const std::vector<int> outcome = run([]() -> task<std::vector<int>> {
    tcp_listener listener = tcp_listener::bind(socket_address::ipv4_loopback(0)).value();
    const socket_address target = listener.local_address().value();
    std::vector<int> numbers;
    for (int round = 0; round < 3; ++round) {
      task<result<tcp_stream>> connecting = net::connect(target, 2s);
      tcp_stream client = (co_await std::move(connecting)).value();
      tcp_stream server = (co_await listener.accept()).value();
      numbers.push_back(client.native_handle());
      auto idle_read = [](tcp_stream& stream) -> task<result<std::size_t>> {
        std::array<std::byte, 8> nothing;
        co_return co_await stream.read(nothing);
      };
      task<result<std::size_t>> waiting = idle_read(client);  // makes the backend wait on it
      EXPECT_EQ((co_await with_timeout(5ms, std::move(waiting))).error(), std::errc::timed_out);
      EXPECT_TRUE(co_await server.write_all(bytes_of("data")));
      task<result<std::size_t>> reading = idle_read(client);
      EXPECT_EQ((co_await with_timeout(2s, std::move(reading))).value_or(0), 4u);
    }
    co_return numbers;
  });
  ASSERT_EQ(outcome.size(), 3u);
  EXPECT_EQ(outcome[0], outcome[1]) << "the test needs the kernel to reuse the number";
  EXPECT_EQ(outcome[1], outcome[2]);
}

TEST_P(net_sockets, misused_sockets_give_error_values) {
  const std::vector<std::error_code> errors = run([]() -> task<std::vector<std::error_code>> {
    const socket_address unix_address = socket_address::unix_abstract("percore-unused").value();
    std::vector<std::error_code> seen;
    seen.push_back(tcp_listener::bind(unix_address).error());
    seen.push_back(unix_listener::bind(socket_address::ipv4_loopback(0)).error());
    seen.push_back(udp_socket::bind(unix_address).error());
    seen.push_back(unix_datagram_socket::bind(socket_address::ipv4_loopback(0)).error());
    task<result<tcp_stream>> connecting = net::connect(unix_address, 1s);
    seen.push_back((co_await std::move(connecting)).error());
    seen.push_back(tcp_listener::bind(socket_address{}).error());
    tcp_stream closed;
    std::array<std::byte, 4> buffer;
    seen.push_back((co_await closed.read(buffer)).error());
    seen.push_back((co_await closed.write(buffer)).error());
    co_return seen;
  });
  using enum std::errc;
  const std::vector<std::errc> expected{
      address_family_not_supported, address_family_not_supported, address_family_not_supported,
      address_family_not_supported, address_family_not_supported, address_family_not_supported,
      bad_file_descriptor,          bad_file_descriptor};
  ASSERT_EQ(errors.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(errors[i], expected[i]) << i << ": " << errors[i].message();
  }
}


// Multishot accept and receive (io_uring's multishot requests; epoll gives the same results).

struct stream_pair {
  tcp_stream client;
  tcp_stream server;
};

task<stream_pair> connect_pair(tcp_listener& listener) {
  task<result<tcp_stream>> connecting = net::connect(listener.local_address().value(), 5s);
  result<tcp_stream> client = co_await std::move(connecting);
  result<tcp_stream> server = co_await listener.accept();
  co_return stream_pair{std::move(client.value()), std::move(server.value())};
}

// Reads exactly `size` bytes with reads of varying sizes, as a parser on top would.
task<std::string> read_in_odd_pieces(tcp_stream& stream, std::size_t size) {
  std::string received;
  std::vector<std::byte> piece(10'000);
  const std::size_t sizes[] = {1, 7, 4096, 10'000, 333};
  for (std::size_t turn = 0; received.size() < size; ++turn) {
    const std::size_t want = std::min(sizes[turn % 5], size - received.size());
    const result<std::size_t> got = co_await stream.read(std::span(piece).first(want));
    if (!got || got.value() == 0) break;
    received.append(reinterpret_cast<const char*>(piece.data()), got.value());
  }
  co_return received;
}

task<bool> multishot_echo_handler(tcp_stream connection, receive_buffers buffers,
                                  std::size_t size) {
  connection.use_receive_buffers(buffers);
  std::string message(size, '\0');
  if (!co_await connection.read_exact(writable_bytes_of(message))) co_return false;
  co_return (co_await connection.write_all(bytes_of(message))).has_value();
}

task<bool> multishot_echo_client(socket_address target, int index, std::size_t size) {
  task<result<tcp_stream>> connecting = net::connect(target, 5s);
  result<tcp_stream> connected = co_await std::move(connecting);
  if (!connected) co_return false;
  tcp_stream& stream = connected.value();
  const std::string message = pattern(size, static_cast<unsigned>(index));
  if (!co_await stream.write_all(bytes_of(message))) co_return false;
  std::string echo(size, '\0');
  if (!co_await stream.read_exact(writable_bytes_of(echo))) co_return false;
  co_return echo == message;
}

TEST_P(net_sockets, multishot_accept_and_receive_echo_many_connections) {
  constexpr int clients = 200;
  constexpr std::size_t size = 5000;  // spans several 2 KiB receive buffers
  const std::vector<int> outcome = run([]() -> task<std::vector<int>> {
    const receive_buffers buffers(256, 2048);
    tcp_listener listener = tcp_listener::bind(socket_address::ipv4_loopback(0),
                                               {.multishot_accept = true})
                                .value();
    auto server = spawn([](tcp_listener& listening, receive_buffers group) -> task<int> {
      std::vector<join_handle<bool>> handlers;
      for (int i = 0; i < clients; ++i) {
        result<tcp_stream> accepted = co_await listening.accept();
        if (!accepted) co_return i;
        handlers.push_back(spawn(multishot_echo_handler(std::move(accepted.value()), group, size)));
      }
      int echoed = 0;
      for (auto& handler : handlers) echoed += (co_await handler) ? 1 : 0;
      co_return echoed;
    }, std::ref(listener), buffers);
    std::vector<join_handle<bool>> connections;
    const socket_address target = listener.local_address().value();
    for (int i = 0; i < clients; ++i) {
      connections.push_back(spawn(multishot_echo_client(target, i, size)));
    }
    int succeeded = 0;
    for (auto& connection : connections) succeeded += (co_await connection) ? 1 : 0;
    const int echoed = co_await server;
    co_return std::vector<int>{succeeded, echoed, static_cast<int>(buffers.in_use())};
  });
  EXPECT_EQ(outcome, (std::vector<int>{clients, clients, 0}));
}

TEST_P(net_sockets, a_multishot_listener_holds_connections_until_accept_takes_them) {
  const std::vector<std::string> outcome = run([]() -> task<std::vector<std::string>> {
    tcp_listener listener = tcp_listener::bind(socket_address::ipv4_loopback(0),
                                               {.multishot_accept = true})
                                .value();
    const socket_address target = listener.local_address().value();
    std::vector<std::string> seen;
    // A first accept arms the request; cancelled by its deadline, it leaves the request armed.
    auto accept_one = [](tcp_listener& listening) -> task<result<tcp_stream>> {
      co_return co_await listening.accept();
    };
    task<result<tcp_stream>> first = accept_one(listener);
    seen.push_back((co_await with_timeout(5ms, std::move(first))).error().message());

    std::vector<tcp_stream> clients;
    std::vector<std::string> client_addresses;
    for (int i = 0; i < 5; ++i) {
      task<result<tcp_stream>> connecting = net::connect(target, 5s);
      result<tcp_stream> connected = co_await std::move(connecting);
      client_addresses.push_back(connected.value().local_address().value().to_string());
      clients.push_back(std::move(connected.value()));
    }
    co_await sleep_for(20ms);  // accepted meanwhile, with no accept() waiting
    std::vector<std::string> accepted_peers;
    for (int i = 0; i < 5; ++i) {
      result<tcp_stream> accepted = co_await listener.accept();
      accepted_peers.push_back(accepted.value().peer_address().value().to_string());
    }
    std::sort(client_addresses.begin(), client_addresses.end());
    std::sort(accepted_peers.begin(), accepted_peers.end());
    seen.push_back(client_addresses == accepted_peers ? "all five handed out" : "mismatch");

    // Connections the listener holds when it closes are closed with it.
    std::vector<tcp_stream> orphans;
    for (int i = 0; i < 2; ++i) {
      task<result<tcp_stream>> connecting = net::connect(target, 5s);
      orphans.push_back((co_await std::move(connecting)).value());
    }
    co_await sleep_for(20ms);
    EXPECT_TRUE(co_await listener.close());
    for (tcp_stream& orphan : orphans) {
      std::array<std::byte, 8> buffer;
      const result<std::size_t> got = co_await orphan.read(buffer);
      seen.push_back(got ? "read " + std::to_string(got.value()) : got.error().message());
    }
    co_return seen;
  });
  EXPECT_EQ(outcome, (std::vector<std::string>{make_error_code(std::errc::timed_out).message(),
                                               "all five handed out", "read 0", "read 0"}));
}

TEST_P(net_sockets, multishot_receive_carries_a_large_transfer_through_small_buffers) {
  const std::string message = pattern(4 << 20, 5);
  const std::vector<std::string> outcome = run([&message]() -> task<std::vector<std::string>> {
    const receive_buffers buffers(64, 4096);
    tcp_listener listener = tcp_listener::bind(socket_address::ipv4_loopback(0)).value();
    stream_pair pair = co_await connect_pair(listener);
    pair.server.use_receive_buffers(buffers);
    auto writer = spawn([](tcp_stream& stream, const std::string& text) -> task<bool> {
      const bool written = (co_await stream.write_all(bytes_of(text))).has_value();
      EXPECT_TRUE(co_await stream.close());
      co_return written;
    }, std::ref(pair.client), std::cref(message));
    std::string received = co_await read_in_odd_pieces(pair.server, message.size());
    std::array<std::byte, 16> after;
    const std::size_t end = (co_await pair.server.read(after)).value_or(99);
    const std::size_t end_again = (co_await pair.server.read(after)).value_or(99);
    EXPECT_TRUE(co_await writer);
    co_return std::vector<std::string>{received == message ? "intact" : "corrupt",
                                       std::to_string(end) + std::to_string(end_again),
                                       std::to_string(buffers.in_use())};
  });
  EXPECT_EQ(outcome, (std::vector<std::string>{"intact", "00", "0"}));
}

TEST_P(net_sockets, reads_go_direct_when_every_receive_buffer_is_held) {
  const std::vector<std::string> outcome = run([]() -> task<std::vector<std::string>> {
    const receive_buffers tiny(2, 16);
    tcp_listener listener = tcp_listener::bind(socket_address::ipv4_loopback(0)).value();
    stream_pair hoarder = co_await connect_pair(listener);
    stream_pair other = co_await connect_pair(listener);
    hoarder.server.use_receive_buffers(tiny);
    other.server.use_receive_buffers(tiny);
    std::vector<std::string> seen;

    // One read arms the hoarder's receive; then 64 bytes arrive that nobody reads: both buffers
    // fill, and the receive ends for want of buffers with 32 bytes still in the socket.
    EXPECT_TRUE(co_await hoarder.client.write_all(bytes_of("x")));
    std::array<std::byte, 1> one;
    seen.push_back(std::to_string((co_await hoarder.server.read(one)).value_or(0)));
    const std::string burst = pattern(64, 6);
    EXPECT_TRUE(co_await hoarder.client.write_all(bytes_of(burst)));
    co_await sleep_for(20ms);
    seen.push_back("held " + std::to_string(tiny.in_use()));

    // Another stream of the same group still reads: straight into its own buffer.
    EXPECT_TRUE(co_await other.client.write_all(bytes_of("hello")));
    std::string hello(16, '\0');
    const std::size_t got = (co_await other.server.read(writable_bytes_of(hello))).value_or(0);
    seen.push_back(hello.substr(0, got));

    std::string drained(64, '\0');
    EXPECT_TRUE(co_await hoarder.server.read_exact(writable_bytes_of(drained)));
    seen.push_back(drained == burst ? "burst intact" : "burst corrupt");
    seen.push_back("held " + std::to_string(tiny.in_use()));
    co_return seen;
  });
  EXPECT_EQ(outcome, (std::vector<std::string>{"1", "held 2", "hello", "burst intact", "held 0"}));
}

TEST_P(net_sockets, multishot_receive_reports_end_of_stream_and_reset) {
  const std::vector<std::string> outcome = run([]() -> task<std::vector<std::string>> {
    const receive_buffers buffers(16, 1024);
    tcp_listener listener = tcp_listener::bind(socket_address::ipv4_loopback(0)).value();
    std::vector<std::string> seen;
    {
      stream_pair pair = co_await connect_pair(listener);
      pair.server.use_receive_buffers(buffers);
      EXPECT_TRUE(co_await pair.client.write_all(bytes_of("bye")));
      EXPECT_TRUE(co_await pair.client.close());
      std::string text(16, '\0');
      const std::size_t got = (co_await pair.server.read(writable_bytes_of(text))).value_or(0);
      seen.push_back(text.substr(0, got));
      const result<std::size_t> end = co_await pair.server.read(writable_bytes_of(text));
      seen.push_back(std::to_string(end.value_or(99)));
    }
    {
      stream_pair pair = co_await connect_pair(listener);
      pair.server.use_receive_buffers(buffers);
      const linger abort_on_close{.l_onoff = 1, .l_linger = 0};
      ::setsockopt(pair.client.native_handle(), SOL_SOCKET, SO_LINGER, &abort_on_close,
                   sizeof abort_on_close);
      EXPECT_TRUE(co_await pair.client.close());
      std::array<std::byte, 16> buffer;
      seen.push_back((co_await pair.server.read(buffer)).error().message());
    }
    co_return seen;
  });
  EXPECT_EQ(outcome, (std::vector<std::string>{
                         "bye", "0", make_error_code(std::errc::connection_reset).message()}));
}

TEST_P(net_sockets, a_cancelled_multishot_read_leaves_the_stream_receiving) {
  const std::vector<std::string> outcome = run([]() -> task<std::vector<std::string>> {
    const receive_buffers buffers(16, 1024);
    tcp_listener listener = tcp_listener::bind(socket_address::ipv4_loopback(0)).value();
    stream_pair pair = co_await connect_pair(listener);
    pair.server.use_receive_buffers(buffers);
    auto read_some = [](tcp_stream& stream, std::string& into) -> task<result<std::size_t>> {
      co_return co_await stream.read(writable_bytes_of(into));
    };
    std::string text(16, '\0');
    task<result<std::size_t>> idle = read_some(pair.server, text);
    const result<std::size_t> timed_out = co_await with_timeout(10ms, std::move(idle));
    std::vector<std::string> seen{timed_out.error().message()};
    EXPECT_TRUE(co_await pair.client.write_all(bytes_of("later")));
    const std::size_t got = (co_await pair.server.read(writable_bytes_of(text))).value_or(0);
    seen.push_back(text.substr(0, got));
    co_return seen;
  });
  EXPECT_EQ(outcome,
            (std::vector<std::string>{make_error_code(std::errc::timed_out).message(), "later"}));
}

TEST_P(net_sockets, a_stream_gives_its_receive_buffers_back_when_destroyed) {
  const std::vector<unsigned> held = run([]() -> task<std::vector<unsigned>> {
    const receive_buffers buffers(8, 64);
    tcp_listener listener = tcp_listener::bind(socket_address::ipv4_loopback(0)).value();
    std::vector<unsigned> seen;
    tcp_stream client;
    {
      stream_pair pair = co_await connect_pair(listener);
      client = std::move(pair.client);
      pair.server.use_receive_buffers(buffers);
      EXPECT_TRUE(co_await client.write_all(bytes_of("x")));
      std::array<std::byte, 1> one;
      EXPECT_EQ((co_await pair.server.read(one)).value_or(0), 1u);
      EXPECT_TRUE(co_await client.write_all(bytes_of(pattern(200, 7))));
      co_await sleep_for(20ms);
      seen.push_back(buffers.in_use());  // 200 bytes in 64-byte buffers, unread
    }
    co_await sleep_for(20ms);
    seen.push_back(buffers.in_use());
    co_return seen;
  });
  EXPECT_EQ(held, (std::vector<unsigned>{4, 0}));
}

task<std::error_code> accept_until_stopped(tcp_listener listener) {
  co_return (co_await listener.accept()).error();
}

task<std::error_code> read_until_stopped(tcp_stream stream) {
  std::array<std::byte, 16> buffer;
  co_return (co_await stream.read(buffer)).error();
}

task<void> record_error(task<std::error_code> waiting, std::vector<std::error_code>& into) {
  into.push_back(co_await std::move(waiting));
}

TEST_P(net_sockets, an_engine_stops_while_multishot_accept_and_receive_wait) {
  std::vector<std::error_code> ended;
  run([&ended]() -> task<void> {
    const receive_buffers buffers(16, 1024);
    tcp_listener listener = tcp_listener::bind(socket_address::ipv4_loopback(0),
                                               {.multishot_accept = true})
                                .value();
    stream_pair pair = co_await connect_pair(listener);
    pair.server.use_receive_buffers(buffers);
    // Detached tasks that own what they wait on: the stopping engine must end both waits.
    spawn(record_error(accept_until_stopped(std::move(listener)), ended)).detach();
    spawn(record_error(read_until_stopped(std::move(pair.server)), ended)).detach();
    co_await sleep_for(5ms);
  });
  ASSERT_EQ(ended.size(), 2u);
  for (const std::error_code& error : ended) EXPECT_EQ(error, std::errc::operation_canceled);
}

PERCORE_ON_EVERY_BACKEND(net_sockets);

// Addresses and resolution involve no backend: plain tests.

TEST(socket_address, parses_and_prints_ipv4_ipv6_and_unix) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"127.0.0.1:8080", "127.0.0.1:8080"},
      {"0.0.0.0:0", "0.0.0.0:0"},
      {"255.255.255.255:65535", "255.255.255.255:65535"},
      {"[::1]:80", "[::1]:80"},
      {"[::]:443", "[::]:443"},
      {"[2001:DB8::1]:1", "[2001:db8::1]:1"},
      {"[::ffff:10.0.0.1]:9", "[::ffff:10.0.0.1]:9"},
      {"[fe80::1%7]:22", "[fe80::1%7]:22"},
      {"[fe80::1%lo]:22", "[fe80::1%1]:22"},
      {"127.0.0.1:00080", "127.0.0.1:80"},
      {"unix:/run/percore.sock", "unix:/run/percore.sock"},
      {"unix:@percore", "unix:@percore"},
  };
  for (const auto& [text, printed] : cases) {
    const result<socket_address> parsed = socket_address::parse(text);
    ASSERT_TRUE(parsed) << text << ": " << parsed.error().message();
    EXPECT_EQ(parsed.value().to_string(), printed) << text;
    EXPECT_EQ(socket_address::parse(printed).value(), parsed.value()) << text;
  }
  const socket_address v4 = socket_address::parse("10.1.2.3:4567").value();
  EXPECT_EQ(v4.family(), AF_INET);
  EXPECT_EQ(v4.port(), 4567);
  EXPECT_EQ(v4, socket_address::ipv4({10, 1, 2, 3}, 4567));
  EXPECT_NE(v4, socket_address::ipv4({10, 1, 2, 3}, 4568));
  EXPECT_EQ(socket_address::parse("[::1]:80").value(), socket_address::ipv6_loopback(80));
  const socket_address abstract = socket_address::parse("unix:@name").value();
  EXPECT_TRUE(abstract.is_abstract());
  EXPECT_EQ(abstract.unix_name(), "name");
  EXPECT_EQ(abstract.port(), 0);
  EXPECT_NE(abstract, socket_address::unix_path("name").value());
  EXPECT_EQ(socket_address{}.to_string(), "");
}

TEST(socket_address, malformed_text_is_an_error_value) {
  const std::vector<std::string> bad{
      "", ":", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:+80",
      "127.0.0.1: 80", "127.0.0.1:80 ", " 127.0.0.1:80", "127.0.0.1:8o", "127.0.0.1:123456",
      "256.0.0.1:80", "1.2.3:80", "1.2.3.4.5:80", "localhost:80", "::1:80", "[::1]", "[::1]:",
      "[::1:80", "::1]:80", "[::1]]:80", "[]:80", "[1.2.3.4]:80", "[::1%]:80",
      "[fe80::1%no-such-interface-here]:80", "[::1%99999999999]:80", "[:::1]:80",
      "unix:", "unix:@", std::string("unix:/a\0b", 9), std::string(200, '1') + ":80",
      "unix:/" + std::string(107, 'x'), "unix:@" + std::string(108, 'x'),
      std::string("127.0.0.1\0:80", 13)};
  for (const std::string& text : bad) {
    const result<socket_address> parsed = socket_address::parse(text);
    EXPECT_FALSE(parsed) << "'" << text << "' parsed as " << parsed.value().to_string();
    EXPECT_EQ(parsed.error(), address_errc::malformed) << text;
    EXPECT_EQ(parsed.error(), std::errc::invalid_argument) << text;
  }
  EXPECT_EQ(socket_address::parse("").error().message(), "malformed socket address");
  EXPECT_TRUE(socket_address::unix_path(std::string(107, 'x')));
  EXPECT_TRUE(socket_address::unix_abstract(std::string(107, 'x')));
  EXPECT_FALSE(socket_address::from_native(nullptr, 0));
  sockaddr unknown{};
  unknown.sa_family = AF_APPLETALK;
  EXPECT_FALSE(socket_address::from_native(&unknown, sizeof unknown));
  const socket_address v6 = socket_address::ipv6_loopback(1);
  EXPECT_FALSE(socket_address::from_native(v6.native(), v6.native_size() - 1));
}

TEST(socket_address, random_text_never_crashes_and_what_parses_round_trips) {
  const std::string alphabet = "0123456789.:[]%abcdefABCDEF:unix@/ \x01\xff-+lo";
  std::minstd_rand generator(42);
  int parsed_count = 0;
  for (int i = 0; i < 50'000; ++i) {
    std::string text(generator() % 48, '\0');
    for (char& c : text) c = alphabet[generator() % alphabet.size()];
    if (i % 3 == 0) text = "127.0.0.1:" + text;
    if (i % 5 == 0) text = "[" + text;
    const result<socket_address> parsed = socket_address::parse(text);
    if (!parsed) {
      EXPECT_EQ(parsed.error(), address_errc::malformed);
      continue;
    }
    ++parsed_count;
    EXPECT_EQ(socket_address::parse(parsed.value().to_string()).value(), parsed.value()) << text;
  }
  EXPECT_GT(parsed_count, 0);
}

TEST(resolve, names_and_numbers_give_addresses_with_the_port) {
  const auto loopback = resolve("localhost", 8080).value();
  ASSERT_FALSE(loopback.empty());
  for (const socket_address& address : loopback) {
    EXPECT_EQ(address.port(), 8080);
    EXPECT_TRUE(address == socket_address::ipv4_loopback(8080) ||
                address == socket_address::ipv6_loopback(8080))
        << address.to_string();
  }
  EXPECT_EQ(resolve("127.0.0.1", 1).value(),
            std::vector<socket_address>{socket_address::ipv4_loopback(1)});
  EXPECT_EQ(resolve("::1", 2, AF_INET6).value(),
            std::vector<socket_address>{socket_address::ipv6_loopback(2)});
  const auto only_ipv4 = resolve("localhost", 3, AF_INET).value();
  for (const socket_address& address : only_ipv4) {
    EXPECT_EQ(address.family(), AF_INET);
  }
}

TEST(resolve, an_unknown_host_is_an_error_value_with_a_clear_message) {
  for (const std::string_view host : {"no-such-host.invalid", ""}) {
    const result<std::vector<socket_address>> found = resolve(host, 80);
    ASSERT_FALSE(found) << host;
    EXPECT_EQ(&found.error().category(), &resolver_category()) << found.error().message();
    EXPECT_EQ(found.error().message().rfind("cannot resolve host: ", 0), 0u)
        << found.error().message();
  }
}

}  // namespace
}  // namespace percore::net
