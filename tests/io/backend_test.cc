// Backend conformance: every backend this machine offers runs the same operations on real
// kernel objects (pipes, files, TCP sockets, timers) and must report the same outcomes.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <percore/io/backend.hh>

namespace io = percore::io;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

// A request plus what the test observes about its completion.
struct operation {
  io::request request;
  int completions = 0;
  bool finished_inline = false;

  operation() {
    request.owner = this;
    request.complete = [](io::request& r) noexcept {
      ++static_cast<operation*>(r.owner)->completions;
    };
  }
  operation(const operation&) = delete;
  operation& operator=(const operation&) = delete;

  bool finished() const { return finished_inline || completions > 0; }
  int result() const { return request.result; }
};

std::string_view text(const char* data, int length) {
  return {data, static_cast<std::size_t>(std::max(length, 0))};
}

// Drives one backend directly and closes the fds a test made once the backend is gone.
class BackendFixture : public testing::Test {
 protected:
  void TearDown() override {
    EXPECT_EQ(backend_->in_flight(), 0u) << "a test left requests in flight";
    backend_.reset();
    for (int fd : fds_) ::close(fd);
  }

  void submit(operation& op) {
    op.finished_inline = backend_->submit(op.request);
    EXPECT_EQ(op.completions, 0) << "complete() ran inside submit()";
  }

  // Polls until `done()` holds; fails the test after `limit`.
  template <class Condition>
  void poll_until(Condition done, std::chrono::nanoseconds limit = 5s) {
    const auto deadline = clock_type::now() + limit;
    while (!done() && clock_type::now() < deadline) backend_->poll(10ms);
    ASSERT_TRUE(done()) << "no completion within the time limit";
  }

  void wait_for(operation& op) {
    poll_until([&] { return op.finished(); });
    EXPECT_FALSE(op.finished_inline && op.completions > 0) << "completed twice";
    EXPECT_LE(op.completions, 1) << "complete() called more than once";
  }

  int run(operation& op) {
    submit(op);
    wait_for(op);
    return op.result();
  }

  // Ensures a pending request stays pending through a few non-waiting polls.
  void expect_pending(const operation& op) {
    for (int i = 0; i < 3; ++i) backend_->poll(0ns);
    EXPECT_FALSE(op.finished()) << "completed with nothing to complete it (" << op.result() << ")";
  }

  int keep(int fd) {
    EXPECT_GE(fd, 0) << std::strerror(errno);
    fds_.push_back(fd);
    return fd;
  }

  std::array<int, 2> make_pipe() {
    std::array<int, 2> ends{};
    const int flags = O_CLOEXEC | (backend_->wants_nonblocking_fds() ? O_NONBLOCK : 0);
    EXPECT_EQ(::pipe2(ends.data(), flags), 0) << std::strerror(errno);
    keep(ends[0]);
    keep(ends[1]);
    return ends;
  }

  int make_tcp_socket() {
    const int type =
        SOCK_STREAM | SOCK_CLOEXEC | (backend_->wants_nonblocking_fds() ? SOCK_NONBLOCK : 0);
    return keep(::socket(AF_INET, type, 0));
  }

  static sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
  }

  static std::uint16_t port_of(int fd) {
    sockaddr_in address{};
    socklen_t length = sizeof address;
    EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
    return ntohs(address.sin_port);
  }

  static void prepare(operation& op, io::opcode code, int fd, void* buffer = nullptr,
                      std::uint32_t length = 0) {
    op.request.op = code;
    op.request.fd = fd;
    op.request.buffer = buffer;
    op.request.length = length;
  }

  std::unique_ptr<io::backend> backend_;
  std::vector<int> fds_;
};

class BackendTest : public BackendFixture, public testing::WithParamInterface<io::backend_kind> {
 protected:
  void SetUp() override { backend_ = io::make_backend(GetParam(), io::backend_options{}); }
};

