// http::client_connection: requests written into the output buffer, each response head and
// body read out of the input buffer, in place when its framing allows, within the request timeout.
#include <percore/net/http/client_connection.hh>

#include <stdexcept>
#include <utility>

#include "client_request_pieces.hh"

namespace percore::net::http {
namespace {

std::string_view text_of(std::span<const std::byte> bytes) noexcept {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

client_connection_options validated(client_connection_options options) {
  options.validate();
  return options;
}

std::string host_of(const tcp_stream& stream, const client_connection_options& options) {
  if (!options.host.empty()) return options.host;
  // A peer that cannot be named (the socket already broke) gets an empty Host, which HTTP/1.1
  // allows; the first request will report the broken socket.
  result<socket_address> peer = stream.peer_address();
  return peer ? peer->to_string() : std::string();
}

std::error_code timed_out() noexcept { return std::make_error_code(std::errc::timed_out); }

}  // namespace

class client_connection::operation {
 public:
  explicit operation(client_connection& connection) : connection_(connection) {
    connection_.deadline_.start(connection_.options_.request_timeout);
  }
  operation(const operation&) = delete;
  operation& operator=(const operation&) = delete;
  ~operation() {
    connection_.deadline_.finish();
    if (!succeeded_) connection_.close();
  }

  void succeed() noexcept { succeeded_ = true; }
  // A failure past the deadline is the timeout's doing (the interrupted wait says "cancelled").
  std::error_code failure(std::error_code error) const noexcept {
    return connection_.deadline_.expired() ? timed_out() : error;
  }

