// Bad configuration fails before anything runs, with a message naming the value and what is
// accepted; when io_uring is refused (seccomp here) the engine falls back to epoll, saying so.
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <string>

#include "engine_fixture.hh"

namespace percore {
namespace {

std::string rejection_of(engine_config config) {
  try {
    engine rejected(config);
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "accepted";
}

TEST(config, ring_size_zero_is_rejected) {
  const std::string message = rejection_of({.ring_entries = 0});
  EXPECT_NE(message.find("ring_entries 0"), std::string::npos) << message;
  EXPECT_NE(message.find("power of two"), std::string::npos) << message;
}

TEST(config, ring_size_not_a_power_of_two_is_rejected) {
  const std::string message = rejection_of({.ring_entries = 100});
  EXPECT_NE(message.find("ring_entries 100"), std::string::npos) << message;
}

TEST(config, negative_time_slice_is_rejected) {
  const std::string message = rejection_of({.time_slice = std::chrono::microseconds(-5)});
  EXPECT_NE(message.find("time_slice -5us"), std::string::npos) << message;
  EXPECT_NE(message.find("1us to 1s"), std::string::npos) << message;
}

TEST(config, zero_blocking_threads_are_rejected) {
  const std::string message = rejection_of({.blocking_threads = 0});
  EXPECT_NE(message.find("blocking_threads 0"), std::string::npos) << message;
}

TEST(config, unknown_backend_name_in_the_environment_is_rejected) {
  ::setenv("PERCORE_BACKEND", "kqueue-on-linux", 1);
  const std::string message = rejection_of({});
  ::unsetenv("PERCORE_BACKEND");
  EXPECT_NE(message.find("kqueue-on-linux"), std::string::npos) << message;
  EXPECT_NE(message.find("io_uring, epoll"), std::string::npos) << message;
}

TEST(config, environment_selects_the_backend) {
  ::setenv("PERCORE_BACKEND", "epoll", 1);
  engine chosen;
  ::unsetenv("PERCORE_BACKEND");
  EXPECT_EQ(chosen.backend().kind(), io::backend_kind::epoll);
}

// Makes io_uring_setup fail with EPERM in this process, as Docker's default profile does.
void forbid_io_uring() {
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog program{static_cast<unsigned short>(std::size(filter)), filter};
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
    ::_exit(90);
  }
}

TEST(config, refused_io_uring_falls_back_to_epoll_and_says_so_once) {
  int output[2];
  ASSERT_EQ(::pipe(output), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::dup2(output[1], STDERR_FILENO);
    ::close(output[0]);
    forbid_io_uring();
    ::unsetenv("PERCORE_BACKEND");
    // Two engines: the fallback must be announced once per process, not once per engine.
    engine first;
    engine second;
    const int value = first.run([]() -> task<int> {
      co_await sleep_for(std::chrono::milliseconds(1));
      co_return 7;
    });
    const bool both_epoll = first.backend().kind() == io::backend_kind::epoll &&
                            second.backend().kind() == io::backend_kind::epoll;
    ::_exit(value == 7 && both_epoll ? 0 : 1);
  }
  ::close(output[1]);
  std::string said;
  char buffer[512];
  for (ssize_t got; (got = ::read(output[0], buffer, sizeof buffer)) > 0;) said.append(buffer, got);
  ::close(output[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << said;
#if PERCORE_HAVE_IO_URING
  const std::string notice = "falling back to epoll";
  const auto first_notice = said.find(notice);
  EXPECT_NE(first_notice, std::string::npos) << said;
  EXPECT_EQ(said.find(notice, first_notice + 1), std::string::npos) << said;
  EXPECT_NE(said.find("Operation not permitted"), std::string::npos) << said;
#endif
}

TEST(config, explicit_io_uring_that_is_refused_is_an_error) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    forbid_io_uring();
    try {
      engine refused({.backend = io::backend_kind::io_uring});
    } catch (const std::system_error&) {
      ::_exit(0);
    }
    ::_exit(1);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace percore
