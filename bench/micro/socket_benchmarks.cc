// socket_benchmarks: the io_uring socket options, each against its absence in the same binary
// and run, on 127.0.0.1 (epoll alongside as the reference): zero-copy large writes, multishot
// receive into provided buffers for small-message echo, and multishot accept.
#include <benchmark/benchmark.h>

#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <exception>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <percore/percore.hh>
#include <percore/net/sockets.hh>

namespace {

namespace net = percore::net;
using percore::task;
using namespace std::chrono_literals;

// The CPUs the process may run on, read once, before any thread is pinned.
const std::vector<int>& allowed_cpus() {
  static const std::vector<int> cpus = [] {
    cpu_set_t set;
    CPU_ZERO(&set);
    std::vector<int> found;
    if (::sched_getaffinity(0, sizeof set, &set) == 0) {
      for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
        if (CPU_ISSET(cpu, &set)) found.push_back(cpu);
      }
    }
    return found;
  }();
  return cpus;
}

// Pins the calling thread to the `index`-th allowed CPU while it lives (no-op when there is no
// such CPU), then gives it back its mask. Without it, figures swing by 2x between runs: where
// the scheduler puts the receiver decides which cache the loopback copies hit.
class pinned_to {
 public:
  explicit pinned_to(std::size_t index) {
    if (index >= allowed_cpus().size()) return;
    pinned_ = ::pthread_getaffinity_np(::pthread_self(), sizeof saved_, &saved_) == 0;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(allowed_cpus()[index], &one);
    if (pinned_) ::pthread_setaffinity_np(::pthread_self(), sizeof one, &one);
  }
  ~pinned_to() {
    if (pinned_) ::pthread_setaffinity_np(::pthread_self(), sizeof saved_, &saved_);
  }
  pinned_to(const pinned_to&) = delete;
  pinned_to& operator=(const pinned_to&) = delete;

 private:
  cpu_set_t saved_{};
  bool pinned_ = false;
};

// Runs `body(state)` as the main task of an engine of `kind` on the first allowed CPU; the loop
// `for (auto _ : state)` lives inside it, so that set-up is never timed.
template <class Body>
void on_engine(benchmark::State& state, percore::io::backend_kind kind, Body body) {
  const pinned_to first_cpu(0);
  try {
    percore::engine shard(percore::engine_config{.backend = kind});
    shard.run([&]() -> task<void> { co_await body(state); });
  } catch (const std::exception& error) {
    state.SkipWithError(error.what());
  }
}

std::string name_of(percore::io::backend_kind kind) {
  return std::string(percore::io::to_string(kind));
}

