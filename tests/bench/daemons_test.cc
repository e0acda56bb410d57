// percore-echo and percore-httpd tested as a user runs them: the built programs run as child
// processes on 127.0.0.1, driven through plain blocking sockets and signals.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

// Far above what a daemon needs (milliseconds), so that a loaded machine or a sanitizer build
// does not fail the suite, and short enough that a hung daemon fails it instead of hanging it.
constexpr auto startup_limit = 5s;
constexpr auto exit_limit = 5s;
constexpr timeval socket_limit{.tv_sec = 5, .tv_usec = 0};

// Paths in the build directory, from tests/bench/meson.build, which builds the programs first.
constexpr const char* httpd_program = PERCORE_HTTPD_PATH;
constexpr const char* echo_program = PERCORE_ECHO_PATH;

constexpr std::string_view hello_request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
constexpr std::string_view stats_request = "GET /stats HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
constexpr std::string_view closing_stats_request =
    "GET /stats HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";

int checked(int outcome, const char* call) {
  if (outcome < 0) throw std::system_error(errno, std::generic_category(), call);
  return outcome;
}

class descriptor {
 public:
  explicit descriptor(int fd) noexcept : fd_(fd) {}
  descriptor(descriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  descriptor& operator=(descriptor&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  ~descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const noexcept { return fd_; }

 private:
  int fd_;
};

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

// Sockets of the test are close-on-exec: a daemon holding a copy would keep a connection open
// after closing its own end, and keep a port in use after the test lets it go.
descriptor tcp_socket() {
  return descriptor(checked(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket"));
}

// Binds 127.0.0.1 on a port the kernel picks, and says which.
std::uint16_t bind_any_port(const descriptor& socket) {
  sockaddr_in address = loopback(0);
  checked(::bind(socket.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), "bind");
  socklen_t length = sizeof address;
  checked(::getsockname(socket.get(), reinterpret_cast<sockaddr*>(&address), &length),
          "getsockname");
  return ntohs(address.sin_port);
}

// A port nothing uses at the moment; another program may take it before the daemon binds it,
// which start_serving() handles by trying another.
std::uint16_t unused_port() { return bind_any_port(tcp_socket()); }

// A daemon the test started: its stderr, its signals and its exit status. Dropped while still
// running, it is killed, by the PID this object alone owns until it has reaped it.
class daemon_process {
 public:
  daemon_process(const char* program, const std::vector<std::string>& arguments) {
    int ends[2];
    checked(::pipe2(ends, O_CLOEXEC), "pipe2");
    error_pipe_ = descriptor(ends[0]);
    const descriptor write_end(ends[1]);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDERR_FILENO);
    // A stop signal ignored or blocked by whatever started the test would be so in the daemon
    // too, and never reach the signalfd the daemon stops on.
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t no_signals;
    sigemptyset(&no_signals);
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    posix_spawnattr_setsigmask(&attributes, &no_signals);
    posix_spawnattr_setsigdefault(&attributes, &stop_signals);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    std::vector<char*> argv{const_cast<char*>(program)};
    for (const std::string& argument : arguments) {
      argv.push_back(const_cast<char*>(argument.c_str()));
    }
    argv.push_back(nullptr);
    const int error = ::posix_spawn(&pid_, program, &actions, &attributes, argv.data(), environ);
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    if (error != 0) {
      throw std::system_error(error, std::generic_category(),
                              std::string("posix_spawn ") + program);
    }
  }

  daemon_process(const daemon_process&) = delete;
  daemon_process& operator=(const daemon_process&) = delete;

  ~daemon_process() {
    if (exit_code_) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }

  // Whether the daemon writes `text` to stderr within `limit`; false when it exits or the time
  // runs out first.
  bool wait_for_output(std::string_view text, clock_type::duration limit) {
    const auto deadline = clock_type::now() + limit;
    while (error_output_.find(text) == std::string::npos) {
      if (!read_error_output(deadline)) return false;
    }
    return true;
  }

  void send_signal(int number) { checked(::kill(pid_, number), "kill"); }

  // The exit code, 128 + the signal's number when a signal ended the daemon (as shells say it),
  // or nothing when it is still running after `limit`. Once it has exited, everything it wrote
  // to stderr is in error_output().
  std::optional<int> wait_for_exit_code(clock_type::duration limit) {
    const auto deadline = clock_type::now() + limit;
    while (!exit_code_) {
      int status = 0;
      if (checked(::waitpid(pid_, &status, WNOHANG), "waitpid") == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        break;
      }
      if (clock_type::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(5ms);
    }
    // The pipe ends with the daemon; the time limit only guards against a process the daemon
    // started keeping it open.
    const auto output_deadline = clock_type::now() + 1s;
    while (read_error_output(output_deadline)) {
    }
    return exit_code_;
  }

  const std::string& error_output() const noexcept { return error_output_; }

 private:
  // Appends what stderr has; false at its end or at the deadline.
  bool read_error_output(clock_type::time_point deadline) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock_type::now());
    pollfd readable{.fd = error_pipe_.get(), .events = POLLIN, .revents = 0};
    if (left.count() <= 0 ||
        checked(::poll(&readable, 1, static_cast<int>(left.count())), "poll") == 0) {
      return false;
    }
    char buffer[4096];
    const ssize_t got = ::read(error_pipe_.get(), buffer, sizeof buffer);
    if (got <= 0) return false;
    error_output_.append(buffer, static_cast<std::size_t>(got));
    return true;
  }

  pid_t pid_ = -1;
  descriptor error_pipe_{-1};
  std::string error_output_;
  std::optional<int> exit_code_;
};

struct serving_daemon {
  std::unique_ptr<daemon_process> process;
  std::uint16_t port;
};

// Starts `program --port P arguments...` on a free port P and waits for its ready line.
serving_daemon start_serving(const char* program, const std::vector<std::string>& arguments) {
  constexpr int attempts = 3;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    const std::uint16_t port = unused_port();
    std::vector<std::string> all_arguments{"--port", std::to_string(port)};
    all_arguments.insert(all_arguments.end(), arguments.begin(), arguments.end());
    auto process = std::make_unique<daemon_process>(program, all_arguments);
    if (process->wait_for_output("listening on 127.0.0.1:" + std::to_string(port) + "\n",
                               startup_limit)) {
      return {std::move(process), port};
    }
    // Exit code 1 is a port in use: another program took it after unused_port() let it go.
    if (process->wait_for_exit_code(exit_limit) != 1) {
      throw std::runtime_error(std::string(program) + " did not start; stderr: " +
                               process->error_output());
    }
  }
  throw std::runtime_error(std::string(program) + " found no free port");
}

// Asks the daemon to stop and expects the clean stop the documentation promises.
void expect_clean_stop(daemon_process& daemon, int signal_number) {
  daemon.send_signal(signal_number);
  EXPECT_EQ(daemon.wait_for_exit_code(exit_limit), 0) << "stderr: " << daemon.error_output();
}

// Every read and write of the test has a time limit: a daemon that stops answering fails the
// test instead of hanging it.
descriptor connect_to(std::uint16_t port) {
  descriptor socket = tcp_socket();
  checked(::setsockopt(socket.get(), SOL_SOCKET, SO_RCVTIMEO, &socket_limit, sizeof socket_limit),
          "setsockopt SO_RCVTIMEO");
  checked(::setsockopt(socket.get(), SOL_SOCKET, SO_SNDTIMEO, &socket_limit, sizeof socket_limit),
          "setsockopt SO_SNDTIMEO");
  const sockaddr_in address = loopback(port);
  checked(::connect(socket.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address),
          "connect");
  return socket;
}

void send_all(const descriptor& socket, std::string_view bytes) {
  while (!bytes.empty()) {
    // MSG_NOSIGNAL: a daemon closing early is a failed expectation, not a SIGPIPE for the test.
    const ssize_t sent = ::send(socket.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
    checked(static_cast<int>(sent), "send");
    bytes.remove_prefix(static_cast<std::size_t>(sent));
  }
}

// Appends what the socket has; throws at its end, since every caller still expects bytes.
void receive_more(const descriptor& socket, std::string& into) {
  char buffer[16 * 1024];
  const ssize_t got = ::recv(socket.get(), buffer, sizeof buffer, 0);
  checked(static_cast<int>(got), "recv");
  if (got == 0) throw std::runtime_error("the daemon closed the connection");
  into.append(buffer, static_cast<std::size_t>(got));
}

struct http_response {
  int status = 0;
  std::map<std::string, std::string> headers;  // by lower-case name
  std::string body;
};

// An HTTP/1.1 client connection; bytes read past one response wait for the next one, as the
// answers to pipelined requests arrive together.
class http_connection {
 public:
  explicit http_connection(std::uint16_t port) : socket_(connect_to(port)) {}

  void send(std::string_view requests) { send_all(socket_, requests); }

  http_response read_response() {
    std::size_t head_end;
    while ((head_end = pending_.find("\r\n\r\n")) == std::string::npos) {
      receive_more(socket_, pending_);
    }
    const std::string head = pending_.substr(0, head_end);
    http_response response;
    if (!head.starts_with("HTTP/1.1 ") || head.size() < 12) {
      throw std::runtime_error("not an HTTP/1.1 status line: " + head);
    }
    response.status = std::stoi(head.substr(9, 3));
    std::size_t line_start = head.find("\r\n");
    while (line_start != std::string::npos) {
      line_start += 2;
      const std::size_t line_end = head.find("\r\n", line_start);
      const std::string line = head.substr(line_start, line_end - line_start);
      const std::size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char letter) { return static_cast<char>(std::tolower(letter)); });
      const std::size_t value_start = line.find_first_not_of(' ', colon + 1);
      response.headers[name] = value_start == std::string::npos ? "" : line.substr(value_start);
      line_start = line_end;
    }
    const auto length = response.headers.find("content-length");
    if (length == response.headers.end()) {
      throw std::runtime_error("a response without Content-Length: " + head);
    }
    const std::size_t body_start = head_end + 4;
    const std::size_t body_length = std::stoul(length->second);
    while (pending_.size() < body_start + body_length) receive_more(socket_, pending_);
    response.body = pending_.substr(body_start, body_length);
    pending_.erase(0, body_start + body_length);
    return response;
  }

