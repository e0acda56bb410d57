// connect_stream: a socket of the address's family, connected through the backend, under
// with_timeout when there is a deadline; on any failure the socket is closed here.
#include <percore/net/connect.hh>

#include <sys/socket.h>

#include <percore/engine/operations.hh>
#include <percore/engine/with_timeout.hh>

namespace percore::net::detail {
namespace {

// The child with_timeout cancels: it owns a copy of the address the kernel reads.
task<result<void>> connect_descriptor(int fd, socket_address address) {
  co_return co_await percore::connect(fd, address.native(), address.native_size());
}

}  // namespace

task<result<socket_handle>> connect_stream(socket_address address,
                                           std::optional<std::chrono::nanoseconds> timeout) {
  result<int> created = make_socket(address.family(), SOCK_STREAM);
  if (!created) co_return created.error();
  socket_handle socket(created.value());
  result<void> connected;
  if (timeout) {
    task<result<void>> bounded =
        with_timeout(*timeout, connect_descriptor(socket.native_handle(), address));
    connected = co_await std::move(bounded);
  } else {
    connected = co_await percore::connect(socket.native_handle(), address.native(),
                                          address.native_size());
  }
  if (!connected) co_return connected.error();
  co_return std::move(socket);
}

}  // namespace percore::net::detail