 private:
  client_connection& connection_;
  bool succeeded_ = false;
};

client_connection::client_connection(tcp_stream stream, client_connection_options options)
    : options_(validated(std::move(options))),
      host_(host_of(stream, options_)),
      stream_(std::move(stream)),
      in_(stream_, options_.input_buffer),
      out_(stream_, options_.output_buffer),
      parser_(options_.limits),
      body_(options_.limits) {}

task<result<void>> client_connection::send(std::string_view method, std::string_view target,
                                           std::span<const header> headers,
                                           std::string_view body) {
  const detail::client_request_pieces pieces(method, target, host_, headers, body);
  if (!is_open()) co_return std::errc::not_connected;
  if (pieces.total_size() <= out_.capacity() - out_.buffered()) {
    for (std::size_t index = 0; index < pieces.size(); ++index) {
      (void)out_.try_append(pieces[index]);
    }
  } else {
    result<void> written = co_await write_slowly(pieces);
    if (!written) co_return written;
  }
  pipeline_.push({.head_only = pieces.head_only(), .closes = pieces.closes()});
  co_return result<void>{};
}

task<result<void>> client_connection::write_slowly(const detail::client_request_pieces& pieces) {
  operation bounded(*this);
  for (std::size_t index = 0; index < pieces.size(); ++index) {
    const std::string_view piece = pieces[index];
    if (out_.try_append(piece)) continue;
    if (deadline_.expired()) co_return timed_out();
    result<void> written = co_await out_.write(piece);
    if (!written) co_return bounded.failure(lost(written.error(), false));
  }
  bounded.succeed();
  co_return result<void>{};
}

task<result<void>> client_connection::flush() {
  if (!is_open()) co_return std::errc::not_connected;
  if (out_.buffered() == 0) co_return result<void>{};
  operation bounded(*this);
  result<void> flushed = co_await out_.flush();
  if (!flushed) co_return bounded.failure(lost(flushed.error(), false));
  bounded.succeed();
  co_return flushed;
}

task<result<response_view>> client_connection::receive() {
  if (pipeline_.empty()) {
    throw std::logic_error("percore: http client_connection::receive() with no request sent");
  }
  const detail::client_pipeline::request expected = pipeline_.front();
  pipeline_.pop();
  if (!is_open()) co_return make_error_code(client_errc::closed_before_response);
  operation bounded(*this);
  result<response_view> response = co_await read_response(expected);
  if (!response) co_return bounded.failure(response.error());
  bounded.succeed();
  co_return response;
}

task<result<response_view>> client_connection::read_response(
    detail::client_pipeline::request expected) {
  if (out_.buffered() > 0) {
    result<void> flushed = co_await out_.flush();
    if (!flushed) co_return lost(flushed.error(), false);
  }
  in_.consume(std::exchange(consumed_later_, 0));
  const std::string_view method = expected.head_only ? "HEAD" : "GET";
  bool started = false;  // a byte of this response has arrived
  std::size_t head_length = 0;
  for (;;) {
    result<std::size_t> head = parser_.parse(in_.peek(), method);
    if (!head) co_return head.error();
    if (*head > 0) {
      // Interim responses (100 Continue, 103 Early Hints) come before the final one; 101 ends
      // HTTP on the connection, so it is final.
      const auto code = static_cast<unsigned>(parser_.response().code);
      if (code >= 200 || code == 101) {
        head_length = *head;
        break;
      }
      in_.consume(*head);
      started = true;
      continue;
    }
    started = started || !in_.peek().empty();
    if (deadline_.expired()) co_return timed_out();
    result<std::size_t> got = co_await in_.fill();
    if (!got) co_return lost(got.error(), started);
    if (*got == 0) {
      co_return make_error_code(started ? client_errc::incomplete_response
                                        : client_errc::closed_before_response);
    }
  }

  const body_framing framing = parser_.response().body;
  if (framing.kind == body_kind::none) {
    consumed_later_ = head_length;
    co_return complete({}, expected);
  }
  if (framing.kind == body_kind::length && framing.length <= in_.capacity() - head_length) {
    const std::size_t total = head_length + static_cast<std::size_t>(framing.length);
    const std::byte* head_at = in_.peek().data();
    while (in_.peek().size() < total) {
      if (deadline_.expired()) co_return timed_out();
      result<std::size_t> got = co_await in_.fill();
      if (!got) co_return lost(got.error(), true);
      if (*got == 0) co_return make_error_code(client_errc::incomplete_response);
    }
    // A read moves the unconsumed bytes to the front of the buffer, and the head's views would
    // point at the old place: parse the head again where it is now.
    if (in_.peek().data() != head_at) (void)parser_.parse(in_.peek(), method);
    consumed_later_ = total;
    co_return complete(text_of(in_.peek().subspan(head_length, total - head_length)), expected);
  }
  result<std::string_view> body = co_await read_gathered(head_length, method);
  if (!body) co_return body.error();
  co_return complete(*body, expected);
}

task<result<std::string_view>> client_connection::read_gathered(std::size_t head_length,
                                                                std::string_view method) {
  gathered_.assign(text_of(in_.peek().first(head_length)));
  in_.consume(head_length);
  body_.start(parser_.response().body);
  while (!body_.done()) {
    result<body_piece> piece = body_.decode(in_.peek());
    if (!piece) co_return piece.error();
    gathered_.append(text_of(piece->data));
    in_.consume(piece->consumed);
    if (piece->consumed > 0) continue;
    if (deadline_.expired()) co_return timed_out();
    result<std::size_t> got = co_await in_.fill();
    if (!got) co_return lost(got.error(), true);
    if (*got == 0 && !body_.end_of_stream()) {
      co_return make_error_code(client_errc::incomplete_response);
    }
  }
  // The head's views pointed into the input buffer, which the body has since overwritten.
  const std::string_view gathered(gathered_);
  (void)parser_.parse(gathered.substr(0, head_length), method);
  co_return gathered.substr(head_length);
}

response_view client_connection::complete(std::string_view body,
                                          detail::client_pipeline::request expected) {
  const http::response& head = parser_.response();
  ++responses_received_;
  const bool keep_alive =
      head.keep_alive && !expected.closes && head.code != status::switching_protocols;
  if (!keep_alive) close();
  return response_view{.code = head.code,
                       .minor_version = head.minor_version,
                       .reason = head.reason,
                       .headers = head.headers,
                       .body = body,
                       .keep_alive = keep_alive};
}

std::error_code client_connection::lost(std::error_code error, bool response_started) noexcept {
  if (response_started) return error;
  if (error == std::errc::connection_reset || error == std::errc::broken_pipe ||
      error == std::errc::connection_aborted) {
    return make_error_code(client_errc::closed_before_response);
  }
  return error;
}

}  // namespace percore::net::http
