// datagram_socket: the message headers of send_to and recv_from, and binding.
#include <percore/net/datagram_socket.hh>

#include <cerrno>

namespace percore::net {

send_to_operation::send_to_operation(int fd, std::span<const std::byte> data,
                                     const socket_address& destination) noexcept
    : destination_(destination),
      data_{const_cast<std::byte*>(data.data()), data.size()},
      message_{},
      operation_(percore::sendmsg(fd, &message_)) {
  message_.msg_name = const_cast<sockaddr*>(destination_.native());
  message_.msg_namelen = destination_.native_size();
  message_.msg_iov = &data_;
  message_.msg_iovlen = 1;
}

receive_from_operation::receive_from_operation(int fd, std::span<std::byte> buffer) noexcept
    : sender_{},
      buffer_{buffer.data(), buffer.size()},
      message_{},
      operation_(percore::recvmsg(fd, &message_)) {
  message_.msg_name = &sender_;
  message_.msg_namelen = sizeof sender_;
  message_.msg_iov = &buffer_;
  message_.msg_iovlen = 1;
}

result<received_datagram> receive_from_operation::await_resume() const {
  const result<std::size_t> received = operation_.await_resume();
  if (!received) return received.error();
  received_datagram datagram;
  datagram.size = received.value();
  datagram.truncated = (message_.msg_flags & MSG_TRUNC) != 0;
  // An unbound Unix sender has no name at all (length 0): the empty address says so.
  if (message_.msg_namelen > 0) {
    result<socket_address> sender = socket_address::from_native(
        reinterpret_cast<const sockaddr*>(&sender_), message_.msg_namelen);
    if (!sender) return sender.error();
    datagram.sender = sender.value();
  }
  return datagram;
}

result<socket_handle> datagram_socket::open_bound(const socket_address& address) {
  result<int> created = make_socket(address.family(), SOCK_DGRAM);
  if (!created) return created.error();
  socket_handle bound(created.value());
  if (::bind(bound.native_handle(), address.native(), address.native_size()) < 0) {
    return error_from_errno(errno);
  }
  return bound;
}

}  // namespace percore::net
