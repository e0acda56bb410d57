// stream_socket: a connected stream socket (TCP or Unix): partial read/write/writev awaitables
// shaped like the system calls, the complete forms (read_exact, write_all), shutdown and close.
#pragma once

#include <limits.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <new>
#include <span>
#include <type_traits>

#include <percore/engine/operations.hh>
#include <percore/engine/task.hh>
#include <percore/io/result.hh>
#include <percore/net/multishot_receiver.hh>
#include <percore/net/receive_buffers.hh>
#include <percore/net/release_owner.hh>
#include <percore/net/send_all_operation.hh>
#include <percore/net/socket_address.hh>
#include <percore/net/socket_handle.hh>
#include <percore/net/stream_error.hh>

namespace percore::net {

enum class shutdown_how { read = SHUT_RD, write = SHUT_WR, both = SHUT_RDWR };

// writev for sockets: one sendmsg over the caller's iovec array (never raising SIGPIPE), whose
// message header lives here until the kernel is done with it; zero-copy when asked.
class [[nodiscard]] send_vector_operation {
 public:
  send_vector_operation(int fd, std::span<const iovec> buffers, bool zero_copy) noexcept
      : message_{},
        operation_(zero_copy ? percore::sendmsg_zero_copy(fd, &message_)
                             : percore::sendmsg(fd, &message_)) {
    message_.msg_iov = const_cast<iovec*>(buffers.data());
    // More than IOV_MAX buffers is EMSGSIZE: send the first IOV_MAX, as a short write.
    message_.msg_iovlen = std::min<std::size_t>(buffers.size(), IOV_MAX);
  }
  send_vector_operation(const send_vector_operation&) = delete;

  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> self) { return operation_.await_suspend(self); }
  [[nodiscard]] result<std::size_t> await_resume() const { return operation_.await_resume(); }

 private:
  msghdr message_;
  io_operation<std::size_t> operation_;
};

// read() as an awaitable: one recv, or, with receive buffers, the bytes the stream's multishot
// receive already holds (at once) or the next that arrive.
class [[nodiscard]] stream_read_operation {
 public:
  stream_read_operation(int fd, std::span<std::byte> buffer,
                        detail::multishot_receiver* receiver) noexcept
      : receiver_(receiver) {
    if (receiver_ == nullptr) {
      ::new (static_cast<void*>(&operation_)) io_operation<std::size_t>(percore::recv(fd, buffer));
    } else {
      ::new (static_cast<void*>(&waiter_)) detail::read_waiter();
      waiter_.buffer = buffer;
    }
  }
  stream_read_operation(const stream_read_operation&) = delete;

  bool await_ready() const noexcept { return receiver_ != nullptr && receiver_->readable(); }
  bool await_suspend(std::coroutine_handle<> self) {
    if (receiver_ == nullptr) return operation_.await_suspend(self);
    return receiver_->park(waiter_, self);
  }
  [[nodiscard]] result<std::size_t> await_resume() {
    if (receiver_ == nullptr) return operation_.await_resume();
    const std::int32_t outcome =
        waiter_.resolved ? waiter_.outcome : receiver_->take(waiter_.buffer);
    return percore::detail::convert_result<std::size_t>(outcome);
  }

 private:
  detail::multishot_receiver* receiver_;
  // One or the other, as receiver_ says: every read of a connection's loop holds this awaiter in
  // the task's frame, and the frame's size is what each completion brings into the cache.
  union {
    detail::read_waiter waiter_;
    io_operation<std::size_t> operation_;
  };
  // Neither needs its destructor run, so the union needs none that asks which is there.
  static_assert(std::is_trivially_destructible_v<detail::read_waiter> &&
                std::is_trivially_destructible_v<io_operation<std::size_t>>);
};

class stream_socket : public socket_handle {
 public:
  using socket_handle::socket_handle;
  stream_socket() noexcept = default;
  stream_socket(stream_socket&&) noexcept = default;
  // Ends this stream's multishot receive before its descriptor closes.
  stream_socket& operator=(stream_socket&& other) noexcept {
    receiver_ = std::move(other.receiver_);
    zero_copy_threshold_ = other.zero_copy_threshold_;
    socket_handle::operator=(std::move(other));
    return *this;
  }
  ~stream_socket() = default;