TEST_P(BackendTest, NopCompletesWithZero) {
  operation nop;
  nop.request.result = -1;
  EXPECT_EQ(run(nop), 0);
}

TEST_P(BackendTest, PipeWriteThenRead) {
  const auto [read_end, write_end] = make_pipe();
  char message[] = "hello";
  operation write;
  prepare(write, io::opcode::write, write_end, message, 5);
  ASSERT_EQ(run(write), 5);

  std::array<char, 16> buffer{};
  operation read;
  prepare(read, io::opcode::read, read_end, buffer.data(), buffer.size());
  ASSERT_EQ(run(read), 5);
  EXPECT_EQ(text(buffer.data(), read.result()), "hello");
}

TEST_P(BackendTest, ReadOnEmptyPipeWaitsForData) {
  const auto [read_end, write_end] = make_pipe();
  std::array<char, 16> buffer{};
  operation read;
  prepare(read, io::opcode::read, read_end, buffer.data(), buffer.size());
  submit(read);
  ASSERT_FALSE(read.finished_inline);
  expect_pending(read);
  EXPECT_EQ(backend_->in_flight(), 1u);

  ASSERT_EQ(::write(write_end, "late", 4), 4);
  wait_for(read);
  ASSERT_EQ(read.result(), 4);
  EXPECT_EQ(text(buffer.data(), 4), "late");
}

TEST_P(BackendTest, WritevThenReadv) {
  const auto [read_end, write_end] = make_pipe();
  char first[] = "abc";
  char second[] = "defg";
  std::array<iovec, 2> out{iovec{first, 3}, iovec{second, 4}};
  operation writev;
  prepare(writev, io::opcode::writev, write_end, out.data(), out.size());
  ASSERT_EQ(run(writev), 7);

  std::array<char, 2> head{};
  std::array<char, 8> tail{};
  std::array<iovec, 2> in{iovec{head.data(), head.size()}, iovec{tail.data(), tail.size()}};
  operation readv;
  prepare(readv, io::opcode::readv, read_end, in.data(), in.size());
  ASSERT_EQ(run(readv), 7);
  EXPECT_EQ(text(head.data(), 2), "ab");
  EXPECT_EQ(text(tail.data(), 5), "cdefg");
}

TEST_P(BackendTest, RegularFileCreateWriteSyncReadClose) {
  std::string directory = (std::filesystem::temp_directory_path() / "percore-io-XXXXXX").string();
  ASSERT_NE(::mkdtemp(directory.data()), nullptr) << std::strerror(errno);
  const std::string path = directory + "/data";

  operation open;
  prepare(open, io::opcode::openat, AT_FDCWD, const_cast<char*>(path.c_str()));
  open.request.flags = O_CREAT | O_RDWR | O_CLOEXEC;
  open.request.mode = 0600;
  const int fd = run(open);
  ASSERT_GE(fd, 0) << std::strerror(-fd);

  char payload[] = "percore";
  operation write;
  prepare(write, io::opcode::write, fd, payload, 7);
  write.request.offset = 4096;
  EXPECT_EQ(run(write), 7);

  operation sync;
  prepare(sync, io::opcode::fsync, fd);
  EXPECT_EQ(run(sync), 0);

  std::array<char, 16> buffer{};
  operation read;
  prepare(read, io::opcode::read, fd, buffer.data(), buffer.size());
  read.request.offset = 4096;
  ASSERT_EQ(run(read), 7);
  EXPECT_EQ(text(buffer.data(), 7), "percore");

  std::array<char, 4> hole{'x', 'x', 'x', 'x'};
  operation read_hole;
  prepare(read_hole, io::opcode::read, fd, hole.data(), hole.size());
  read_hole.request.offset = 100;
  ASSERT_EQ(run(read_hole), 4);
  EXPECT_EQ(hole, (std::array<char, 4>{}));

  operation close;
  prepare(close, io::opcode::close, fd);
  EXPECT_EQ(run(close), 0);
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1) << "the fd is still open";

  struct stat status {};
  ASSERT_EQ(::stat(path.c_str(), &status), 0);
  EXPECT_EQ(status.st_size, 4096 + 7);
  std::filesystem::remove_all(directory);
}

