// Why an HTTP message was refused (parse_errc, an std::error_code enum) and the status a server
// answers with: 400, 413, 414, 431, 501 or 505.
#pragma once

#include <system_error>

#include <percore/net/http/status.hh>

namespace percore::net::http {

enum class parse_errc {
  bad_request_line = 1,         // 400: method, target or separators
  request_line_too_long,        // 414
  headers_too_large,            // 431: head bytes or field count over the limit
  bad_header,                   // 400: field name or colon syntax
  bad_line_ending,              // 400: a CR or LF that is not part of a CRLF
  obsolete_line_folding,        // 400: a field line starting with whitespace
  control_character,            // 400: a control character in a field value
  bad_host,                     // 400: no Host in HTTP/1.1, or more than one
  bad_content_length,           // 400: not a number, or conflicting values
  length_with_transfer_encoding,  // 400: both framings at once (request smuggling)
  bad_transfer_encoding,        // 400: chunked not last, repeated, or in HTTP/1.0
  unsupported_transfer_coding,  // 501
  body_too_large,               // 413
  bad_chunk,                    // 400: chunk size, extension or the CRLF after the data
  incomplete_body,              // 400: the stream ended inside the body
  unsupported_version,          // 505: well-formed, but not HTTP/1.0 or HTTP/1.1
  bad_status_line,              // a response's status line (client side)
};

const std::error_category& parse_category() noexcept;

inline std::error_code make_error_code(parse_errc error) noexcept {
  return {static_cast<int>(error), parse_category()};
}

// The status to answer a request that failed with `error`; 500 for an error that does not
// come from parsing.
status status_for(std::error_code error) noexcept;

}  // namespace percore::net::http

template <>
struct std::is_error_code_enum<percore::net::http::parse_errc> : std::true_type {};
