// socket_handle: a socket descriptor owned by one object, the base of every socket type: moved,
// never copied; closed by an awaited close(), or by the destructor if still open.
#pragma once

#include <utility>

#include <percore/engine/operations.hh>
#include <percore/io/result.hh>
#include <percore/net/socket_address.hh>

namespace percore::net {

class socket_handle {
 public:
  socket_handle() noexcept = default;
  // Adopts `fd`, which should be in the mode the current backend wants (make_socket, accept).
  explicit socket_handle(int fd) noexcept : fd_(fd) {}
  socket_handle(socket_handle&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  socket_handle& operator=(socket_handle&& other) noexcept {
    if (this != &other) {
      close_if_open();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  // A destructor cannot await: it closes with a plain system call (see close_now).
  ~socket_handle() { close_if_open(); }

  bool is_open() const noexcept { return fd_ >= 0; }
  int native_handle() const noexcept { return fd_; }
  // Gives the descriptor up: the caller closes it.
  int release() noexcept { return std::exchange(fd_, -1); }

  // Closes through the backend, batched with the shard's other I/O. The handle is empty from
  // this call on, whatever the outcome. Must not be called while an operation on the socket is
  // in flight.
  io_operation<void> close() noexcept { return percore::close(std::exchange(fd_, -1)); }

  // The address the socket is bound to (getsockname): the port the kernel picked for port 0.
  result<socket_address> local_address() const;

  // setsockopt/getsockopt for options whose value is an int (SO_RCVBUF, TCP_NODELAY, ...).
  result<void> set_option(int level, int name, int value) noexcept;
  result<int> get_option(int level, int name) const noexcept;

 private:
  void close_if_open() noexcept {
    if (fd_ >= 0) close_now(std::exchange(fd_, -1));
  }

  int fd_ = -1;
};

}  // namespace percore::net