TEST_P(BackendTest, PollWaitsForReadable) {
  const auto [read_end, write_end] = make_pipe();
  operation poll;
  prepare(poll, io::opcode::poll, read_end);
  poll.request.flags = POLLIN;
  submit(poll);
  expect_pending(poll);

  ASSERT_EQ(::write(write_end, "x", 1), 1);
  wait_for(poll);
  EXPECT_TRUE(poll.result() & POLLIN) << poll.result();

  operation already_writable;
  prepare(already_writable, io::opcode::poll, write_end);
  already_writable.request.flags = POLLOUT;
  EXPECT_TRUE(run(already_writable) & POLLOUT);
}

TEST_P(BackendTest, PollForEitherDirectionWakesOnTheOneThatHappens) {
  // The write end of a full pipe: neither readable (it never is) nor writable until drained.
  const auto [read_end, write_end] = make_pipe();
  ASSERT_GE(::fcntl(write_end, F_SETFL, ::fcntl(write_end, F_GETFL) | O_NONBLOCK), 0);
  std::array<char, 4096> filler{};
  while (::write(write_end, filler.data(), filler.size()) > 0) {
  }
  operation poll;
  prepare(poll, io::opcode::poll, write_end);
  poll.request.flags = POLLIN | POLLOUT;
  submit(poll);
  expect_pending(poll);

  ASSERT_GE(::fcntl(read_end, F_SETFL, ::fcntl(read_end, F_GETFL) | O_NONBLOCK), 0);
  while (::read(read_end, filler.data(), filler.size()) > 0) {
  }
  wait_for(poll);
  EXPECT_EQ(poll.result() & (POLLIN | POLLOUT), POLLOUT);
}

TEST_P(BackendTest, TimeoutExpiresWithEtime) {
  __kernel_timespec duration{.tv_sec = 0, .tv_nsec = 50'000'000};
  operation timeout;
  timeout.request.op = io::opcode::timeout;
  timeout.request.duration = &duration;
  const auto start = clock_type::now();
  EXPECT_EQ(run(timeout), -ETIME);
  const auto elapsed = clock_type::now() - start;
  EXPECT_GE(elapsed, 50ms);
  EXPECT_LT(elapsed, 2s);
}

TEST_P(BackendTest, TimeoutsExpireInDeadlineOrder) {
  __kernel_timespec longer{.tv_sec = 0, .tv_nsec = 80'000'000};
  __kernel_timespec shorter{.tv_sec = 0, .tv_nsec = 20'000'000};
  operation late;
  late.request.op = io::opcode::timeout;
  late.request.duration = &longer;
  operation early;
  early.request.op = io::opcode::timeout;
  early.request.duration = &shorter;
  submit(late);
  submit(early);
  poll_until([&] { return early.finished(); });
  EXPECT_FALSE(late.finished());
  wait_for(late);
  EXPECT_EQ(early.result(), -ETIME);
  EXPECT_EQ(late.result(), -ETIME);
}

TEST_P(BackendTest, CancelledReadCompletesWithEcanceledAndLeavesTheBuffer) {
  const auto [read_end, write_end] = make_pipe();
  std::array<char, 8> buffer;
  buffer.fill('x');
  operation read;
  prepare(read, io::opcode::read, read_end, buffer.data(), buffer.size());
  submit(read);
  expect_pending(read);

  backend_->cancel(read.request);
  EXPECT_EQ(read.completions, 0) << "complete() ran inside cancel()";
  wait_for(read);
  EXPECT_EQ(read.result(), -ECANCELED);
  EXPECT_EQ(text(buffer.data(), 8), "xxxxxxxx");

  // The cancelled read took nothing: data written now goes to the next read.
  ASSERT_EQ(::write(write_end, "next", 4), 4);
  operation next;
  prepare(next, io::opcode::read, read_end, buffer.data(), buffer.size());
  ASSERT_EQ(run(next), 4);
  EXPECT_EQ(text(buffer.data(), 4), "next");
}

