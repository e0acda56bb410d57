// request_parser: an incremental HTTP/1.1 request head parser. It reads the connection's bytes
// in place (zero-copy), however they were split, and refuses malformed input with a status.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include <percore/io/result.hh>
#include <percore/net/http/head_scanner.hh>
#include <percore/net/http/header.hh>
#include <percore/net/http/limits.hh>
#include <percore/net/http/request.hh>

namespace percore::net::http {

class request_parser {
 public:
  // Throws std::invalid_argument for a zero limit. The field table is sized once, here.
  explicit request_parser(const http::limits& limits = {});

  // Parses the request head at the front of `bytes`: the unconsumed bytes of the connection, the
  // same head grown by what arrived since the last call (earlier bytes are not looked at again).
  // Gives the head's length once it is complete (request() is then valid, its views into
  // `bytes`; the body, if any, follows the head), 0 while more bytes are needed, or a parse_errc
  // (status_for gives the answer: 400, 413, 414, 431, 501 or 505). After a complete head or an
  // error, the next call starts a new request.
  result<std::size_t> parse(std::string_view bytes) {
    // A server asks again after each request, mostly with nothing more received: inline, that
    // answer costs no call.
    if (bytes.empty()) return std::size_t{0};
    return parse_received(bytes);
  }
  result<std::size_t> parse(std::span<const std::byte> bytes) {
    return parse(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  }

  // The last complete request.
  const http::request& request() const noexcept { return request_; }

 private:
  result<std::size_t> parse_received(std::string_view bytes);
  result<std::size_t> parse_head(std::string_view bytes, std::size_t head_length);

  http::limits limits_;
  detail::head_scanner scanner_;
  std::vector<header> fields_;
  http::request request_;
};

}  // namespace percore::net::http
