// datagram_socket: a bound datagram socket (UDP or Unix) that sends to and receives from any
// address, one message per operation; the base of udp_socket and unix_datagram_socket.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <coroutine>
#include <cstddef>
#include <span>

#include <percore/engine/operations.hh>
#include <percore/io/result.hh>
#include <percore/net/socket_address.hh>
#include <percore/net/socket_handle.hh>

namespace percore::net {

struct received_datagram {
  std::size_t size = 0;      // bytes stored in the buffer
  socket_address sender;     // empty for an unbound Unix sender
  bool truncated = false;    // the datagram was longer than the buffer; the rest is lost
};

// sendmsg to one address; the message header and a copy of the address live here until the
// kernel is done with them.
class [[nodiscard]] send_to_operation {
 public:
  send_to_operation(int fd, std::span<const std::byte> data,
                    const socket_address& destination) noexcept;
  send_to_operation(const send_to_operation&) = delete;

  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> self) { return operation_.await_suspend(self); }
  [[nodiscard]] result<std::size_t> await_resume() const { return operation_.await_resume(); }

 private:
  socket_address destination_;
  iovec data_;
  msghdr message_;
  io_operation<std::size_t> operation_;
};

// recvmsg of one datagram, with room here for the sender's address.
class [[nodiscard]] receive_from_operation {
 public:
  receive_from_operation(int fd, std::span<std::byte> buffer) noexcept;
  receive_from_operation(const receive_from_operation&) = delete;

  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> self) { return operation_.await_suspend(self); }
  [[nodiscard]] result<received_datagram> await_resume() const;

 private:
  sockaddr_storage sender_;
  iovec buffer_;
  msghdr message_;
  io_operation<std::size_t> operation_;
};

class datagram_socket : public socket_handle {
 public:
  using socket_handle::socket_handle;

  // The whole datagram or an error (EMSGSIZE when it is too large for one datagram).
  send_to_operation send_to(std::span<const std::byte> data,
                            const socket_address& destination) noexcept {
    return send_to_operation(native_handle(), data, destination);
  }
  // The next datagram, cut to the buffer's size (see received_datagram::truncated).
  receive_from_operation recv_from(std::span<std::byte> buffer) noexcept {
    return receive_from_operation(native_handle(), buffer);
  }

 protected:
  // A datagram socket of the address's family, bound to it.
  static result<socket_handle> open_bound(const socket_address& address);
};

}  // namespace percore::net