TEST_P(BackendTest, CancelAllEndsEveryPendingRequest) {
  const auto [read_end, write_end] = make_pipe();
  const auto [other_read_end, other_write_end] = make_pipe();
  std::array<char, 8> buffer{};
  operation read;
  prepare(read, io::opcode::read, read_end, buffer.data(), buffer.size());
  operation poll;
  prepare(poll, io::opcode::poll, other_read_end);
  poll.request.flags = POLLIN;
  __kernel_timespec ten_seconds{.tv_sec = 10, .tv_nsec = 0};
  operation timeout;
  timeout.request.op = io::opcode::timeout;
  timeout.request.duration = &ten_seconds;
  for (operation* op : {&read, &poll, &timeout}) submit(*op);
  expect_pending(read);
  EXPECT_EQ(backend_->in_flight(), 3u);

  backend_->cancel_all();
  const auto start = clock_type::now();
  poll_until([&] { return read.finished() && poll.finished() && timeout.finished(); });
  EXPECT_LT(clock_type::now() - start, 5s);
  EXPECT_EQ(read.result(), -ECANCELED);
  EXPECT_EQ(poll.result(), -ECANCELED);
  EXPECT_EQ(timeout.result(), -ECANCELED);
  EXPECT_EQ(backend_->in_flight(), 0u);
}

TEST_P(BackendTest, TcpAcceptConnectAndExchangeBothWays) {
  const int listener = make_tcp_socket();
  const int reuse = 1;
  ASSERT_EQ(::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse), 0);
  sockaddr_in any_port = loopback(0);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&any_port), sizeof any_port), 0);
  ASSERT_EQ(::listen(listener, 8), 0);

  sockaddr_in peer{};
  socklen_t peer_length = sizeof peer;
  operation accept;
  prepare(accept, io::opcode::accept, listener, &peer, 0);
  accept.request.address_length = &peer_length;
  accept.request.flags = SOCK_CLOEXEC;
  submit(accept);
  expect_pending(accept);

  const int client = make_tcp_socket();
  sockaddr_in server = loopback(port_of(listener));
  operation connect;
  prepare(connect, io::opcode::connect, client, &server, sizeof server);
  submit(connect);
  poll_until([&] { return accept.finished() && connect.finished(); });
  ASSERT_EQ(connect.result(), 0) << std::strerror(-connect.result());
  const int accepted = accept.result();
  ASSERT_GE(accepted, 0) << std::strerror(-accepted);
  keep(accepted);
  EXPECT_EQ(peer.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
  EXPECT_EQ(ntohs(peer.sin_port), port_of(client));

  // The client's recv waits first, so the server's send has to wake it up.
  std::array<char, 16> client_buffer{};
  operation client_recv;
  prepare(client_recv, io::opcode::recv, client, client_buffer.data(), client_buffer.size());
  submit(client_recv);
  expect_pending(client_recv);
  char pong[] = "pong";
  operation server_send;
  prepare(server_send, io::opcode::send, accepted, pong, 4);
  EXPECT_EQ(run(server_send), 4);
  wait_for(client_recv);
  ASSERT_EQ(client_recv.result(), 4);
  EXPECT_EQ(text(client_buffer.data(), 4), "pong");

  char ping[] = "ping!";
  operation client_send;
  prepare(client_send, io::opcode::send, client, ping, 5);
  EXPECT_EQ(run(client_send), 5);
  std::array<char, 16> server_buffer{};
  operation server_recv;
  prepare(server_recv, io::opcode::recv, accepted, server_buffer.data(), server_buffer.size());
  ASSERT_EQ(run(server_recv), 5);
  EXPECT_EQ(text(server_buffer.data(), 5), "ping!");

  // An orderly shutdown reads as end of stream.
  ASSERT_EQ(::shutdown(client, SHUT_WR), 0);
  operation end_of_stream;
  prepare(end_of_stream, io::opcode::recv, accepted, server_buffer.data(), server_buffer.size());
  EXPECT_EQ(run(end_of_stream), 0);
}

