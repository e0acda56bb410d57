// Creating file descriptors the way the current backend wants them.
#include <percore/engine/operations.hh>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace percore {
namespace {

bool nonblocking() { return current_backend().wants_nonblocking_fds(); }

}  // namespace

result<std::array<int, 2>> make_pipe() {
  std::array<int, 2> ends{};
  if (::pipe2(ends.data(), O_CLOEXEC | (nonblocking() ? O_NONBLOCK : 0)) < 0) {
    return error_from_errno(errno);
  }
  return ends;
}

result<int> make_socket(int domain, int type, int protocol) {
  const int fd =
      ::socket(domain, type | SOCK_CLOEXEC | (nonblocking() ? SOCK_NONBLOCK : 0), protocol);
  if (fd < 0) return error_from_errno(errno);
  return fd;
}

}  // namespace percore