  // Whether the daemon closes the connection, with nothing more to read, within the socket's
  // time limit.
  bool closed_by_daemon() {
    if (!pending_.empty()) return false;
    char byte;
    return ::recv(socket_.get(), &byte, 1, 0) == 0;
  }

 private:
  descriptor socket_;
  std::string pending_;
};

// The value of a header field, or "" when the response has none.
std::string header_of(const http_response& response, const std::string& name) {
  const auto field = response.headers.find(name);
  return field == response.headers.end() ? "" : field->second;
}

void expect_hello(const http_response& response) {
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "Hello, World!");
  EXPECT_EQ(header_of(response, "content-length"), "13");
  EXPECT_EQ(header_of(response, "content-type"), "text/plain");
  EXPECT_NE(header_of(response, "date"), "");
  EXPECT_NE(header_of(response, "server"), "");
}

http_response get_hello(std::uint16_t port) {
  http_connection connection(port);
  connection.send(hello_request);
  return connection.read_response();
}

// One shard's entry of GET /stats: "shard", "requests", ... by name.
using shard_entry = std::map<std::string, std::uint64_t>;

std::optional<std::uint64_t> counter_of(const shard_entry& shard, const std::string& name) {
  const auto counter = shard.find(name);
  return counter == shard.end() ? std::nullopt : std::optional(counter->second);
}