  // The bytes that were there (at least one), 0 at end of stream, or an error.
  stream_read_operation read(std::span<std::byte> buffer) noexcept {
    return stream_read_operation(native_handle(), buffer, receiver_.get());
  }

  // One send, possibly short. A peer that is gone is ECONNRESET or EPIPE, never SIGPIPE.
  io_operation<std::size_t> write(std::span<const std::byte> buffer) noexcept {
    if (sends_zero_copy(buffer.size())) return percore::send_zero_copy(native_handle(), buffer);
    return percore::send(native_handle(), buffer);
  }
  // One sendmsg over several buffers, possibly short. The iovec array and the buffers must stay
  // valid until the co_await returns.
  send_vector_operation writev(std::span<const iovec> buffers) noexcept {
    return send_vector_operation(native_handle(), buffers, sends_zero_copy(buffers));
  }

  // From now on the stream receives through one multishot request into the shard's `buffers`
  // (io_uring: IORING_RECV_MULTISHOT over a provided buffer ring; epoll receives into them on
  // readiness): no recv to submit per read, and no buffer held while the peer is silent. Reads
  // copy out of the held buffers; when every buffer of the group is held, a read receives
  // directly into its own buffer. Call it with no read in flight.
  void use_receive_buffers(receive_buffers buffers) {
    receiver_.reset(new detail::multishot_receiver(native_handle(), buffers.group()));
  }

  // Ends the multishot receive, if any, then closes (see socket_handle::close).
  io_operation<void> close() noexcept {
    receiver_.reset();
    return socket_handle::close();
  }

  // The complete forms: they loop over short transfers until everything is done. The socket
  // and the buffers must outlive the returned task (await it at once).
  // End of stream before `buffer` is full: stream_errc::end_of_stream (the bytes read are kept).
  task<result<void>> read_exact(std::span<std::byte> buffer);
  // One awaiter, no coroutine frame: the next send starts from the previous one's completion.
  send_all_operation write_all(std::span<const std::byte> buffer) noexcept {
    if (sends_zero_copy(buffer.size())) [[unlikely]] return write_all_lent(buffer);
    return send_all_operation(native_handle(), buffer);
  }
  task<result<void>> writev_all(std::span<const iovec> buffers);

  // Half-close: after shutdown(write) the peer reads end of stream, and this side can still
  // read what the peer sends. Never blocks.
  result<void> shutdown(shutdown_how how) noexcept;

  // The other end's address (getpeername); an unnamed Unix peer gives an empty Unix address.
  result<socket_address> peer_address() const;

 protected:
  // Writes of at least `bytes` (write, writev, write_all, writev_all; 0, the default, is never)
  // lend the caller's buffers to the kernel instead of copying them (io_uring SEND_ZC and
  // SENDMSG_ZC), and return once the kernel has given them back: on TCP, once the peer has
  // acknowledged the bytes. write_all and writev_all send the next part as soon as the kernel
  // has taken the previous one. Where zero copy is refused (epoll, a kernel before 6.0) writes
  // copy as before. Offered by the stream types whose kernel sockets can do it (tcp_stream).
  void set_zero_copy_threshold(std::size_t bytes) noexcept { zero_copy_threshold_ = bytes; }
  std::size_t zero_copy_threshold() const noexcept { return zero_copy_threshold_; }

 private:
  // write_all's zero-copy form, out of line: a coroutine that waits for the kernel's notices.
  send_all_operation write_all_lent(std::span<const std::byte> buffer);
  bool sends_zero_copy(std::size_t bytes) const noexcept {
    return zero_copy_threshold_ != 0 && bytes >= zero_copy_threshold_;
  }
  bool sends_zero_copy(std::span<const iovec> buffers) const noexcept {
    if (zero_copy_threshold_ == 0) return false;
    std::size_t total = 0;
    for (const iovec& buffer : buffers) total += buffer.iov_len;
    return total >= zero_copy_threshold_;
  }

  // A member is destroyed before the base: the receive is cancelled before the descriptor closes.
  std::unique_ptr<detail::multishot_receiver, detail::release_owner> receiver_;
  std::size_t zero_copy_threshold_ = 0;
};

}  // namespace percore::net
