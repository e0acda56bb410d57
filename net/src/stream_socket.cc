// stream_socket: the complete transfers built on the partial ones (zero-copy ones pipelined by a
// zero_copy_sender), and the plain system calls (shutdown, getpeername) that never block.
#include <percore/net/stream_socket.hh>

#include <cerrno>

#include <percore/net/stream_error.hh>

#include "zero_copy_sender.hh"

namespace percore::net {
namespace {

task<result<void>> write_all_zero_copy(int fd, std::span<const std::byte> buffer) {
  detail::zero_copy_sender sender(fd);
  std::error_code failure;
  while (!buffer.empty()) {
    const result<std::size_t> sent = co_await sender.send(buffer);
    if (!sent) {
      failure = sent.error();
      break;
    }
    buffer = buffer.subspan(sent.value());
  }
  // On every path: the frame, and the caller's buffer, must outlive what the kernel holds.
  const result<void> released = co_await sender.released();
  if (failure) co_return failure;
  co_return released;
}

task<result<void>> writev_all_zero_copy(int fd, std::span<const iovec> buffers) {
  detail::zero_copy_sender sender(fd);
  std::error_code failure;
  while (!buffers.empty() && !failure) {
    const result<std::size_t> sent = co_await sender.send(buffers);
    if (!sent) {
      failure = sent.error();
      break;
    }
    std::size_t written = sent.value();
    while (!buffers.empty() && written >= buffers.front().iov_len) {
      written -= buffers.front().iov_len;
      buffers = buffers.subspan(1);
    }
    if (written == 0) continue;
    // Stopped inside this buffer: its rest goes alone, as in writev_all.
    const iovec& partial = buffers.front();
    std::span<const std::byte> rest(static_cast<const std::byte*>(partial.iov_base) + written,
                                    partial.iov_len - written);
    buffers = buffers.subspan(1);
    while (!rest.empty()) {
      const result<std::size_t> more = co_await sender.send(rest);
      if (!more) {
        failure = more.error();
        break;
      }
      rest = rest.subspan(more.value());
    }
  }
  const result<void> released = co_await sender.released();
  if (failure) co_return failure;
  co_return released;
}

}  // namespace

task<result<void>> stream_socket::read_exact(std::span<std::byte> buffer) {
  while (!buffer.empty()) {
    const result<std::size_t> got = co_await read(buffer);
    if (!got) co_return got.error();
    if (got.value() == 0) co_return make_error_code(stream_errc::end_of_stream);
    buffer = buffer.subspan(got.value());
  }
  co_return result<void>{};
}

send_all_operation stream_socket::write_all_lent(std::span<const std::byte> buffer) {
  return send_all_operation(write_all_zero_copy(native_handle(), buffer));
}

task<result<void>> stream_socket::writev_all(std::span<const iovec> buffers) {
  if (sends_zero_copy(buffers)) {
    task<result<void>> lent = writev_all_zero_copy(native_handle(), buffers);
    co_return co_await std::move(lent);
  }
  while (!buffers.empty()) {
    const result<std::size_t> sent = co_await writev(buffers);
    if (!sent) co_return sent.error();
    std::size_t written = sent.value();
    while (!buffers.empty() && written >= buffers.front().iov_len) {
      written -= buffers.front().iov_len;
      buffers = buffers.subspan(1);
    }
    if (written > 0) {
      // The write stopped inside this buffer: finish it alone rather than copy and adjust the
      // caller's iovec array, then carry on with the whole buffers after it.
      const iovec& partial = buffers.front();
      const std::span<const std::byte> rest(static_cast<const std::byte*>(partial.iov_base) + written,
                                            partial.iov_len - written);
      const result<void> finished = co_await write_all(rest);
      if (!finished) co_return finished;
      buffers = buffers.subspan(1);
    }
  }
  co_return result<void>{};
}

result<void> stream_socket::shutdown(shutdown_how how) noexcept {
  if (::shutdown(native_handle(), static_cast<int>(how)) < 0) return error_from_errno(errno);
  return {};
}

result<socket_address> stream_socket::peer_address() const {
  sockaddr_storage native{};
  socklen_t size = sizeof native;
  if (::getpeername(native_handle(), reinterpret_cast<sockaddr*>(&native), &size) < 0) {
    return error_from_errno(errno);
  }
  return socket_address::from_native(reinterpret_cast<const sockaddr*>(&native), size);
}

}  // namespace percore::net