// The shards' entries of GET /stats in the order of the JSON; fails the test when the answer
// is not the documented object.
std::vector<shard_entry> shard_entries(const http_response& stats) {
  EXPECT_EQ(stats.status, 200);
  EXPECT_EQ(header_of(stats, "content-type"), "application/json");
  EXPECT_TRUE(stats.body.starts_with("{\"shards\":[{") && stats.body.ends_with("}]}\n"))
      << stats.body;
  static const std::regex entry_pattern(R"(\{("shard":\d+(,"\w+":\d+)*)\})");
  static const std::regex counter_pattern(R"x("(\w+)":(\d+))x");
  std::vector<shard_entry> shards;
  for (auto entry = std::sregex_iterator(stats.body.begin(), stats.body.end(), entry_pattern);
       entry != std::sregex_iterator(); ++entry) {
    const std::string fields = (*entry)[1];
    shard_entry& counters = shards.emplace_back();
    for (auto counter = std::sregex_iterator(fields.begin(), fields.end(), counter_pattern);
         counter != std::sregex_iterator(); ++counter) {
      counters[(*counter)[1]] = std::stoull((*counter)[2]);
    }
  }
  return shards;
}

std::vector<shard_entry> read_stats(std::uint16_t port) {
  http_connection connection(port);
  connection.send(stats_request);
  return shard_entries(connection.read_response());
}