std::chrono::nanoseconds cpu_time(int who) {
  rusage usage{};
  ::getrusage(who, &usage);
  const auto seconds = [](const timeval& t) {
    return std::chrono::seconds(t.tv_sec) + std::chrono::microseconds(t.tv_usec);
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// ---------------------------------------------------------------------------------------------
// Large writes: write_all of one message per iteration over one TCP connection, the other end
// draining it on a plain thread (on another CPU) with 1 MiB recv calls. Throughput is bytes per second of real
// time; CPU per byte counts every thread of the process (the kernel's loopback receive path
// runs in the sender's thread), and the sender's thread alone.

struct large_write_case {
  percore::io::backend_kind backend;
  bool zero_copy;
  std::size_t size;
};

// Connects to `port` and reads until the end of the stream, on the second allowed CPU.
void drain(std::uint16_t port) {
  const pinned_to second_cpu(1);
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const net::socket_address target = net::socket_address::ipv4_loopback(port);
  if (::connect(fd, target.native(), target.native_size()) != 0) std::perror("connect");
  std::vector<char> buffer(1 << 20);
  while (::recv(fd, buffer.data(), buffer.size(), 0) > 0) {
  }
  ::close(fd);
}

task<void> write_large(benchmark::State& state, large_write_case shape) {
  net::tcp_listener listener =
      net::tcp_listener::bind(net::socket_address::ipv4_loopback(0)).value();
  std::thread receiver(drain, listener.local_address().value().port());
  net::tcp_stream stream = (co_await listener.accept()).value();
  stream.set_zero_copy_threshold(shape.zero_copy ? shape.size : 0);
  const std::vector<std::byte> message(shape.size, std::byte{'z'});
  const std::chrono::nanoseconds process_before = cpu_time(RUSAGE_SELF);
  const std::chrono::nanoseconds sender_before = cpu_time(RUSAGE_THREAD);
  for (auto _ : state) {
    if (!co_await stream.write_all(message)) {
      state.SkipWithError("write_all failed");
      break;
    }
  }
  const double kibibytes =
      static_cast<double>(state.iterations()) * static_cast<double>(shape.size) / 1024.0;
  state.counters["cpu_ns_per_KiB"] =
      static_cast<double>((cpu_time(RUSAGE_SELF) - process_before).count()) / kibibytes;
  state.counters["sender_ns_per_KiB"] =
      static_cast<double>((cpu_time(RUSAGE_THREAD) - sender_before).count()) / kibibytes;
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(shape.size));
  (void)co_await stream.close();
  receiver.join();
}

// ---------------------------------------------------------------------------------------------
// Small-message echo: `connection_count` TCP connections in one engine, each a client task that
// writes 64 bytes and reads them back, and a server task that echoes them. Every stream reads
// with one recv per read, or through one multishot receive into the engine's provided buffers.
// The benchmark's own task is one of the clients; items are echoes completed by all of them.

constexpr int connection_count = 100;
constexpr std::size_t message_size = 64;

struct echo_case {
  percore::io::backend_kind backend;
  bool multishot_receive;
};

task<void> echo_back(net::tcp_stream stream) {
  std::array<std::byte, message_size> buffer;
  for (;;) {
    const percore::result<std::size_t> got = co_await stream.read(buffer);
    if (!got || got.value() == 0) break;
    if (!co_await stream.write_all(std::span(buffer).first(got.value()))) break;
  }
}

task<bool> echo_once(net::tcp_stream& stream) {
  std::array<std::byte, message_size> message{};
  if (!co_await stream.write_all(message)) co_return false;
  co_return (co_await stream.read_exact(message)).has_value();
}

task<void> echo_until(net::tcp_stream& stream, const bool& stop, std::uint64_t& echoes) {
  while (!stop) {
    if (!co_await echo_once(stream)) co_return;
    ++echoes;
  }
}

task<void> echo_many(benchmark::State& state, echo_case shape) {
  net::tcp_listener listener =
      net::tcp_listener::bind(net::socket_address::ipv4_loopback(0), {.backlog = 1024}).value();
  const net::socket_address target = listener.local_address().value();
  const net::receive_buffers buffers(512, 2048);
  std::vector<net::tcp_stream> clients;
  clients.reserve(connection_count);
  std::vector<percore::join_handle<void>> servers;
  for (int i = 0; i < connection_count; ++i) {
    task<percore::result<net::tcp_stream>> connecting = net::connect(target, 5s);
    clients.push_back((co_await std::move(connecting)).value());
    net::tcp_stream server = (co_await listener.accept()).value();
    for (net::tcp_stream* stream : {&clients.back(), &server}) {
      (void)stream->set_nodelay(true);
      if (shape.multishot_receive) stream->use_receive_buffers(buffers);
    }
    servers.push_back(percore::spawn(echo_back(std::move(server))));
  }
  bool stop = false;
  std::uint64_t echoes = 0;
  std::vector<percore::join_handle<void>> others;
  for (int i = 1; i < connection_count; ++i) {
    others.push_back(percore::spawn(echo_until(clients[i], stop, echoes)));
  }
  co_await percore::yield();
  echoes = 0;
  for (auto _ : state) {
    if (!co_await echo_once(clients[0])) {
      state.SkipWithError("echo failed");
      break;
    }
    ++echoes;
  }
  // Read before the other clients run again: only echoes inside the timed loop count.
  state.SetItemsProcessed(static_cast<std::int64_t>(echoes));
  stop = true;
  for (auto& other : others) co_await other;
  for (net::tcp_stream& client : clients) (void)co_await client.close();
  for (auto& server : servers) co_await server;
}

// ---------------------------------------------------------------------------------------------
// Accept rate: 16 tasks of the same engine connect over and over; the benchmark's task accepts
// and closes with a reset (SO_LINGER 0, so that no TIME_WAIT piles up on either side), each
// connecting task closing its end once it sees the reset. Items are connections accepted.

constexpr int connector_count = 16;

struct accept_case {
  percore::io::backend_kind backend;
  bool multishot_accept;
};

task<void> connect_until(net::socket_address target, const bool& stop) {
  while (!stop) {
    task<percore::result<net::tcp_stream>> connecting = net::connect(target, 5s);
    percore::result<net::tcp_stream> connected = co_await std::move(connecting);
    if (!connected) continue;
    std::array<std::byte, 1> nothing;
    (void)co_await connected.value().read(nothing);
    (void)co_await connected.value().close();
  }
}

task<void> accept_many(benchmark::State& state, accept_case shape) {
  net::tcp_listener listener =
      net::tcp_listener::bind(net::socket_address::ipv4_loopback(0),
                              {.backlog = 1024, .multishot_accept = shape.multishot_accept})
          .value();
  const net::socket_address target = listener.local_address().value();
  bool stop = false;
  std::vector<percore::join_handle<void>> connectors;
  for (int i = 0; i < connector_count; ++i) {
    connectors.push_back(percore::spawn(connect_until(target, stop)));
  }
  const linger reset{.l_onoff = 1, .l_linger = 0};
  for (auto _ : state) {
    percore::result<net::tcp_stream> accepted = co_await listener.accept();
    if (!accepted) {
      state.SkipWithError("accept failed");
      break;
    }
    ::setsockopt(accepted.value().native_handle(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    (void)co_await accepted.value().close();
  }
  state.SetItemsProcessed(state.iterations());
  stop = true;
  // Closing the listener ends what the connectors wait for: a connection it held or queued, or
  // a connect, which it refuses from now on.
  (void)co_await listener.close();
  for (auto& connector : connectors) co_await connector;
}

// ---------------------------------------------------------------------------------------------
// The console table, then each option's figure over the same case without it.

class ratio_reporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.error_occurred) continue;
      for (const char* rate : {"bytes_per_second", "items_per_second"}) {
        if (auto found = run.counters.find(rate); found != run.counters.end()) {
          rates_[run.benchmark_name()] = found->second.value;
        }
      }
      if (auto found = run.counters.find("cpu_ns_per_KiB"); found != run.counters.end()) {
        cpu_[run.benchmark_name()] = found->second.value;
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }

  void print_ratios() const {
    std::printf("\noption / without it (rate; CPU per byte for large writes):\n");
    for (const auto& [name, rate] : rates_) {
      const std::string base = without_option(name);
      auto other = rates_.find(base);
      if (base == name || other == rates_.end()) continue;
      std::printf("  %-48s %.2fx rate", name.c_str(), rate / other->second);
      auto cpu = cpu_.find(name);
      auto other_cpu = cpu_.find(base);
      if (cpu != cpu_.end() && other_cpu != cpu_.end()) {
        std::printf(", %.2fx CPU per byte", cpu->second / other_cpu->second);
      }
      std::printf("\n");
    }
  }

 private:
  static std::string without_option(std::string name) {
    for (auto [with, without] : {std::pair{"/zero_copy/", "/copy/"},
                                 std::pair{"/multishot_recv", "/recv"},
                                 std::pair{"/multishot_accept", "/accept"}}) {
      const std::string key(with);
      if (auto at = name.find(key); at != std::string::npos) {
        return name.replace(at, key.size(), without);
      }
    }
    return name;
  }

  std::map<std::string, double> rates_;
  std::map<std::string, double> cpu_;
};

void register_benchmarks() {
  for (percore::io::backend_kind backend : percore::io::available_backends()) {
    const std::string on = name_of(backend);
    for (std::size_t size : {std::size_t{16} << 10, std::size_t{64} << 10, std::size_t{256} << 10,
                             std::size_t{1} << 20}) {
      for (bool zero_copy : {false, true}) {
        const large_write_case shape{backend, zero_copy, size};
        benchmark::RegisterBenchmark(
            ("large_write/" + on + (zero_copy ? "/zero_copy/" : "/copy/") +
             std::to_string(size >> 10) + "KiB")
                .c_str(),
            [shape](benchmark::State& state) {
              on_engine(state, shape.backend,
                        [shape](benchmark::State& s) { return write_large(s, shape); });
            })
            ->UseRealTime();
      }
    }
    for (bool multishot : {false, true}) {
      const echo_case shape{backend, multishot};
      benchmark::RegisterBenchmark(
          ("echo_64B_100_connections/" + on + (multishot ? "/multishot_recv" : "/recv")).c_str(),
          [shape](benchmark::State& state) {
            on_engine(state, shape.backend,
                      [shape](benchmark::State& s) { return echo_many(s, shape); });
          })
          ->UseRealTime();
    }
    for (bool multishot : {false, true}) {
      const accept_case shape{backend, multishot};
      benchmark::RegisterBenchmark(
          ("accept/" + on + (multishot ? "/multishot_accept" : "/accept")).c_str(),
          [shape](benchmark::State& state) {
            on_engine(state, shape.backend,
                      [shape](benchmark::State& s) { return accept_many(s, shape); });
          })
          ->UseRealTime();
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  register_benchmarks();
  ratio_reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_ratios();
  benchmark::Shutdown();
  return 0;
}
