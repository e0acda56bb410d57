// stream_listener<Stream>: a listening stream socket whose accept() gives connected Stream
// objects (tcp_stream, unix_stream); binding, options and listen are shared by every family.
#pragma once

#include <coroutine>
#include <memory>
#include <system_error>
#include <utility>

#include <percore/engine/operations.hh>
#include <percore/io/result.hh>
#include <percore/net/multishot_acceptor.hh>
#include <percore/net/release_owner.hh>
#include <percore/net/socket_address.hh>
#include <percore/net/socket_handle.hh>

namespace percore::net {

struct listen_options {
  // Connections the kernel queues, fully established, until accept() takes them (capped by
  // net.core.somaxconn).
  int backlog = 1024;
  // SO_REUSEADDR (IP only): bind again while connections of an earlier listener linger in
  // TIME_WAIT.
  bool reuse_address = true;
  // SO_REUSEPORT (IP only): each shard binds its own listener on the same port and the kernel
  // spreads incoming connections over them.
  bool reuse_port = true;
  // One multishot accept request (IORING_ACCEPT_MULTISHOT; epoll accepts everything queued on
  // each readiness event) instead of one request per accept(). Connections are then accepted
  // as they arrive and held by the listener until accept() takes them.
  bool multishot_accept = false;
};

namespace detail {
// Creates a stream socket for the address's family, applies `options`, binds and listens.
// A port in use is EADDRINUSE, as a value.
result<socket_handle> listen_on(const socket_address& address, const listen_options& options);
}  // namespace detail

// accept() as an awaitable: the accepted descriptor comes back as a Stream. With a multishot
// acceptor it takes a connection already accepted, or waits for the next.
template <class Stream>
class [[nodiscard]] accept_operation {
 public:
  accept_operation(int listening_fd, detail::multishot_acceptor* acceptor) noexcept
      : acceptor_(acceptor), operation_(percore::accept(listening_fd)) {}
  accept_operation(const accept_operation&) = delete;

  bool await_ready() const noexcept { return acceptor_ != nullptr && acceptor_->has_queued(); }
  bool await_suspend(std::coroutine_handle<> self) {
    if (acceptor_ == nullptr) return operation_.await_suspend(self);
    return acceptor_->park(waiter_, self);
  }
  [[nodiscard]] result<Stream> await_resume() {
    int outcome = 0;
    if (acceptor_ == nullptr) {
      const result<int> accepted = operation_.await_resume();
      if (!accepted) return accepted.error();
      outcome = accepted.value();
    } else {
      outcome = waiter_.resolved ? waiter_.outcome : acceptor_->take();
      if (outcome < 0) return error_from_errno(-outcome);
    }
    return Stream(outcome);
  }

 private:
  detail::multishot_acceptor* acceptor_;
  detail::accept_waiter waiter_;
  io_operation<int> operation_;
};

template <class Stream>
class stream_listener : public socket_handle {
 public:
  stream_listener() noexcept = default;
  stream_listener(stream_listener&&) noexcept = default;
  // Ends this listener's multishot accept before its descriptor closes.
  stream_listener& operator=(stream_listener&& other) noexcept {
    acceptor_ = std::move(other.acceptor_);
    socket_handle::operator=(std::move(other));
    return *this;
  }
  ~stream_listener() = default;

  // An address of a family Stream does not speak is address_family_not_supported.
  static result<stream_listener> bind(const socket_address& address,
                                      const listen_options& options = {}) {
    if (!Stream::supports_family(address.family())) {
      return std::errc::address_family_not_supported;
    }
    result<socket_handle> listening = detail::listen_on(address, options);
    if (!listening) return listening.error();
    return stream_listener(std::move(listening.value()), options.multishot_accept);
  }

  // The next connection, with its peer at stream.peer_address().
  accept_operation<Stream> accept() noexcept {
    return accept_operation<Stream>(native_handle(), acceptor_.get());
  }

  // Ends the multishot accept, if any (closing the connections it holds), then closes.
  io_operation<void> close() noexcept {
    acceptor_.reset();
    return socket_handle::close();
  }

 private:
  stream_listener(socket_handle listening, bool multishot)
      : socket_handle(std::move(listening)),
        acceptor_(multishot ? new detail::multishot_acceptor(native_handle()) : nullptr) {}

  // A member is destroyed before the base: the accept is cancelled before the descriptor closes.
  std::unique_ptr<detail::multishot_acceptor, detail::release_owner> acceptor_;
};

}  // namespace percore::net