TEST_P(BackendTest, ConnectToClosedPortIsRefused) {
  // Bind without listening to learn a port nobody listens on.
  const int placeholder = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(placeholder, 0);
  sockaddr_in any_port = loopback(0);
  ASSERT_EQ(::bind(placeholder, reinterpret_cast<sockaddr*>(&any_port), sizeof any_port), 0);
  sockaddr_in closed = loopback(port_of(placeholder));
  ::close(placeholder);

  operation connect;
  prepare(connect, io::opcode::connect, make_tcp_socket(), &closed, sizeof closed);
  EXPECT_EQ(run(connect), -ECONNREFUSED);
}

TEST_P(BackendTest, WakeFromAnotherThreadInterruptsAnInfinitePoll) {
  // A far timer keeps something in flight; poll must come back because of the wake, not it.
  __kernel_timespec ten_seconds{.tv_sec = 10, .tv_nsec = 0};
  operation safety;
  safety.request.op = io::opcode::timeout;
  safety.request.duration = &ten_seconds;
  submit(safety);

  // A signal, or the machine freezing the process (it happens every few ms in some sandboxes),
  // ends a wait early with EINTR, so poll until the waker has been; an infinite poll that did
  // not wait at all would spin here thousands of times.
  std::atomic<bool> woken{false};
  const auto start = clock_type::now();
  std::thread waker([&] {
    std::this_thread::sleep_for(50ms);
    woken = true;
    backend_->wake();
  });
  std::size_t delivered = 0;
  int polls = 0;
  while (!woken) {
    delivered += backend_->poll(std::nullopt);
    ++polls;
  }
  const auto elapsed = clock_type::now() - start;
  waker.join();
  EXPECT_EQ(delivered, 0u);
  EXPECT_LE(polls, 50) << "poll(nullopt) keeps returning without waiting";
  EXPECT_GE(elapsed, 50ms);
  EXPECT_LT(elapsed, 5s);
  EXPECT_FALSE(safety.finished());

  backend_->cancel(safety.request);
  wait_for(safety);
  EXPECT_EQ(safety.result(), -ECANCELED);
}

TEST_P(BackendTest, WakeBeforePollMakesTheNextPollReturn) {
  __kernel_timespec ten_seconds{.tv_sec = 10, .tv_nsec = 0};
  operation safety;
  safety.request.op = io::opcode::timeout;
  safety.request.duration = &ten_seconds;
  submit(safety);
  backend_->wake();
  const auto start = clock_type::now();
  backend_->poll(std::nullopt);
  EXPECT_LT(clock_type::now() - start, 5s);
  EXPECT_FALSE(safety.finished());
  backend_->cancel(safety.request);
  wait_for(safety);
}

// A tiny ring, more requests than it holds, and completions that submit again: a submission
// into the full ring hands the batch to the kernel from inside a completion function, while the
// reap that called it is mid-batch. Every request must still complete exactly once per submit.
TEST_P(BackendTest, CompletionsThatSubmitIntoAFullRingEachCompleteOnce) {
  backend_ = io::make_backend(GetParam(), io::backend_options{.ring_entries = 4});
  constexpr int chains = 32;
  constexpr int links = 20;
  struct chain {
    io::backend* backend = nullptr;
    io::request request;
    int completions = 0;
  };
  std::vector<chain> all(chains);
  for (chain& one : all) {
    one.backend = backend_.get();
    one.request.owner = &one;
    // A backend may finish a nop inside submit (epoll does): that counts as a completion too.
    one.request.complete = [](io::request& r) noexcept {
      auto& self = *static_cast<chain*>(r.owner);
      while (++self.completions < links && self.backend->submit(r)) {
      }
    };
    if (backend_->submit(one.request)) one.request.complete(one.request);
  }
  poll_until([&] {
    return std::all_of(all.begin(), all.end(),
                       [](const chain& one) { return one.completions == links; });
  });
  for (const chain& one : all) EXPECT_EQ(one.completions, links);
  EXPECT_EQ(backend_->in_flight(), 0u);
}

