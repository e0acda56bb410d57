// output_stream: buffered, write-behind writing to a byte sink (a socket, a pipe): small writes
// are gathered in the buffer and go out together when it fills, on flush(), or, on a socket,
// in the background with write_behind().
#pragma once

#include <sys/uio.h>

#include <array>
#include <cstddef>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string_view>
#include <utility>

#include <percore/engine/maybe_ready.hh>
#include <percore/engine/task.hh>
#include <percore/io/result.hh>
#include <percore/net/background_send.hh>
#include <percore/net/byte_stream.hh>
#include <percore/net/stream_error.hh>

namespace percore::net {

template <byte_sink Sink>
class output_stream {
 public:
  static constexpr std::size_t default_buffer_size = 8192;

  // The sink must outlive the stream. The buffer is taken once, from the shard's pool: writes
  // never allocate.
  explicit output_stream(Sink& sink, std::size_t buffer_size = default_buffer_size)
      : sink_(sink), capacity_(checked(buffer_size)),
        sender_(detail::background_send::create(capacity_)) {}
  output_stream(const output_stream&) = delete;
  output_stream& operator=(const output_stream&) = delete;
  // Does not flush (that needs a co_await): bytes still buffered are dropped, and a send started
  // by write_behind() is cancelled (await settled() first to have it finish).
  ~output_stream() { sender_->release(); }

  std::size_t capacity() const noexcept { return capacity_; }
  // Bytes written to the stream and not yet to the sink.
  std::size_t buffered() const noexcept { return size_; }

  // Copies all of `data` into the buffer if it fits, without waiting; false (and nothing
  // copied) if it does not. Formatters use it to skip a co_await for each small piece.
  bool try_append(std::span<const std::byte> data) noexcept {
    if (data.size() > capacity_ - size_ || sender_->sending()) return false;
    if (!data.empty()) std::memcpy(buffer() + size_, data.data(), data.size());
    size_ += data.size();
    return true;
  }
  bool try_append(std::string_view text) noexcept { return try_append(std::as_bytes(std::span(text))); }

  // The free part of the buffer, for a formatter to fill in place, then commit() what it put
  // there. Empty while a write_behind() send holds the buffer.
  std::span<std::byte> prepare() noexcept {
    if (sender_->sending()) return {};
    return {buffer() + size_, capacity_ - size_};
  }
  // Adds the first `count` bytes of prepare()'s space to the buffered bytes.
  void commit(std::size_t count) noexcept { size_ += count; }

  // Buffers `data`; when it does not fit, the buffered bytes and `data` (not copied) go to the
  // sink together in one writev, repeated only for what the sink did not take. On an error the
  // buffered bytes are dropped: the sink is broken. Returns without a coroutine frame when
  // nothing has to reach the sink.
  maybe_ready<result<void>> write(std::span<const std::byte> data) {
    if (try_append(data)) return result<void>{};
    if (sender_->sending()) return after_send(data, false);
    const std::size_t buffered = std::exchange(size_, 0);
    return write_parts(iovec{buffer(), buffered},
                       iovec{const_cast<std::byte*>(data.data()), data.size()});
  }
  maybe_ready<result<void>> write(std::string_view text) {
    return write(std::as_bytes(std::span(text)));
  }

  // Sends every buffered byte to the sink; a failed write_behind() reports its error here.
  maybe_ready<result<void>> flush() {
    if (sender_->sending()) return after_send({}, true);
    if (size_ == 0) return sender_->take_outcome();
    const std::size_t buffered = std::exchange(size_, 0);
    return write_parts(iovec{buffer(), buffered}, iovec{nullptr, 0});
  }

  // On a socket: starts sending the buffered bytes and returns at once; the next write waits
  // for that send only if the buffer is still lent to the kernel by then. A server answering
  // before it reads the next request saves a wake-up per request. Its error comes from the next
  // flush() or settled().
  void write_behind()
    requires requires(Sink& socket) { socket.native_handle(); }
  {
    if (size_ == 0 || sender_->sending()) return;
    sender_->start(sink_.native_handle(), std::exchange(size_, 0));
  }
  // Until a write_behind() send has ended: its outcome. Await it before closing the socket.
  detail::background_send::settle_operation settled() noexcept { return sender_->settled(); }

 private:
  // The buffer follows the send's state in the same block.
  std::byte* buffer() const noexcept { return sender_->data(); }

  static std::size_t checked(std::size_t buffer_size) {
    if (buffer_size == 0) throw std::invalid_argument("percore: an output_stream needs a buffer");
    return buffer_size;
  }

  // A write or flush that came while a write_behind() send still holds the buffer.
  task<result<void>> after_send(std::span<const std::byte> data, bool flushing) {
    const result<void> sent = co_await sender_->settled();
    if (!sent) co_return sent;
    if (flushing) co_return co_await flush();
    co_return co_await write(data);
  }

  // Writes both parts (either may be empty), again for what the sink did not take: one writev
  // while both remain, one write for a single part.
  task<result<void>> write_parts(iovec first, iovec second) {
    std::array<iovec, 2> parts{first, second};
    std::size_t next = parts[0].iov_len == 0 ? 1 : 0;
    while (next < parts.size() && parts[next].iov_len > 0) {
      std::size_t count = 0;
      if (next == 0 && parts[1].iov_len > 0) {
        const std::span<const iovec> both(parts);
        const result<std::size_t> written = co_await sink_.writev(both);
        if (!written) co_return written.error();
        count = written.value();
      } else {
        const std::span<const std::byte> single(static_cast<const std::byte*>(parts[next].iov_base),
                                                parts[next].iov_len);
        const result<std::size_t> written = co_await sink_.write(single);
        if (!written) co_return written.error();
        count = written.value();
      }
      if (count == 0) co_return make_error_code(stream_errc::sink_stalled);
      next = advance(parts, next, count);
    }
    co_return result<void>{};
  }

  static std::size_t advance(std::array<iovec, 2>& parts, std::size_t first, std::size_t count) {
    while (first < parts.size() && count >= parts[first].iov_len) {
      count -= parts[first].iov_len;
      parts[first].iov_len = 0;
      ++first;
    }
    if (first < parts.size()) {
      parts[first].iov_base = static_cast<std::byte*>(parts[first].iov_base) + count;
      parts[first].iov_len -= count;
    }
    return first;
  }

  Sink& sink_;
  std::size_t capacity_;
  detail::background_send* sender_;
  std::size_t size_ = 0;
};

}  // namespace percore::net
