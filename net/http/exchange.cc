// http::exchange: reading the body through the connection's decoder, and answering through its
// response writer, with the Connection field the server's keep-alive decision needs.
#include <percore/net/http/exchange.hh>

#include <stdexcept>
#include <string>

#include <percore/net/http/parse_error.hh>

namespace percore::net::http {

task<result<std::span<const std::byte>>> exchange::read_body_some() {
  body_started_ = true;
  if (request_.expects_continue && !continue_sent_ && !responded_ && !body_.done()) {
    continue_sent_ = true;
    // Only when none of the body is here yet: a client that sent it anyway needs no invitation.
    if (in_.peek().empty()) {
      if (result<void> sent = co_await writer_.write_continue(); !sent) co_return sent.error();
      if (result<void> flushed = co_await out_.flush(); !flushed) {
        co_return flushed.error();
      }
    }
  }
  for (;;) {
    in_.consume(pending_consume_);
    pending_consume_ = 0;
    if (body_.done()) co_return std::span<const std::byte>{};
    result<body_piece> piece = body_.decode(in_.peek());
    if (!piece) {
      // Where this body ends is unknown: nothing after it can be read as a request.
      closing_ = true;
      co_return piece.error();
    }
    if (piece->consumed == 0) {
      result<std::size_t> got = co_await in_.fill();
      if (!got) {
        closing_ = true;
        co_return got.error();
      }
      if (*got == 0) {
        if (result<void> ended = body_.end_of_stream(); !ended) co_return ended.error();
      }
      continue;
    }
    pending_consume_ = piece->consumed;
    if (!piece->data.empty()) co_return piece->data;
  }
}

task<result<void>> exchange::read_body(std::string& into, std::size_t max_size) {
  for (;;) {
    result<std::span<const std::byte>> piece = co_await read_body_some();
    if (!piece) co_return piece.error();
    if (piece->empty()) co_return result<void>{};
    if (into.size() + piece->size() > max_size) {
      co_return make_error_code(parse_errc::body_too_large);
    }
    into.append(reinterpret_cast<const char*>(piece->data()), piece->size());
  }
}

std::span<const header> exchange::with_connection_header(std::span<const header> headers) {
  // A body left unread after Expect: 100-continue may still come: the connection cannot be
  // reused, as what follows would be taken for the next request.
  if (request_.expects_continue && !body_started_ && !body_.done()) closing_ = true;
  if (!closing()) return headers;
  if (headers.size() > max_response_headers) {
    throw std::invalid_argument("percore: a response has more than " +
                                std::to_string(max_response_headers) + " header fields");
  }
  auto& fields = headers_.emplace();
  std::copy(headers.begin(), headers.end(), fields.begin());
  fields[headers.size()] = header{"Connection", "close"};
  return {fields.data(), headers.size() + 1};
}

void exchange::mark_responded() {
  if (responded_) throw std::logic_error("percore: an HTTP request answered twice");
  responded_ = true;
}

maybe_ready<result<void>> exchange::respond(status code, std::span<const header> headers,
                                            std::string_view body) {
  mark_responded();
  const std::span<const header> fields = with_connection_header(headers);
  if (head_only_) return writer_.write_head(code, fields, body.size());
  return writer_.write(code, fields, body);
}

maybe_ready<result<void>> exchange::respond_head(status code, std::span<const header> headers,
                                                 std::uint64_t content_length) {
  mark_responded();
  const std::span<const header> fields = with_connection_header(headers);
  return writer_.write_head(code, fields, content_length);
}

maybe_ready<result<void>> exchange::write_body(std::span<const std::byte> data) {
  if (head_only_) return result<void>{};
  return out_.write(data);
}

maybe_ready<result<void>> exchange::respond_chunked(status code,
                                                    std::span<const header> headers) {
  mark_responded();
  const std::span<const header> fields = with_connection_header(headers);
  // For HEAD the head is the same; the chunks, terminator included, are left out.
  return writer_.write_chunked_head(code, fields);
}

maybe_ready<result<void>> exchange::write_chunk(std::span<const std::byte> data) {
  if (head_only_) return result<void>{};
  return writer_.write_chunk(data);
}

maybe_ready<result<void>> exchange::finish_chunks(std::span<const header> trailers) {
  if (head_only_) return result<void>{};
  return writer_.finish_chunks(trailers);
}

}  // namespace percore::net::http
