// http_exchange: the request written once, the response parsed where it lands in the buffer;
// head and body decoding are percore's own client-side parsers.
#include "http_exchange.hh"

#include <cstring>

#include <percore/net/stream_error.hh>

#include "load_error.hh"

namespace percore::load {
namespace {

// The Host field as RFC 9110 §7.2 wants it: the port only when it is not the scheme's default,
// and an IPv6 address in brackets.
std::string host_field(const target_url& target) {
  std::string host = target.host.find(':') != std::string::npos ? "[" + target.host + "]"
                                                                  : target.host;
  if (target.port != 80) host += ":" + std::to_string(target.port);
  return host;
}

}  // namespace

http_exchange::http_exchange(const target_url& target)
    : request_("GET " + target.path + " HTTP/1.1\r\nHost: " + host_field(target) + "\r\n\r\n"),
      buffer_(new std::byte[buffer_size]) {}

void http_exchange::begin() noexcept {
  sent_ = 0;
  stage_ = stage::head;
}

std::span<const std::byte> http_exchange::to_send() const noexcept {
  return std::as_bytes(std::span(request_)).subspan(sent_);
}

std::span<std::byte> http_exchange::receive_space() noexcept {
  if (end_ == buffer_size && begin_ > 0) {
    // The parsers keep positions relative to the first unconsumed byte, so the bytes can move.
    std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  return {buffer_.get() + end_, buffer_size - end_};
}

result<exchange_state> http_exchange::received(std::size_t count) {
  end_ += count;
  return advance();
}

result<exchange_state> http_exchange::end_of_stream() {
  keep_alive_ = false;
  if (stage_ != stage::body) return make_error_code(net::stream_errc::end_of_stream);
  if (result<void> ended = body_.end_of_stream(); !ended) return ended.error();
  return finish();
}

void http_exchange::consume(std::size_t count) noexcept {
  begin_ += count;
  if (begin_ == end_) begin_ = end_ = 0;
}

result<exchange_state> http_exchange::advance() {
  for (;;) {
    if (stage_ == stage::head) {
      result<std::size_t> head = parser_.parse(unconsumed(), "GET");
      if (!head) return head.error();
      if (*head == 0) {
        if (end_ - begin_ == buffer_size) {
          return make_error_code(net::http::parse_errc::headers_too_large);
        }
        return exchange_state::waiting;
      }
      const net::http::response& response = parser_.response();
      status_ = static_cast<unsigned>(response.code);
      keep_alive_ = response.keep_alive;
      const net::http::body_framing framing = response.body;
      consume(*head);
      // An interim answer (100 Continue, 103 Early Hints): the real one follows.
      if (status_ < 200) continue;
      body_.start(framing);
      stage_ = stage::body;
    }
    while (!body_.done()) {
      result<net::http::body_piece> piece = body_.decode(unconsumed());
      if (!piece) return piece.error();
      if (piece->consumed == 0) break;
      consume(piece->consumed);
    }
    if (!body_.done()) return exchange_state::waiting;
    return finish();
  }
}

result<exchange_state> http_exchange::finish() noexcept {
  stage_ = stage::done;
  return status_ >= 200 && status_ < 300 ? exchange_state::answered : exchange_state::rejected;
}

}  // namespace percore::load
