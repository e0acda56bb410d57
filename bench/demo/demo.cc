// The first thing a newcomer runs: one shard spawns tasks, sleeps, writes and reads a file and
// a pipe, cancels a read that would wait forever; then a shard per CPU call each other.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <percore/shards.hh>

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

double milliseconds_since(clock_type::time_point start) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

std::span<const std::byte> bytes_of(const std::string& text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

percore::task<int> square_after(int value, std::chrono::milliseconds delay) {
  co_await percore::sleep_for(delay);
  co_return value * value;
}

percore::task<void> file_round_trip() {
  const std::string path = "/tmp/percore-demo-" + std::to_string(::getpid());
  const int fd = (co_await percore::openat(AT_FDCWD, path.c_str(), O_CREAT | O_RDWR | O_TRUNC)).value();
  const std::string text = "written and read back through the engine";
  const std::size_t written = (co_await percore::write(fd, bytes_of(text), 0)).value();
  (co_await percore::fsync(fd)).value();
  std::string back(written, '\0');
  const std::size_t read = (co_await percore::read(fd, std::as_writable_bytes(std::span(back)), 0)).value();
  (co_await percore::close(fd)).value();
  ::unlink(path.c_str());
  std::printf("file:   wrote %zu bytes to %s, fsync'd, read %zu back: \"%s\"\n", written,
              path.c_str(), read, back.c_str());
}

percore::task<void> pipe_ping_pong(int rounds) {
  auto there = percore::make_pipe().value();
  auto back = percore::make_pipe().value();
  auto echo = percore::spawn([](int in, int out, int count) -> percore::task<void> {
    for (int i = 0; i < count; ++i) {
      std::uint64_t value = 0;
      (co_await percore::read(in, std::as_writable_bytes(std::span(&value, 1)))).value();
      ++value;
      (co_await percore::write(out, std::as_bytes(std::span(&value, 1)))).value();
    }
  }, there[0], back[1], rounds);
  const auto start = clock_type::now();
  std::uint64_t value = 0;
  for (int i = 0; i < rounds; ++i) {
    (co_await percore::write(there[1], std::as_bytes(std::span(&value, 1)))).value();
    (co_await percore::read(back[0], std::as_writable_bytes(std::span(&value, 1)))).value();
  }
  co_await echo;
  const double elapsed = milliseconds_since(start);
  std::printf("pipe:   %d round trips between two tasks in %.1f ms (%.2f us each), counter = %llu\n",
              rounds, elapsed, elapsed * 1000.0 / rounds, static_cast<unsigned long long>(value));
  for (int fd : {there[0], there[1], back[0], back[1]}) (co_await percore::close(fd)).value();
}

percore::task<percore::result<std::size_t>> read_once(int fd) {
  std::array<std::byte, 16> buffer{};
  co_return co_await percore::read(fd, buffer);
}

percore::task<void> cancel_a_stuck_read() {
  auto ends = percore::make_pipe().value();
  const auto start = clock_type::now();
  // Nobody writes to the pipe: the read is cancelled in the kernel when the deadline passes.
  auto outcome = co_await percore::with_timeout(20ms, read_once(ends[0]));
  std::printf("cancel: a read on an empty pipe with a 20 ms deadline ended after %.1f ms: %s\n",
              milliseconds_since(start),
              outcome.error() == std::errc::timed_out
                  ? "timed out, and the read was cancelled in the kernel"
                  : outcome.error().message().c_str());
  for (int fd : ends) (co_await percore::close(fd)).value();
}

// Every CPU of the machine gets a shard; shard 0 calls each of the others and times it.
percore::task<int> across_shards() {
  std::printf("shards: %u shards, one pinned thread each\n", percore::shard_count());
  for (unsigned shard = 1; shard < percore::shard_count(); ++shard) {
    constexpr int calls = 10'000;
    const auto start = clock_type::now();
    unsigned answered = 0;
    for (int i = 0; i < calls; ++i) {
      answered += co_await percore::submit_to(shard, [] { return percore::this_shard_id(); });
    }
    std::printf("shards: %d submit_to calls from shard 0 to shard %u in %.1f ms (%.2f us each; "
                "each wakes a sleeping shard unless run with --poll)\n",
                calls, answered / calls, milliseconds_since(start),
                milliseconds_since(start) * 1000.0 / calls);
  }
  const unsigned sum = co_await percore::map_reduce(
      [] { return percore::this_shard_id(); }, 0u, [](unsigned total, unsigned id) { return total + id; });
  std::printf("shards: map_reduce of the shard ids over every shard = %u\n", sum);
  co_return 0;
}

}  // namespace

// Flags (--smp, --cpus, --poll, --backend, ...) apply to the shards part.
int main(int argc, char** argv) {
  percore::engine engine;
  std::printf("percore demo: one shard on %s\n", engine.backend().describe().c_str());
  const int single = engine.run([]() -> percore::task<int> {
    const auto start = clock_type::now();
    std::vector<percore::join_handle<int>> squares;
    for (int i = 1; i <= 5; ++i) squares.push_back(percore::spawn(square_after(i, std::chrono::milliseconds(10 * (6 - i)))));
    int sum = 0;
    for (auto& square : squares) sum += co_await square;
    std::printf("tasks:  5 tasks slept 50..10 ms concurrently, sum of squares %d after %.1f ms\n", sum,
                milliseconds_since(start));
    co_await file_round_trip();
    co_await pipe_ping_pong(10'000);
    co_await cancel_a_stuck_read();
    std::printf("done in %.1f ms\n", milliseconds_since(start));
    co_return 0;
  });
  if (single != 0) return single;
  return percore::run(argc, argv, across_shards);
}
