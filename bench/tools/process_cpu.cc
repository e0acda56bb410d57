// process_cpu: user and system CPU seconds that processes (all their threads) spend over a
// window, from /proc/PID/stat, so that benchmark scripts can report CPU time per request.
//
// usage: process_cpu [--window SECONDS | --stdin] PID...
//   --window S  the window is the next S seconds
//   default     the window ends on SIGUSR1, SIGINT or SIGTERM
//   --stdin     ... or on a line (or end of file) on standard input
// Prints, once the window has ended:
//   pid 1234 user 0.310000 system 7.020000
//   total user 0.310000 system 7.020000 wall 10.001234
// "process_cpu: window started" goes to stderr once the first sample is taken.
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

struct cpu_ticks {
  unsigned long long user = 0;
  unsigned long long system = 0;
};

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "process_cpu: %s\n", message.c_str());
  std::exit(1);
}

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr,
               "process_cpu: %s (usage: process_cpu [--window SECONDS | --stdin] PID...)\n",
               message.c_str());
  std::exit(2);
}

// /proc/PID/stat of the process (not of one thread) sums the times of all its threads,
// including threads that have already exited. utime and stime are fields 14 and 15; the
// command name in field 2 may hold spaces and parentheses, so fields are counted after its
// last ')'.
std::optional<cpu_ticks> read_ticks(int pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!file || !std::getline(file, line)) return std::nullopt;
  const auto name_end = line.rfind(')');
  if (name_end == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(name_end + 1));
  std::string skipped;
  for (int field = 3; field < 14; ++field) fields >> skipped;
  cpu_ticks ticks;
  fields >> ticks.user >> ticks.system;
  if (!fields) return std::nullopt;
  return ticks;
}

std::vector<cpu_ticks> sample(const std::vector<int>& pids, const char* moment) {
  std::vector<cpu_ticks> samples;
  for (const int pid : pids) {
    const auto ticks = read_ticks(pid);
    if (!ticks) fail("cannot read /proc/" + std::to_string(pid) + "/stat " + moment);
    samples.push_back(*ticks);
  }
  return samples;
}

// Waits for SIGUSR1, SIGINT or SIGTERM (blocked by main and read from a signalfd), and with
// `watch_stdin` for a line or end of file on standard input.
void wait_for_end(int signals, bool watch_stdin) {
  pollfd watched[2] = {{signals, POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
  while (::poll(watched, watch_stdin ? 2 : 1, -1) < 0) {
    if (errno != EINTR) fail(std::string("poll: ") + std::strerror(errno));
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<double> window_seconds;
  bool watch_stdin = false;
  std::vector<int> pids;
  for (int index = 1; index < argc; ++index) {
    const std::string_view word = argv[index];
    if (word == "--window") {
      if (index + 1 >= argc) usage_error("--window needs a value");
      const std::string_view text = argv[++index];
      double seconds = 0;
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
      if (text.empty() || error != std::errc{} || end != text.data() + text.size() ||
          !(seconds > 0 && seconds <= 86400)) {
        usage_error("--window '" + std::string(text) +
                    "' is invalid (accepted: seconds, more than 0 and at most 86400)");
      }
      window_seconds = seconds;
    } else if (word == "--stdin") {
      watch_stdin = true;
    } else {
      int pid = 0;
      const auto [end, error] = std::from_chars(word.data(), word.data() + word.size(), pid);
      if (word.empty() || error != std::errc{} || end != word.data() + word.size() || pid <= 0) {
        usage_error("'" + std::string(word) + "' is not a PID or a flag");
      }
      pids.push_back(pid);
    }
  }
  if (pids.empty()) usage_error("no PID");
  if (window_seconds && watch_stdin) usage_error("--window and --stdin exclude each other");

  sigset_t ending;
  sigemptyset(&ending);
  sigaddset(&ending, SIGUSR1);
  sigaddset(&ending, SIGINT);
  sigaddset(&ending, SIGTERM);
  if (sigprocmask(SIG_BLOCK, &ending, nullptr) != 0) fail("cannot block signals");
  const int signals = ::signalfd(-1, &ending, SFD_CLOEXEC);
  if (signals < 0) fail(std::string("signalfd: ") + std::strerror(errno));

  const auto start_time = std::chrono::steady_clock::now();
  const std::vector<cpu_ticks> start = sample(pids, "at the start");
  std::fprintf(stderr, "process_cpu: window started\n");
  if (window_seconds) {
    std::this_thread::sleep_for(std::chrono::duration<double>(*window_seconds));
  } else {
    wait_for_end(signals, watch_stdin);
  }
  const std::vector<cpu_ticks> end = sample(pids, "at the end (did the process exit?)");
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count();

  const double ticks_per_second = static_cast<double>(::sysconf(_SC_CLK_TCK));
  cpu_ticks total;
  for (std::size_t index = 0; index < pids.size(); ++index) {
    const cpu_ticks spent{end[index].user - start[index].user,
                          end[index].system - start[index].system};
    total.user += spent.user;
    total.system += spent.system;
    std::printf("pid %d user %.6f system %.6f\n", pids[index],
                static_cast<double>(spent.user) / ticks_per_second,
                static_cast<double>(spent.system) / ticks_per_second);
  }
  std::printf("total user %.6f system %.6f wall %.6f\n",
              static_cast<double>(total.user) / ticks_per_second,
              static_cast<double>(total.system) / ticks_per_second, wall);
  ::close(signals);
  return 0;
}
