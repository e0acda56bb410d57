// http::exchange: one request and its response, as a server handler sees them: the parsed head,
// the body read piece by piece (sending 100 Continue when asked), and the ways to answer.
#pragma once

#include <array>
#include <optional>
#include <cstddef>
#include <span>
#include <string_view>

#include <percore/engine/maybe_ready.hh>
#include <percore/engine/task.hh>
#include <percore/io/result.hh>
#include <percore/net/http/body_decoder.hh>
#include <percore/net/http/header.hh>
#include <percore/net/http/request.hh>
#include <percore/net/http/response_writer.hh>
#include <percore/net/http/status.hh>
#include <percore/net/input_stream.hh>
#include <percore/net/output_stream.hh>
#include <percore/net/tcp_stream.hh>

namespace percore::net::http {

class exchange {
 public:
  // Fields a handler passes, besides those the writer adds (Date, Server, Content-Length,
  // Transfer-Encoding, and Connection when the connection closes after this response).
  static constexpr std::size_t max_response_headers = 32;

  exchange(const http::request& head, input_stream<tcp_stream>& in, output_stream<tcp_stream>& out,
           response_writer<tcp_stream>& writer, body_decoder& body,
           const bool& server_stopping) noexcept
      : request_(head), in_(in), out_(out), writer_(writer), body_(body),
        server_stopping_(server_stopping), closing_(!head.keep_alive) {}
  exchange(const exchange&) = delete;

  // The request head. Its strings are views into the connection's input buffer: valid until
  // the body is read (reading may move the buffered bytes). Copy what is needed after that.
  const http::request& request() const noexcept { return request_; }

  // The next piece of the body, in place (valid until the next call); empty at its end. The
  // first call answers "Expect: 100-continue" with 100 Continue. Errors: the parser's
  // (body_too_large gives 413, bad_chunk 400, ...) or the connection's.
  task<result<std::span<const std::byte>>> read_body_some();
  // The whole body appended to `into`, refused past `max_size` bytes (content_too_large).
  task<result<void>> read_body(std::string& into, std::size_t max_size);

  // A whole response. `body` is left out for HEAD, 1xx, 204 and 304.
  maybe_ready<result<void>> respond(status code, std::span<const header> headers = {},
                             std::string_view body = {});
  // A head announcing `content_length` bytes, then write_body until they are all written.
  maybe_ready<result<void>> respond_head(status code, std::span<const header> headers,
                                  std::uint64_t content_length);
  maybe_ready<result<void>> write_body(std::span<const std::byte> data);
  // A chunked response: write_chunk for each piece, then finish_chunks.
  maybe_ready<result<void>> respond_chunked(status code, std::span<const header> headers = {});
  maybe_ready<result<void>> write_chunk(std::span<const std::byte> data);
  maybe_ready<result<void>> finish_chunks(std::span<const header> trailers = {});

  bool responded() const noexcept { return responded_; }
  bool body_read() const noexcept { return body_.done(); }
  // The connection closes after this response (the client asked, HTTP/1.0 without keep-alive,
  // the server is stopping, the body was malformed, or left unread after Expect: 100-continue).
  bool closing() const noexcept { return closing_ || server_stopping_; }

 private:
  friend class server;

  // The caller's headers and, when the connection closes, "Connection: close".
  std::span<const header> with_connection_header(std::span<const header> headers);
  void mark_responded();

  const http::request& request_;
  input_stream<tcp_stream>& in_;
  output_stream<tcp_stream>& out_;
  response_writer<tcp_stream>& writer_;
  body_decoder& body_;
  const bool& server_stopping_;
  bool closing_;
  bool head_only_ = false;
  bool responded_ = false;
  bool continue_sent_ = false;
  bool body_started_ = false;
  std::size_t pending_consume_ = 0;
  // Built only for a response that closes the connection: most never need it.
  std::optional<std::array<header, max_response_headers + 1>> headers_;
};

}  // namespace percore::net::http
