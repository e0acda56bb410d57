// response_writer: writes HTTP/1.1 responses into an output_stream without allocating: status
// line, a cached Date, "Server: percore", the caller's fields, Content-Length or chunks.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include <percore/engine/maybe_ready.hh>
#include <percore/engine/task.hh>
#include <percore/io/result.hh>
#include <percore/net/http/date_cache.hh>
#include <percore/net/http/header.hh>
#include <percore/net/http/response_pieces.hh>
#include <percore/net/http/status.hh>
#include <percore/net/output_stream.hh>

namespace percore::net::http {

// Everything is buffered in the stream (flush it to send). The caller's fields must not
// include Date, Server, Content-Length or Transfer-Encoding, which the writer adds; an invalid
// field (see is_valid_field) throws std::invalid_argument, as it could split the response.
// Headers and bodies are referenced until the co_await returns.
template <byte_sink Sink>
class response_writer {
 public:
  explicit response_writer(output_stream<Sink>& out, date_cache& dates = date_cache::local()) noexcept
      : out_(out), dates_(dates) {}

  // A whole response with a Content-Length body (none for 1xx, 204 and 304).
  maybe_ready<result<void>> write(status code, std::span<const header> headers,
                           std::span<const std::byte> body) {
    return send(response_pieces::whole(code, headers, body, dates_.header_line()));
  }
  maybe_ready<result<void>> write(status code, std::span<const header> headers, std::string_view body) {
    return write(code, headers, std::as_bytes(std::span(body)));
  }

  // A head announcing `content_length` bytes, which the caller then writes to the stream (or
  // leaves out, answering HEAD).
  maybe_ready<result<void>> write_head(status code, std::span<const header> headers,
                                std::uint64_t content_length) {
    return send(response_pieces::head(code, headers, content_length, dates_.header_line()));
  }

  // A head announcing a chunked body: write_chunk for each piece, then finish_chunks.
  maybe_ready<result<void>> write_chunked_head(status code, std::span<const header> headers) {
    return send(response_pieces::chunked_head(code, headers, dates_.header_line()));
  }
  // Empty data writes nothing (an empty chunk would end the body).
  maybe_ready<result<void>> write_chunk(std::span<const std::byte> data) {
    return send(response_pieces::chunk(data));
  }
  maybe_ready<result<void>> finish_chunks(std::span<const header> trailers = {}) {
    return send(response_pieces::last_chunk(trailers));
  }

  // "HTTP/1.1 100 Continue": the answer to Expect: 100-continue before reading the body.
  maybe_ready<result<void>> write_continue() { return send(response_pieces::continue_line()); }

 private:
  // In the usual case the whole response fits the buffer: it is copied there in one pass, with
  // no coroutine frame. Otherwise each piece is copied while it fits, and a piece that does not
  // goes out with the buffered bytes.
  maybe_ready<result<void>> send(const response_pieces& pieces) {
    const std::span<std::byte> space = out_.prepare();
    const std::size_t total = pieces.total_size();
    if (total > space.size()) return send_from(pieces, 0);
    char* at = reinterpret_cast<char*>(space.data());
    pieces.for_each([&at](std::string_view piece) {
      if (piece.empty()) return;
      std::memcpy(at, piece.data(), piece.size());
      at += piece.size();
    });
    out_.commit(total);
    return result<void>{};
  }
  task<result<void>> send_from(response_pieces pieces, std::size_t index) {
    for (; index < pieces.size(); ++index) {
      const std::string_view piece = pieces[index];
      if (out_.try_append(piece)) continue;
      result<void> written = co_await out_.write(piece);
      if (!written) co_return written;
    }
    co_return result<void>{};
  }

  output_stream<Sink>& out_;
  date_cache& dates_;
};

}  // namespace percore::net::http
