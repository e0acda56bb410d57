// http_exchange: the HTTP/1.1 protocol of one load connection: send "GET path" and read the
// response head and body in place, checking that the status is 2xx; keep-alive as the server says.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include <percore/io/result.hh>
#include <percore/net/http/body_decoder.hh>
#include <percore/net/http/response_parser.hh>

#include "exchange_protocol.hh"
#include "target_url.hh"

namespace percore::load {

class http_exchange {
 public:
  // Holds a response head (the parser's default limit is 16 KiB) with room to spare; a body
  // streams through it.
  static constexpr std::size_t buffer_size = 32 * 1024;

  // The request is written once, here: "GET <path> HTTP/1.1" and a Host field, nothing else, as
  // wrk sends. Allocates its buffer and the parser's tables once.
  explicit http_exchange(const target_url& target);

  void begin() noexcept;
  std::span<const std::byte> to_send() const noexcept;
  void sent(std::size_t count) noexcept { sent_ += count; }
  // The free space after the unconsumed bytes, moved to the front of the buffer when needed.
  std::span<std::byte> receive_space() noexcept;
  // Parses what has arrived: the head, then the body (Content-Length or chunked), skipping 1xx
  // answers. A malformed head or body is its parse_errc; a complete answer with a status other
  // than 2xx is `rejected`.
  result<exchange_state> received(std::size_t count);
  // Completes a body delimited by the close; anything else cut short is an error.
  result<exchange_state> end_of_stream();
  // The last answer allows another request on this connection.
  bool reusable() const noexcept { return keep_alive_; }

  std::string_view request() const noexcept { return request_; }

 private:
  enum class stage { head, body, done };

  result<exchange_state> advance();
  result<exchange_state> finish() noexcept;
  std::span<const std::byte> unconsumed() const noexcept {
    return {buffer_.get() + begin_, end_ - begin_};
  }
  void consume(std::size_t count) noexcept;

  std::string request_;
  std::unique_ptr<std::byte[]> buffer_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::size_t sent_ = 0;
  net::http::response_parser parser_;
  net::http::body_decoder body_;
  stage stage_ = stage::done;
  unsigned status_ = 0;
  bool keep_alive_ = true;
};

static_assert(exchange_protocol<http_exchange>);

}  // namespace percore::load