// More completions than one delivery takes (io_uring delivers 64 per poll, so that the tasks
// they wake run while their frames are in the cache): each arrives once, over several polls, and
// a poll that may wait does not wait while some are left.
TEST_P(BackendTest, MoreCompletionsThanOneDeliveryEachArriveOnce) {
  backend_ = io::make_backend(GetParam(), io::backend_options{.ring_entries = 1024});
  constexpr int count = 300;
  struct counted {
    io::request request;
    int completions = 0;
  };
  std::vector<counted> all(count);
  for (counted& one : all) {
    one.request.owner = &one;
    one.request.complete = [](io::request& r) noexcept {
      ++static_cast<counted*>(r.owner)->completions;
    };
    // A backend may finish a nop inside submit (epoll does): that counts as its completion.
    if (backend_->submit(one.request)) ++one.completions;
  }
  int polls = 0;
  std::size_t delivered = 0;
  while (backend_->in_flight() > 0 && polls < count) {
    delivered += backend_->poll(std::nullopt);
    ++polls;
  }
  for (const counted& one : all) EXPECT_EQ(one.completions, 1);
  EXPECT_EQ(backend_->in_flight(), 0u);
  if (GetParam() == io::backend_kind::io_uring) {
    EXPECT_EQ(delivered, static_cast<std::size_t>(count));
    EXPECT_GT(polls, 1) << "one poll delivered them all";
  }
}

INSTANTIATE_TEST_SUITE_P(AllBackends, BackendTest, testing::ValuesIn(io::available_backends()),
                         [](const testing::TestParamInfo<io::backend_kind>& info) {
                           return std::string(io::to_string(info.param));
                         });

TEST(BackendSelection, UnknownNameIsRejectedWithTheAcceptedNames) {
  try {
    io::parse_backend_kind("bogus");
    FAIL() << "parse_backend_kind accepted 'bogus'";
  } catch (const std::invalid_argument& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("'bogus'"), std::string::npos) << message;
    EXPECT_NE(message.find("io_uring"), std::string::npos) << message;
    EXPECT_NE(message.find("epoll"), std::string::npos) << message;
  }
  EXPECT_EQ(io::parse_backend_kind("epoll"), io::backend_kind::epoll);
  EXPECT_EQ(io::parse_backend_kind("io_uring"), io::backend_kind::io_uring);
}

TEST(BackendSelection, EpollIsAlwaysAvailable) {
  const auto kinds = io::available_backends();
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), io::backend_kind::epoll), kinds.end());
}

// What only the epoll backend promises: FIFO wait lists, close with waiters, the blocking pool.
class EpollBackendTest : public BackendFixture {
 protected:
  void SetUp() override {
    backend_ = io::make_backend(io::backend_kind::epoll, io::backend_options{.blocking_threads = 1});
  }

  static std::size_t thread_count() {
    const std::filesystem::directory_iterator tasks("/proc/self/task");
    return static_cast<std::size_t>(std::distance(begin(tasks), end(tasks)));
  }

  // A pipe in blocking mode, as a program might hand over (stdin, a pipe from a parent).
  std::array<int, 2> make_blocking_pipe() {
    std::array<int, 2> ends{};
    EXPECT_EQ(::pipe2(ends.data(), O_CLOEXEC), 0) << std::strerror(errno);
    keep(ends[0]);
    keep(ends[1]);
    return ends;
  }
};

