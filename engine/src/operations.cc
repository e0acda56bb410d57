// The I/O operations: each fills an io::request; io_operation does the rest.
#include <percore/engine/operations.hh>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace percore {
namespace {

io::request make_request(io::opcode op, int fd) noexcept {
  io::request request;
  request.op = op;
  request.fd = fd;
  return request;
}

io::request buffer_request(io::opcode op, int fd, const void* buffer, std::size_t length,
                           std::uint64_t offset) noexcept {
  io::request request = make_request(op, fd);
  request.buffer = const_cast<void*>(buffer);
  request.length = static_cast<std::uint32_t>(length);
  request.offset = offset;
  return request;
}

bool nonblocking() { return current_backend().wants_nonblocking_fds(); }

}  // namespace

io_operation<void> nop() noexcept { return io_operation<void>(make_request(io::opcode::nop, -1)); }

io_operation<std::size_t> read(int fd, std::span<std::byte> buffer, std::uint64_t offset) noexcept {
  return io_operation<std::size_t>(
      buffer_request(io::opcode::read, fd, buffer.data(), buffer.size(), offset));
}

io_operation<std::size_t> write(int fd, std::span<const std::byte> buffer,
                                std::uint64_t offset) noexcept {
  return io_operation<std::size_t>(
      buffer_request(io::opcode::write, fd, buffer.data(), buffer.size(), offset));
}

io_operation<std::size_t> readv(int fd, std::span<const iovec> buffers,
                                std::uint64_t offset) noexcept {
  return io_operation<std::size_t>(
      buffer_request(io::opcode::readv, fd, buffers.data(), buffers.size(), offset));
}

io_operation<std::size_t> writev(int fd, std::span<const iovec> buffers,
                                 std::uint64_t offset) noexcept {
  return io_operation<std::size_t>(
      buffer_request(io::opcode::writev, fd, buffers.data(), buffers.size(), offset));
}

io_operation<unsigned> poll(int fd, unsigned events) noexcept {
  io::request request = make_request(io::opcode::poll, fd);
  request.flags = static_cast<int>(events);
  return io_operation<unsigned>(request);
}

timeout_operation::timeout_operation(std::chrono::nanoseconds duration) noexcept
    : duration_{duration.count() / 1'000'000'000, duration.count() % 1'000'000'000},
      operation_([this] {
        io::request request = make_request(io::opcode::timeout, -1);
        request.duration = &duration_;
        return request;
      }()) {}

timeout_operation timeout(std::chrono::nanoseconds duration) noexcept {
  return timeout_operation(duration);
}

io_operation<void> fsync(int fd, bool data_only) noexcept {
  io::request request = make_request(io::opcode::fsync, fd);
  request.flags = data_only ? io::fsync_data_only : 0;
  return io_operation<void>(request);
}

io_operation<int> openat(int directory_fd, const char* path, int flags, unsigned mode) noexcept {
  io::request request = make_request(io::opcode::openat, directory_fd);
  request.buffer = const_cast<char*>(path);
  request.flags = flags | O_CLOEXEC;
  request.mode = mode;
  return io_operation<int>(request);
}

io_operation<void> close(int fd) noexcept {
  return io_operation<void>(make_request(io::opcode::close, fd));
}

io_operation<int> accept(int fd, sockaddr* address, socklen_t* length) noexcept {
  io::request request = make_request(io::opcode::accept, fd);
  request.buffer = address;
  request.address_length = length;
  request.flags = SOCK_CLOEXEC;
  return io_operation<int>(request);
}

io_operation<void> connect(int fd, const sockaddr* address, socklen_t length) noexcept {
  return io_operation<void>(buffer_request(io::opcode::connect, fd, address, length, 0));
}

io_operation<std::size_t> recv(int fd, std::span<std::byte> buffer, int flags) noexcept {
  io::request request = buffer_request(io::opcode::recv, fd, buffer.data(), buffer.size(), 0);
  request.flags = flags;
  return io_operation<std::size_t>(request);
}

io_operation<std::size_t> send(int fd, std::span<const std::byte> buffer, int flags) noexcept {
  io::request request = buffer_request(io::opcode::send, fd, buffer.data(), buffer.size(), 0);
  request.flags = flags;
  return io_operation<std::size_t>(request);
}

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