std::uint64_t sum_of(const std::vector<shard_entry>& shards, const std::string& counter) {
  std::uint64_t sum = 0;
  for (const shard_entry& shard : shards) sum += counter_of(shard, counter).value_or(0);
  return sum;
}

void expect_two_shards(const std::vector<shard_entry>& shards) {
  ASSERT_EQ(shards.size(), 2u);
  EXPECT_EQ(counter_of(shards[0], "shard"), 0u);
  EXPECT_EQ(counter_of(shards[1], "shard"), 1u);
  for (const char* counter : {"connections_accepted", "connections_open", "requests",
                              "bad_requests", "timeouts", "handler_errors"}) {
    for (const shard_entry& shard : shards) {
      EXPECT_TRUE(counter_of(shard, counter).has_value()) << counter;
    }
  }
}

std::string repeated(std::string_view request, int times) {
  std::string requests;
  for (int copy = 0; copy < times; ++copy) requests += request;
  return requests;
}

// Stops the daemon once it serves no connection, and expects the clean stop. Stopping with idle
// connections open is a case of its own (StopsWithStatusZeroOnSigtermDespiteIdleConnections):
// kept apart, a failure there does not also fail every test of what the daemon serves.
void expect_clean_stop_without_connections(serving_daemon& httpd) {
  const auto deadline = clock_type::now() + exit_limit;
  for (;;) {
    http_connection asking(httpd.port);
    asking.send(closing_stats_request);
    const auto shards = shard_entries(asking.read_response());
    // Only the asking connection is open; its FIN comes after the daemon has let go of it.
    if (sum_of(shards, "connections_open") == 1) {
      EXPECT_TRUE(asking.closed_by_daemon());
      break;
    }
    if (clock_type::now() >= deadline) {
      ADD_FAILURE() << "connections closed by the test stay open in the daemon";
      break;
    }
    std::this_thread::sleep_for(5ms);
  }
  expect_clean_stop(*httpd.process, SIGTERM);
}

TEST(Httpd, AnswersHelloWorldWithKeepAlive) {
  serving_daemon httpd = start_serving(httpd_program, {"--smp", "2"});
  {
    http_connection connection(httpd.port);
    connection.send(hello_request);
    expect_hello(connection.read_response());
    connection.send(hello_request);
    expect_hello(connection.read_response());
  }
  expect_clean_stop_without_connections(httpd);
}

TEST(Httpd, AnswersPipelinedRequestsInOrder) {
  serving_daemon httpd = start_serving(httpd_program, {"--smp", "2"});
  {
    http_connection connection(httpd.port);
    connection.send(std::string(hello_request) + std::string(stats_request));
    expect_hello(connection.read_response());
    expect_two_shards(shard_entries(connection.read_response()));
  }
  expect_clean_stop_without_connections(httpd);
}

