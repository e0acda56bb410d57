// input_stream: buffered reading from a byte source (a socket, a pipe): lines, delimiters, exact
// counts, and zero-copy access to the buffered bytes for parsers (peek, consume, fill).
#pragma once

#include <algorithm>
#include <cstddef>
#include <coroutine>
#include <cstring>
#include <optional>
#include <span>
#include <stdexcept>
#include <string_view>
#include <type_traits>
#include <utility>

#include <percore/engine/frame_pool.hh>
#include <percore/engine/task.hh>
#include <percore/io/result.hh>
#include <percore/net/byte_stream.hh>
#include <percore/net/stream_error.hh>

namespace percore::net {

template <byte_source Source>
class input_stream {
 public:
  static constexpr std::size_t default_buffer_size = 8192;

  // The source must outlive the stream. The buffer is taken once, from the shard's pool: reads
  // never allocate.
  explicit input_stream(Source& source, std::size_t buffer_size = default_buffer_size)
      : source_(source), capacity_(checked(buffer_size)),
        buffer_(static_cast<std::byte*>(frame_pool::local().allocate(capacity_))) {}
  input_stream(const input_stream&) = delete;
  input_stream& operator=(const input_stream&) = delete;
  ~input_stream() { frame_pool::local().deallocate(buffer_, capacity_); }

  std::size_t capacity() const noexcept { return capacity_; }

  // The bytes read from the source and not consumed yet, in place. They stay where they are
  // until the next fill() or read, which may move them to the start of the buffer.
  std::span<const std::byte> peek() const noexcept { return {buffer_ + begin_, end_ - begin_}; }

  // Drops the first `count` bytes of peek() (count <= peek().size()).
  void consume(std::size_t count) noexcept {
    begin_ += count;
    if (begin_ == end_) begin_ = end_ = 0;
  }

  // Reads once from the source, after the bytes already buffered: the count read, 0 at the end
  // of the stream, or stream_errc::buffer_full when every byte of the buffer is unconsumed.
  class fill_operation;
  fill_operation fill() noexcept { return fill_operation(*this); }

  task<result<std::size_t>> read_some(std::span<std::byte> destination) {
    if (begin_ == end_ && !destination.empty()) {
      if (destination.size() >= capacity_) co_return co_await source_.read(destination);
      result<std::size_t> got = co_await fill();
      if (!got || *got == 0) co_return got;
    }
    co_return take(destination);
  }

  // Exactly destination.size() bytes, or stream_errc::end_of_stream if the source ends first.
  task<result<void>> read_exact(std::span<std::byte> destination) {
    std::size_t done = take(destination);
    while (done < destination.size()) {
      const std::span<std::byte> rest = destination.subspan(done);
      if (rest.size() >= capacity_) {
        result<std::size_t> got = co_await source_.read(rest);
        if (!got) co_return got.error();
        if (*got == 0) co_return make_error_code(stream_errc::end_of_stream);
        done += *got;
      } else {
        result<std::size_t> got = co_await fill();
        if (!got) co_return got.error();
        if (*got == 0) co_return make_error_code(stream_errc::end_of_stream);
        done += take(rest);
      }
    }
    co_return result<void>{};
  }

  // The bytes up to and including the first `delimiter`, consumed, as a view into the buffer
  // that stays valid until the next read. Errors: stream_errc::too_long when the delimiter is
  // not within the first min(max_length, capacity()) bytes; stream_errc::end_of_stream when the
  // source ends first. Either way the bytes stay buffered (see peek()).
  task<result<std::string_view>> read_until(std::string_view delimiter, std::size_t max_length) {
    const std::size_t limit = std::min(max_length, capacity_);
    std::size_t searched = 0;
    for (;;) {
      const std::string_view buffered = text(peek());
      const std::string_view window = buffered.substr(0, limit);
      const std::size_t found = window.find(delimiter, searched);
      if (found != std::string_view::npos) {
        const std::string_view match = window.substr(0, found + delimiter.size());
        consume(match.size());
        co_return match;
      }
      if (window.size() == limit) co_return make_error_code(stream_errc::too_long);
      // A delimiter split across reads starts in the last delimiter.size() - 1 bytes seen.
      searched = window.size() - std::min(window.size(), delimiter.size() - 1);
      result<std::size_t> got = co_await fill();
      if (!got) co_return got.error();
      if (*got == 0) co_return make_error_code(stream_errc::end_of_stream);
    }
  }

  // One line without its "\n" or "\r\n" (max_length counts the terminator), as read_until.
  task<result<std::string_view>> read_line(std::size_t max_length) {
    result<std::string_view> line = co_await read_until("\n", max_length);
    if (!line) co_return line;
    std::string_view text = *line;
    text.remove_suffix(text.size() >= 2 && text[text.size() - 2] == '\r' ? 2 : 1);
    co_return text;
  }

 private:
  static std::size_t checked(std::size_t buffer_size) {
    if (buffer_size == 0) throw std::invalid_argument("percore: an input_stream needs a buffer");
    return buffer_size;
  }
  static std::string_view text(std::span<const std::byte> bytes) noexcept {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
  }
  // Copies buffered bytes into `destination` and consumes them; the count copied.
  std::size_t take(std::span<std::byte> destination) noexcept {
    const std::size_t count = std::min(destination.size(), end_ - begin_);
    if (count > 0) std::memcpy(destination.data(), buffer_ + begin_, count);
    consume(count);
    return count;
  }

  using read_awaitable = decltype(std::declval<Source&>().read(std::declval<std::span<std::byte>>()));
  using read_awaiter = typename detail::awaiter_of<read_awaitable>::type;

  // Starts the source's read into the free space, as the awaiter co_await would use.
  struct read_starter {
    Source& source;
    std::span<std::byte> space;
    // A conversion, so that optional::emplace builds the awaiter in place: io operations
    // neither copy nor move.
    operator read_awaiter() const {
      if constexpr (std::is_same_v<read_awaiter, read_awaitable>) {
        return source.read(space);
      } else {
        return source.read(space).operator co_await();
      }
    }
  };

  // Moves the unconsumed bytes to the start: the whole free space is then at the end.
  void compact() noexcept {
    if (begin_ == 0) return;
    std::memmove(buffer_, buffer_ + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }

  Source& source_;
  std::size_t capacity_;
  std::byte* buffer_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

// fill() as an awaiter rather than a coroutine: servers fill at every request, and a coroutine
// frame per call costs more than the read's own bookkeeping.
template <byte_source Source>
class [[nodiscard]] input_stream<Source>::fill_operation {
 public:
  explicit fill_operation(input_stream& stream) noexcept : stream_(stream) {
    stream.compact();
    if (stream.end_ == stream.capacity_) return;
    read_.emplace(read_starter{stream.source_, std::span(stream.buffer_ + stream.end_,
                                                          stream.capacity_ - stream.end_)});
  }
  fill_operation(const fill_operation&) = delete;

  bool await_ready() { return !read_ || read_->await_ready(); }
  auto await_suspend(std::coroutine_handle<> self) { return read_->await_suspend(self); }
  result<std::size_t> await_resume() {
    if (!read_) return make_error_code(stream_errc::buffer_full);
    result<std::size_t> got = read_->await_resume();
    if (got) stream_.end_ += *got;
    return got;
  }

 private:
  input_stream& stream_;
  std::optional<read_awaiter> read_;
};

}  // namespace percore::net
