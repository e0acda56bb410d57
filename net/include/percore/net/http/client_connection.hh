// http::client_connection: one HTTP/1.1 connection to a server: requests buffered and sent in
// batches (pipelined when several are sent before a receive), responses read whole, in place.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <percore/engine/task.hh>
#include <percore/io/result.hh>
#include <percore/net/http/body_decoder.hh>
#include <percore/net/http/client_deadline.hh>
#include <percore/net/http/client_error.hh>
#include <percore/net/http/client_options.hh>
#include <percore/net/http/client_pipeline.hh>
#include <percore/net/http/header.hh>
#include <percore/net/http/response_parser.hh>
#include <percore/net/http/status.hh>
#include <percore/net/input_stream.hh>
#include <percore/net/output_stream.hh>
#include <percore/net/tcp_stream.hh>

namespace percore::net::http {

namespace detail {
class client_request_pieces;
}

// A complete response as receive() gives it: every view points into the connection's buffers
// and stays valid until the next receive() on the connection (or its destruction).
struct response_view {
  status code = status::ok;
  int minor_version = 1;
  std::string_view reason;
  std::span<const header> headers;
  std::string_view body;  // empty for HEAD, 1xx, 204 and 304
  // The server keeps the connection open for another request.
  bool keep_alive = true;

  std::optional<std::string_view> find_header(std::string_view name) const noexcept {
    return http::find_header(headers, name);
  }
};

class client_connection {
 public:
  // Takes over a connected stream. The buffers, the parser's tables and the Host field are set
  // up here, once: sending and receiving then allocate nothing (but see receive()). Throws
  // std::invalid_argument for bad options.
  explicit client_connection(tcp_stream stream, client_connection_options options = {});
  client_connection(const client_connection&) = delete;
  client_connection& operator=(const client_connection&) = delete;
  ~client_connection() = default;

  // Buffers one request (written only when the output buffer is full): the request line, Host
  // (unless `headers` has one), `headers`, Content-Length when there is a body (or the method is
  // POST, PUT or PATCH), then `body`. Bad input throws std::invalid_argument (see
  // is_valid_field; Content-Length and Transfer-Encoding are the connection's to write).
  // Errors: std::errc::not_connected after the connection closed, the socket's, timed_out.
  // Everything is referenced until the co_await returns: name the header arrays.
  task<result<void>> send(std::string_view method, std::string_view target,
                          std::span<const header> headers = {}, std::string_view body = {});
  // Sends every buffered request.
  task<result<void>> flush();
  // The response to the oldest request sent and not yet received, head and whole body (flushing
  // first if requests are still buffered). Bodies come in place when they use Content-Length
  // and fit in the input buffer after their head; a chunked, longer or close-delimited body is
  // gathered in a buffer of the connection that grows to the largest such body and is reused.
  // Errors (after which the connection is closed): a parse_errc for a malformed response or
  // one over the limits (body_too_large, headers_too_large, ...), client_errc's
  // closed_before_response and incomplete_response, timed_out, the socket's. Calling it with no
  // request pending is a bug: std::logic_error.
  task<result<response_view>> receive();

  // The socket is open: requests can be sent. A response saying "Connection: close" (or from
  // HTTP/1.0 without keep-alive) closes it once read, as does any error.
  bool is_open() const noexcept { return stream_.is_open(); }
  // Open, nothing sent and unanswered, nothing buffered either way: a pool can reuse it.
  bool is_idle() const noexcept {
    return is_open() && pipeline_.empty() && out_.buffered() == 0 &&
           in_.peek().size() == consumed_later_;
  }
  // Requests sent (or buffered) whose response has not been received.
  std::size_t pending() const noexcept { return pipeline_.size(); }
  // Responses received since the connection opened.
  std::uint64_t responses_received() const noexcept { return responses_received_; }
  // Closes the socket now (a plain system call); must not be called while a send, flush or
  // receive is under way. Views from the last receive() stay valid.
  void close() noexcept { stream_ = tcp_stream(); }

  const client_connection_options& options() const noexcept { return options_; }

 private:
  // Bounds a call by the request timeout and closes the connection unless the call succeeded
  // (an error, an exception, or a task destroyed while waiting all leave it in an unknown state).
  class operation;

  // Writes the pieces that do not fit in the output buffer, within the request timeout.
  task<result<void>> write_slowly(const detail::client_request_pieces& pieces);
  task<result<response_view>> read_response(detail::client_pipeline::request expected);
  // A body that cannot be handed out in place, decoded into gathered_ after a copy of its head.
  task<result<std::string_view>> read_gathered(std::size_t head_length, std::string_view method);
  // Counts the response and closes the connection when the response (or the request) ends it.
  response_view complete(std::string_view body, detail::client_pipeline::request expected);
  // A failed read or write: the connection ending before any byte of the response is
  // closed_before_response; other errors are kept.
  static std::error_code lost(std::error_code error, bool response_started) noexcept;

  client_connection_options options_;
  std::string host_;
  tcp_stream stream_;
  input_stream<tcp_stream> in_;
  output_stream<tcp_stream> out_;
  response_parser parser_;
  body_decoder body_;
  detail::client_pipeline pipeline_;
  // Checked before each read: once it has expired, nothing would interrupt a new wait.
  detail::client_deadline deadline_;
  // The head and body of the last response that could not be handed out in place.
  std::string gathered_;
  // The bytes of the last response still in the input buffer: consumed by the next receive().
  std::size_t consumed_later_ = 0;
  std::uint64_t responses_received_ = 0;
};

}  // namespace percore::net::http