TEST(Httpd, StatsCountTheRequestsOfEveryShard) {
  serving_daemon httpd = start_serving(httpd_program, {"--smp", "2"});
  constexpr int single_requests = 3;
  for (int request = 0; request < single_requests; ++request) expect_hello(get_hello(httpd.port));
  constexpr int pipelined_requests = 2;
  {
    http_connection pipelined(httpd.port);
    pipelined.send(repeated(hello_request, pipelined_requests));
    for (int request = 0; request < pipelined_requests; ++request) {
      expect_hello(pipelined.read_response());
    }
  }
  const auto shards = read_stats(httpd.port);
  expect_two_shards(shards);
  // At least: the stats request itself may be counted already.
  EXPECT_GE(sum_of(shards, "requests"), std::uint64_t{single_requests + pipelined_requests});
  EXPECT_GE(sum_of(shards, "connections_accepted"), std::uint64_t{single_requests + 1});
  EXPECT_EQ(sum_of(shards, "bad_requests"), 0u);
  expect_clean_stop_without_connections(httpd);
}

TEST(Httpd, RefusesAMalformedRequestAndCloses) {
  serving_daemon httpd = start_serving(httpd_program, {"--smp", "2"});
  {
    http_connection connection(httpd.port);
    connection.send("this is not HTTP\r\n\r\n");
    const http_response refusal = connection.read_response();
    EXPECT_EQ(refusal.status, 400);
    EXPECT_EQ(header_of(refusal, "connection"), "close");
    EXPECT_TRUE(connection.closed_by_daemon());
  }
  const auto shards = read_stats(httpd.port);
  expect_two_shards(shards);
  EXPECT_EQ(sum_of(shards, "bad_requests"), 1u);
  expect_clean_stop_without_connections(httpd);
}

TEST(Httpd, StopsWithStatusZeroOnSigtermDespiteIdleConnections) {
  for (const char* accept : {"reuse-port", "balanced"}) {
    SCOPED_TRACE(accept);
    serving_daemon httpd = start_serving(httpd_program, {"--smp", "2", "--accept", accept});
    // Several, so that every shard holds some whichever way the kernel's hash spreads them;
    // the documentation promises that idle connections close rather than hold up the stop.
    constexpr int idle_connections = 8;
    std::vector<http_connection> idle;
    for (int connection = 0; connection < idle_connections; ++connection) {
      idle.emplace_back(httpd.port);
      idle.back().send(hello_request);
      expect_hello(idle.back().read_response());
    }
    const auto signalled = clock_type::now();
    expect_clean_stop(*httpd.process, SIGTERM);
    EXPECT_LT(clock_type::now() - signalled, 3s);
  }
}

TEST(Httpd, ServesWithoutReceiveBuffers) {
  serving_daemon httpd = start_serving(httpd_program, {"--smp", "2", "--receive-buffers", "0"});
  expect_hello(get_hello(httpd.port));
  {
    http_connection pipelined(httpd.port);
    pipelined.send(repeated(hello_request, 2));
    expect_hello(pipelined.read_response());
    expect_hello(pipelined.read_response());
  }
  expect_clean_stop_without_connections(httpd);
}

TEST(Httpd, BalancedAcceptGivesEveryShardAConnection) {
  serving_daemon httpd = start_serving(httpd_program, {"--smp", "2", "--accept", "balanced"});
  {
    // Open together, the two connections go to the two shards: each goes to the shard serving
    // the fewest.
    http_connection first(httpd.port);
    http_connection second(httpd.port);
    for (http_connection* connection : {&first, &second}) {
      connection->send(hello_request);
      expect_hello(connection->read_response());
    }
    const auto shards = read_stats(httpd.port);
    expect_two_shards(shards);
    for (const auto& shard : shards) {
      EXPECT_GE(counter_of(shard, "connections_accepted").value_or(0), 1u);
    }
    EXPECT_GE(sum_of(shards, "requests"), 2u);
  }
  expect_clean_stop_without_connections(httpd);
}

