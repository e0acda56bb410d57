// startup_time: median wall time, in microseconds, of running a program to completion,
// used to compare the start-up cost of percore's and its peers' hello programs.

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern char** environ;

namespace {

[[noreturn]] void usage(const char* self) {
  std::fprintf(stderr, "usage: %s [--runs N] [--warmup W] -- program [args...]\n", self);
  std::exit(2);
}

long parse_count(const char* self, const char* text, long minimum) {
  char* end = nullptr;
  errno = 0;
  long value = std::strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < minimum) usage(self);
  return value;
}

// Runs argv once (posix_spawn + waitpid) with output discarded; returns its wall time in microseconds.
// Exits the whole tool if the program cannot be started or does not exit 0,
// since a failing program's timing means nothing.
double run_once(char* const* argv, const posix_spawn_file_actions_t& actions) {
  auto start = std::chrono::steady_clock::now();
  pid_t pid;
  int error = posix_spawnp(&pid, argv[0], &actions, nullptr, argv, environ);
  if (error != 0) {
    std::fprintf(stderr, "startup_time: cannot run %s: %s\n", argv[0], std::strerror(error));
    std::exit(1);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      std::fprintf(stderr, "startup_time: waitpid for %s: %s\n", argv[0], std::strerror(errno));
      std::exit(1);
    }
  }
  auto elapsed = std::chrono::steady_clock::now() - start;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    if (WIFSIGNALED(status)) {
      std::fprintf(stderr, "startup_time: %s killed by signal %d\n", argv[0], WTERMSIG(status));
    } else {
      std::fprintf(stderr, "startup_time: %s exited with status %d\n", argv[0], WEXITSTATUS(status));
    }
    std::exit(1);
  }
  return std::chrono::duration<double, std::micro>(elapsed).count();
}

}  // namespace

int main(int argc, char** argv) {
  long runs = 200;
  long warmup = 10;
  int i = 1;
  for (; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg == "--runs" && i + 1 < argc) {
      runs = parse_count(argv[0], argv[++i], 1);
    } else if (arg == "--warmup" && i + 1 < argc) {
      warmup = parse_count(argv[0], argv[++i], 0);
    } else {
      usage(argv[0]);
    }
  }
  if (i >= argc) usage(argv[0]);
  char* const* program = argv + i;

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);

  for (long r = 0; r < warmup; ++r) run_once(program, actions);
  std::vector<double> times;
  times.reserve(runs);
  for (long r = 0; r < runs; ++r) times.push_back(run_once(program, actions));
  posix_spawn_file_actions_destroy(&actions);

  // The median, not the mean: a noisy VM adds rare, large outliers.
  std::sort(times.begin(), times.end());
  std::size_t mid = times.size() / 2;
  double median = times.size() % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
  std::printf("%.1f\n", median);
  return 0;
}