TEST_F(EpollBackendTest, WaitersOnOneFdCompleteInSubmissionOrder) {
  const auto [read_end, write_end] = make_pipe();
  std::array<char, 4> first_buffer{};
  std::array<char, 4> second_buffer{};
  operation first;
  prepare(first, io::opcode::read, read_end, first_buffer.data(), first_buffer.size());
  operation second;
  prepare(second, io::opcode::read, read_end, second_buffer.data(), second_buffer.size());
  submit(first);
  submit(second);
  expect_pending(second);

  ASSERT_EQ(::write(write_end, "aaaabbbb", 8), 8);
  poll_until([&] { return first.finished() && second.finished(); });
  ASSERT_EQ(first.result(), 4);
  ASSERT_EQ(second.result(), 4);
  EXPECT_EQ(text(first_buffer.data(), 4), "aaaa");
  EXPECT_EQ(text(second_buffer.data(), 4), "bbbb");
}

TEST_F(EpollBackendTest, CloseCompletesItsWaitersWithEbadf) {
  int ends[2];
  ASSERT_EQ(::pipe2(ends, O_CLOEXEC | O_NONBLOCK), 0);
  keep(ends[1]);
  std::array<char, 4> buffer{};
  operation read;
  prepare(read, io::opcode::read, ends[0], buffer.data(), buffer.size());
  submit(read);
  expect_pending(read);

  operation close;
  prepare(close, io::opcode::close, ends[0]);
  EXPECT_EQ(run(close), 0);
  wait_for(read);
  EXPECT_EQ(read.result(), -EBADF);
}

TEST_F(EpollBackendTest, BlockingPoolStartsItsThreadOnFirstUse) {
  const std::size_t before = thread_count();
  auto fresh = io::make_backend(io::backend_kind::epoll, io::backend_options{});
  EXPECT_EQ(thread_count(), before) << "the blocking pool started threads at construction";

  operation sync;
  prepare(sync, io::opcode::fsync, keep(::open("/dev/null", O_RDONLY | O_CLOEXEC)));
  ASSERT_FALSE(fresh->submit(sync.request));
  const auto deadline = clock_type::now() + 5s;
  while (!sync.finished() && clock_type::now() < deadline) fresh->poll(10ms);
  ASSERT_TRUE(sync.finished());
  EXPECT_EQ(sync.result(), -EINVAL) << "fsync on /dev/null";
  EXPECT_EQ(thread_count(), before + 1);
}

TEST_F(EpollBackendTest, CancelOnBlockingPoolDropsQueuedWorkAndLetsRunningWorkFinish) {
  // Reads on blocking pipes must run on the pool, whose single thread the first one occupies.
  const auto [running_read_end, running_write_end] = make_blocking_pipe();
  const auto [queued_read_end, queued_write_end] = make_blocking_pipe();
  std::array<char, 8> running_buffer{};
  std::array<char, 8> queued_buffer;
  queued_buffer.fill('x');
  operation running;
  prepare(running, io::opcode::read, running_read_end, running_buffer.data(),
          running_buffer.size());
  operation queued;
  prepare(queued, io::opcode::read, queued_read_end, queued_buffer.data(), queued_buffer.size());
  submit(running);
  submit(queued);
  ASSERT_FALSE(running.finished_inline);
  ASSERT_FALSE(queued.finished_inline);
  std::this_thread::sleep_for(100ms);  // lets the pool thread enter the first read

  backend_->cancel(queued.request);
  backend_->cancel(running.request);
  wait_for(queued);
  EXPECT_EQ(queued.result(), -ECANCELED);
  EXPECT_EQ(text(queued_buffer.data(), 8), "xxxxxxxx");
  expect_pending(running);

  ASSERT_EQ(::write(running_write_end, "done", 4), 4);
  wait_for(running);
  ASSERT_EQ(running.result(), 4);
  EXPECT_EQ(text(running_buffer.data(), 4), "done");
}

}  // namespace
