// The part of every stream listener that does not depend on the stream type: socket, options,
// bind, listen, each failure returned as a value with the descriptor closed.
#include <percore/net/stream_listener.hh>

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>

namespace percore::net::detail {

result<socket_handle> listen_on(const socket_address& address, const listen_options& options) {
  result<int> created = make_socket(address.family(), SOCK_STREAM);
  if (!created) return created.error();
  socket_handle listening(created.value());
  if (address.is_ip()) {
    if (options.reuse_address) {
      if (auto set = listening.set_option(SOL_SOCKET, SO_REUSEADDR, 1); !set) return set.error();
    }
    if (options.reuse_port) {
      if (auto set = listening.set_option(SOL_SOCKET, SO_REUSEPORT, 1); !set) return set.error();
    }
  }
  if (::bind(listening.native_handle(), address.native(), address.native_size()) < 0 ||
      ::listen(listening.native_handle(), options.backlog) < 0) {
    return error_from_errno(errno);
  }
  return listening;
}

}  // namespace percore::net::detail