TEST(Echo, SendsEveryByteBack) {
  serving_daemon echo = start_serving(echo_program, {"--smp", "1"});
  const descriptor connection = connect_to(echo.port);
  // Up to 100 KiB, over six times the daemon's 16 KiB buffer: the answer comes in pieces.
  for (const std::size_t size : {std::size_t{1}, std::size_t{1500}, std::size_t{16 * 1024 + 1},
                                 std::size_t{100 * 1024}}) {
    SCOPED_TRACE(size);
    std::string sent(size, '\0');
    for (std::size_t index = 0; index < size; ++index) sent[index] = static_cast<char>(index % 251);
    // Sent from another thread while this one reads: the echo comes back while the rest is still
    // being sent, and neither side may wait for the other with full buffers.
    std::exception_ptr send_failure;
    std::jthread sender([&] {
      try {
        send_all(connection, sent);
      } catch (...) {
        send_failure = std::current_exception();
      }
    });
    std::string received;
    while (received.size() < size) receive_more(connection, received);
    sender.join();
    if (send_failure) std::rethrow_exception(send_failure);
    EXPECT_EQ(received, sent);
  }
  expect_clean_stop(*echo.process, SIGINT);
}

TEST(Echo, StopsWithStatusZeroOnSigintDespiteOpenConnections) {
  serving_daemon echo = start_serving(echo_program, {"--smp", "2"});
  // Several, so that every shard holds some whichever way the kernel's hash spreads them.
  constexpr int open_connections = 8;
  std::vector<descriptor> open;
  for (int connection = 0; connection < open_connections; ++connection) {
    open.push_back(connect_to(echo.port));
    send_all(open.back(), "x");
    std::string echoed;
    receive_more(open.back(), echoed);
    EXPECT_EQ(echoed, "x");
  }
  expect_clean_stop(*echo.process, SIGINT);
}

TEST(Daemons, PortInUseIsOneLineAndStatusOne) {
  // The test's own listener, without SO_REUSEPORT: no one else may listen on its port.
  const descriptor listener = tcp_socket();
  const std::uint16_t port = bind_any_port(listener);
  checked(::listen(listener.get(), 1), "listen");
  for (const char* program : {httpd_program, echo_program}) {
    SCOPED_TRACE(program);
    daemon_process daemon(program, {"--port", std::to_string(port), "--smp", "2"});
    EXPECT_EQ(daemon.wait_for_exit_code(exit_limit), 1);
    const std::string& output = daemon.error_output();
    EXPECT_EQ(std::count(output.begin(), output.end(), '\n'), 1) << output;
    EXPECT_TRUE(output.ends_with("\n")) << output;
    EXPECT_NE(output.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << output;
    // The line starts with the program's name, as the bad-argument lines do.
    const std::string name = std::string(program).substr(std::string(program).rfind('/') + 1);
    EXPECT_TRUE(output.starts_with(name + ": ")) << output;
  }
}

TEST(Daemons, BadArgumentIsOneLineAndStatusTwo) {
  // Each bad argument, and what its line must name.
  const std::vector<std::pair<std::vector<std::string>, std::string>> bad_arguments{
      {{"--port", "0"}, "--port"},
      {{"--receive-buffers", "3"}, "--receive-buffers"},
      {{"--accept", "sideways"}, "sideways"},
      {{"--no-such-flag"}, "--no-such-flag"},
  };
  for (const char* program : {httpd_program, echo_program}) {
    for (const auto& [arguments, named] : bad_arguments) {
      SCOPED_TRACE(std::string(program) + " " + named);
      daemon_process daemon(program, arguments);
      EXPECT_EQ(daemon.wait_for_exit_code(exit_limit), 2);
      const std::string& output = daemon.error_output();
      EXPECT_EQ(std::count(output.begin(), output.end(), '\n'), 1) << output;
      EXPECT_TRUE(output.ends_with("\n")) << output;
      EXPECT_NE(output.find(named), std::string::npos) << output;
    }
  }
}

}  // namespace
