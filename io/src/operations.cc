// The operation table: for every opcode, its io_uring preparation, its non-blocking attempt
// for readiness backends, and its blocking form, kept side by side so they cannot drift apart.
#include "operations.hh"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <optional>
#include <span>

#include "readiness_buffers.hh"
#if PERCORE_HAVE_IO_URING
#include "uring_buffers.hh"
#endif

namespace percore::io {

const char* to_string(opcode op) noexcept {
  switch (op) {
    case opcode::nop: return "nop";
    case opcode::read: return "read";
    case opcode::write: return "write";
    case opcode::readv: return "readv";
    case opcode::writev: return "writev";
    case opcode::poll: return "poll";
    case opcode::timeout: return "timeout";
    case opcode::fsync: return "fsync";
    case opcode::openat: return "openat";
    case opcode::close: return "close";
    case opcode::accept: return "accept";
    case opcode::connect: return "connect";
    case opcode::recv: return "recv";
    case opcode::send: return "send";
    case opcode::recvmsg: return "recvmsg";
    case opcode::sendmsg: return "sendmsg";
    case opcode::recv_provided: return "recv_provided";
    case opcode::send_zero_copy: return "send_zero_copy";
    case opcode::sendmsg_zero_copy: return "sendmsg_zero_copy";
  }
  return "unknown";
}

namespace detail {
namespace {

// Syscall return value to the kernel's CQE convention (count or -errno).
int outcome_of(long value) noexcept { return value < 0 ? -errno : static_cast<int>(value); }

// Positioned read/write: pread for an offset, read for "current position" (pipes, sockets).
long do_read(request& r) {
  return r.offset == no_offset ? ::read(r.fd, r.buffer, r.length)
                               : ::pread(r.fd, r.buffer, r.length, static_cast<off_t>(r.offset));
}
long do_write(request& r) {
  return r.offset == no_offset ? ::write(r.fd, r.buffer, r.length)
                               : ::pwrite(r.fd, r.buffer, r.length, static_cast<off_t>(r.offset));
}
long do_readv(request& r) {
  auto* vectors = static_cast<const iovec*>(r.buffer);
  return r.offset == no_offset ? ::readv(r.fd, vectors, static_cast<int>(r.length))
                               : ::preadv(r.fd, vectors, static_cast<int>(r.length),
                                          static_cast<off_t>(r.offset));
}
long do_writev(request& r) {
  auto* vectors = static_cast<const iovec*>(r.buffer);
  return r.offset == no_offset ? ::writev(r.fd, vectors, static_cast<int>(r.length))
                               : ::pwritev(r.fd, vectors, static_cast<int>(r.length),
                                           static_cast<off_t>(r.offset));
}

// Result of a non-blocking attempt: finished, or wait for the given direction.
readiness_outcome attempted(request& r, long value, readiness_outcome on_would_block) {
  if (value < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return on_would_block;
  r.result = outcome_of(value);
  return readiness_outcome::done;
}

}  // namespace

#if PERCORE_HAVE_IO_URING
void prepare_uring(request& r, io_uring_sqe* sqe) noexcept {
  // io_uring takes -1 as "current position"; no_offset is all ones, the same bits.
  const auto offset = static_cast<__u64>(r.offset);
  switch (r.op) {
    case opcode::nop: io_uring_prep_nop(sqe); break;
    case opcode::read: io_uring_prep_read(sqe, r.fd, r.buffer, r.length, offset); break;
    case opcode::write: io_uring_prep_write(sqe, r.fd, r.buffer, r.length, offset); break;
    case opcode::readv:
      io_uring_prep_readv(sqe, r.fd, static_cast<const iovec*>(r.buffer), r.length, offset);
      break;
    case opcode::writev:
      io_uring_prep_writev(sqe, r.fd, static_cast<const iovec*>(r.buffer), r.length, offset);
      break;
    case opcode::poll:
      io_uring_prep_poll_add(sqe, r.fd, static_cast<unsigned>(r.flags));
      break;
    case opcode::timeout: io_uring_prep_timeout(sqe, r.duration, 0, 0); break;
    case opcode::fsync: io_uring_prep_fsync(sqe, r.fd, static_cast<unsigned>(r.flags)); break;
    case opcode::openat:
      io_uring_prep_openat(sqe, r.fd, static_cast<const char*>(r.buffer), r.flags, r.mode);
      break;
    case opcode::close: io_uring_prep_close(sqe, r.fd); break;
    case opcode::accept:
      if (r.multishot) {
        io_uring_prep_multishot_accept(sqe, r.fd, static_cast<sockaddr*>(r.buffer),
                                       r.address_length, r.flags);
      } else {
        io_uring_prep_accept(sqe, r.fd, static_cast<sockaddr*>(r.buffer), r.address_length,
                             r.flags);
      }
      break;
    case opcode::connect:
      io_uring_prep_connect(sqe, r.fd, static_cast<const sockaddr*>(r.buffer), r.length);
      break;
    case opcode::recv: io_uring_prep_recv(sqe, r.fd, r.buffer, r.length, r.flags); break;
    case opcode::send:
      io_uring_prep_send(sqe, r.fd, r.buffer, r.length, r.flags | MSG_NOSIGNAL);
      break;
    case opcode::recvmsg:
      io_uring_prep_recvmsg(sqe, r.fd, static_cast<msghdr*>(r.buffer),
                            static_cast<unsigned>(r.flags));
      break;
    case opcode::sendmsg:
      io_uring_prep_sendmsg(sqe, r.fd, static_cast<const msghdr*>(r.buffer),
                            static_cast<unsigned>(r.flags | MSG_NOSIGNAL));
      break;
    case opcode::recv_provided:
      // Length 0: as much as the picked buffer holds.
      if (r.multishot) {
        io_uring_prep_recv_multishot(sqe, r.fd, nullptr, 0, r.flags);
      } else {
        io_uring_prep_recv(sqe, r.fd, nullptr, 0, r.flags);
      }
      sqe->flags |= IOSQE_BUFFER_SELECT;
      sqe->buf_group = static_cast<detail::uring_buffers*>(r.buffers)->group();
      break;
    case opcode::send_zero_copy:
      io_uring_prep_send_zc(sqe, r.fd, r.buffer, r.length, r.flags | MSG_NOSIGNAL, 0);
      break;
    case opcode::sendmsg_zero_copy:
      io_uring_prep_sendmsg_zc(sqe, r.fd, static_cast<const msghdr*>(r.buffer),
                               static_cast<unsigned>(r.flags | MSG_NOSIGNAL));
      break;
  }
}
#endif

readiness_outcome attempt_readiness(request& r, bool regular_file) noexcept {
  using enum readiness_outcome;
  switch (r.op) {
    case opcode::nop: r.result = 0; return done;
    case opcode::read:
      return regular_file ? run_blocking : attempted(r, do_read(r), wait_readable);
    case opcode::write:
      return regular_file ? run_blocking : attempted(r, do_write(r), wait_writable);
    case opcode::readv:
      return regular_file ? run_blocking : attempted(r, do_readv(r), wait_readable);
    case opcode::writev:
      return regular_file ? run_blocking : attempted(r, do_writev(r), wait_writable);
    case opcode::poll: {
      pollfd descriptor{r.fd, static_cast<short>(r.flags), 0};
      const int ready = ::poll(&descriptor, 1, 0);
      if (ready != 0) {
        r.result = ready < 0 ? -errno : descriptor.revents;
        return done;
      }
      return (r.flags & POLLOUT) && !(r.flags & POLLIN) ? wait_writable : wait_readable;
    }
    case opcode::timeout: return backend_timer;
    case opcode::fsync:
    case opcode::openat: return run_blocking;
    case opcode::close: r.result = outcome_of(::close(r.fd)); return done;
    case opcode::accept:
      return attempted(r,
                       ::accept4(r.fd, static_cast<sockaddr*>(r.buffer), r.address_length,
                                 r.flags | SOCK_NONBLOCK),
                       wait_readable);
    case opcode::connect: {
      if (r.readiness_started) {
        // The socket became writable: the connection attempt is over, SO_ERROR says how.
        int error = 0;
        socklen_t size = sizeof error;
        if (::getsockopt(r.fd, SOL_SOCKET, SO_ERROR, &error, &size) < 0) error = errno;
        r.result = -error;
        return done;
      }
      r.readiness_started = true;
      const int value = ::connect(r.fd, static_cast<const sockaddr*>(r.buffer), r.length);
      if (value < 0 && errno == EINPROGRESS) return wait_writable;
      r.result = outcome_of(value);
      return done;
    }
    case opcode::recv:
      return attempted(r, ::recv(r.fd, r.buffer, r.length, r.flags | MSG_DONTWAIT),
                       wait_readable);
    // A readiness backend has no way to lend a buffer to the kernel: zero-copy sends copy.
    case opcode::send:
    case opcode::send_zero_copy:
      return attempted(r,
                       ::send(r.fd, r.buffer, r.length, r.flags | MSG_DONTWAIT | MSG_NOSIGNAL),
                       wait_writable);
    case opcode::recvmsg:
      return attempted(r, ::recvmsg(r.fd, static_cast<msghdr*>(r.buffer), r.flags | MSG_DONTWAIT),
                       wait_readable);
    case opcode::sendmsg:
    case opcode::sendmsg_zero_copy:
      return attempted(r,
                       ::sendmsg(r.fd, static_cast<const msghdr*>(r.buffer),
                                 r.flags | MSG_DONTWAIT | MSG_NOSIGNAL),
                       wait_writable);
    case opcode::recv_provided: {
      auto& group = *static_cast<readiness_buffers*>(r.buffers);
      const std::optional<std::uint16_t> id = group.take();
      if (!id) {
        // Every buffer is held: what io_uring reports when the ring is empty.
        r.result = -ENOBUFS;
        return done;
      }
      const std::span<std::byte> buffer = group.buffer(*id);
      const long received = ::recv(r.fd, buffer.data(), buffer.size(), r.flags | MSG_DONTWAIT);
      if (received <= 0) {
        group.put_back(*id);
      } else {
        group.note_handed_out();
        r.buffer_id = *id;
      }
      return attempted(r, received, wait_readable);
    }
  }
  r.result = -EINVAL;
  return done;
}

void perform_blocking(request& r) noexcept {
  switch (r.op) {
    case opcode::read: r.result = outcome_of(do_read(r)); return;
    case opcode::write: r.result = outcome_of(do_write(r)); return;
    case opcode::readv: r.result = outcome_of(do_readv(r)); return;
    case opcode::writev: r.result = outcome_of(do_writev(r)); return;
    case opcode::fsync:
      r.result = outcome_of((r.flags & fsync_data_only) ? ::fdatasync(r.fd)
                                                                   : ::fsync(r.fd));
      return;
    case opcode::openat:
      r.result = outcome_of(::openat(r.fd, static_cast<const char*>(r.buffer), r.flags, r.mode));
      return;
    default:
      // Everything else is never handed to the blocking pool.
      r.result = -EINVAL;
      return;
  }
}

}  // namespace detail
}  // namespace percore::io
