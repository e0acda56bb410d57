// response_parser: an incremental HTTP/1.1 response head parser for clients, reading the
// connection's bytes in place however they were split, as request_parser does for servers.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include <percore/io/result.hh>
#include <percore/net/http/head_scanner.hh>
#include <percore/net/http/header.hh>
#include <percore/net/http/limits.hh>
#include <percore/net/http/response.hh>

namespace percore::net::http {

class response_parser {
 public:
  // Throws std::invalid_argument for a zero limit. The field table is sized once, here.
  explicit response_parser(const http::limits& limits = {});

  // Parses the response head at the front of `bytes`, as request_parser::parse does. The
  // method of the request it answers decides whether a body follows (none after HEAD).
  // Errors: bad_status_line, unsupported_version, the field errors, bad_content_length,
  // body_too_large, headers_too_large.
  result<std::size_t> parse(std::string_view bytes, std::string_view request_method);
  result<std::size_t> parse(std::span<const std::byte> bytes, std::string_view request_method) {
    return parse(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                 request_method);
  }

  // The last complete response.
  const http::response& response() const noexcept { return response_; }

 private:
  result<std::size_t> parse_head(std::string_view bytes, std::size_t head_length,
                                 std::string_view request_method);

  http::limits limits_;
  detail::head_scanner scanner_;
  std::vector<header> fields_;
  http::response response_;
};

}  // namespace percore::net::http
