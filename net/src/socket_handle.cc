// socket_handle: the address and option calls every socket shares; plain system calls, which
// never block.
#include <percore/net/socket_handle.hh>

#include <sys/socket.h>

#include <cerrno>

namespace percore::net {

result<socket_address> socket_handle::local_address() const {
  sockaddr_storage native{};
  socklen_t size = sizeof native;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&native), &size) < 0) {
    return error_from_errno(errno);
  }
  return socket_address::from_native(reinterpret_cast<const sockaddr*>(&native), size);
}

result<void> socket_handle::set_option(int level, int name, int value) noexcept {
  if (::setsockopt(fd_, level, name, &value, sizeof value) < 0) return error_from_errno(errno);
  return {};
}

result<int> socket_handle::get_option(int level, int name) const noexcept {
  int value = 0;
  socklen_t size = sizeof value;
  if (::getsockopt(fd_, level, name, &value, &size) < 0) return error_from_errno(errno);
  return value;
}

}  // namespace percore::net
