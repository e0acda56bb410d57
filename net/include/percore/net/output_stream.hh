// output_stream: buffered, write-behind writing to a byte sink (a socket, a pipe): small writes
// are gathered in the buffer and go out together, in one writev, when it fills or on flush().
#pragma once

#include <sys/uio.h>

#include <array>
#include <cstddef>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string_view>

#include <percore/engine/frame_pool.hh>
#include <percore/engine/task.hh>
#include <percore/io/result.hh>
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
        buffer_(static_cast<std::byte*>(frame_pool::local().allocate(capacity_))) {}
  output_stream(const output_stream&) = delete;
  output_stream& operator=(const output_stream&) = delete;
  // Does not flush (that needs a co_await): bytes still buffered are dropped.
  ~output_stream() { frame_pool::local().deallocate(buffer_, capacity_); }

  std::size_t capacity() const noexcept { return capacity_; }
  // Bytes written to the stream and not yet to the sink.
  std::size_t buffered() const noexcept { return size_; }

  // Copies all of `data` into the buffer if it fits, without waiting; false (and nothing
  // copied) if it does not. Formatters use it to skip a co_await for each small piece.
  bool try_append(std::span<const std::byte> data) noexcept {
    if (data.size() > capacity_ - size_) return false;
    if (!data.empty()) std::memcpy(buffer_ + size_, data.data(), data.size());
    size_ += data.size();
    return true;
  }
  bool try_append(std::string_view text) noexcept { return try_append(std::as_bytes(std::span(text))); }

  // Buffers `data`; when it does not fit, the buffered bytes and `data` (not copied) go to the
  // sink together in one writev, repeated only for what the sink did not take. On an error the
  // buffered bytes are dropped: the sink is broken.
  task<result<void>> write(std::span<const std::byte> data) {
    if (try_append(data)) co_return result<void>{};
    std::array<iovec, 2> parts{iovec{buffer_, size_},
                               iovec{const_cast<std::byte*>(data.data()), data.size()}};
    size_ = 0;
    co_return co_await write_all(parts);
  }
  task<result<void>> write(std::string_view text) { return write(std::as_bytes(std::span(text))); }

  // Sends every buffered byte to the sink.
  task<result<void>> flush() {
    if (size_ == 0) co_return result<void>{};
    std::array<iovec, 2> parts{iovec{buffer_, size_}, iovec{nullptr, 0}};
    size_ = 0;
    co_return co_await write_all(parts);
  }

 private:
  static std::size_t checked(std::size_t buffer_size) {
    if (buffer_size == 0) throw std::invalid_argument("percore: an output_stream needs a buffer");
    return buffer_size;
  }

  // Writes both parts completely, however little the sink takes at a time.
  task<result<void>> write_all(std::array<iovec, 2>& parts) {
    std::size_t first = parts[0].iov_len == 0 ? 1 : 0;
    while (first < parts.size() && parts[first].iov_len > 0) {
      const std::size_t count = first == 0 && parts[1].iov_len > 0 ? 2 : 1;
      const std::span<const iovec> rest(parts.data() + first, count);
      result<std::size_t> written = co_await write_once(rest);
      if (!written) co_return written.error();
      if (*written == 0) co_return make_error_code(stream_errc::sink_stalled);
      first = advance(parts, first, *written);
    }
    co_return result<void>{};
  }

  // One call to the sink: write for a single part, writev for two.
  task<result<std::size_t>> write_once(std::span<const iovec> parts) {
    if (parts.size() == 1) {
      const std::span<const std::byte> single(static_cast<const std::byte*>(parts[0].iov_base),
                                              parts[0].iov_len);
      co_return co_await sink_.write(single);
    }
    co_return co_await sink_.writev(parts);
  }

  // Skips `count` written bytes; the index of the first part with bytes left.
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
  std::byte* buffer_;
  std::size_t size_ = 0;
};

}  // namespace percore::net
