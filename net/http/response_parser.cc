// Response heads: the status line (RFC 9112 §4) and how the body is delimited (RFC 9112 §6.3),
// where a client must be as careful as a server about conflicting framing.
#include <percore/net/http/response_parser.hh>

#include "field_lines.hh"
#include "framing_fields.hh"
#include "syntax.hh"

namespace percore::net::http {
namespace {

detail::head_scanner::bounds bounds_of(const limits& limits) {
  limits.validate();
  return {.max_start_line = limits.max_request_line,
          .max_head = limits.max_header_bytes,
          .max_fields = limits.max_headers,
          .start_line_too_long = parse_errc::headers_too_large};
}

bool is_reason_phrase(std::string_view reason) noexcept {
  for (char c : reason) {
    if (!syntax::is_field_value_char(c)) return false;
  }
  return true;
}

// 1xx, 204 and 304 responses, and responses to HEAD, end with their head.
bool has_no_body(unsigned code, std::string_view request_method) noexcept {
  return request_method == "HEAD" || code < 200 || code == 204 || code == 304;
}

}  // namespace

response_parser::response_parser(const http::limits& limits)
    : limits_(limits), scanner_(bounds_of(limits)), fields_(limits.max_headers) {}

result<std::size_t> response_parser::parse(std::string_view bytes,
                                           std::string_view request_method) {
  result<std::size_t> scanned = scanner_.scan(bytes);
  if (scanned && *scanned == 0) return scanned;
  if (scanned) scanned = parse_head(bytes, *scanned, request_method);
  scanner_.reset();
  return scanned;
}

result<std::size_t> response_parser::parse_head(std::string_view bytes, std::size_t head_length,
                                                std::string_view request_method) {
  // HTTP-version SP 3DIGIT SP reason-phrase; the SP before an empty reason is often left out.
  const std::string_view line = scanner_.start_line(bytes);
  if (line.size() < 12 || line[8] != ' ' || (line.size() > 12 && line[12] != ' ')) {
    return make_error_code(parse_errc::bad_status_line);
  }
  const std::optional<int> minor_version = syntax::parse_version(line.substr(0, 8));
  const std::optional<std::uint64_t> code = syntax::parse_decimal(line.substr(9, 3));
  const std::string_view reason = line.size() > 12 ? line.substr(13) : std::string_view();
  if (!minor_version || !code || *code < 100 || !is_reason_phrase(reason)) {
    return make_error_code(parse_errc::bad_status_line);
  }
  if (*minor_version < 0) return make_error_code(parse_errc::unsupported_version);

  result<std::size_t> count =
      detail::parse_field_lines(scanner_.field_lines(bytes, head_length), fields_);
  if (!count) return count;
  const std::span<const header> headers(fields_.data(), *count);
  const detail::framing_fields framing = detail::read_framing_fields(headers);
  const bool http11 = *minor_version == 1;
  bool keep_alive = http11 ? !framing.close : framing.keep_alive && !framing.close;

  body_framing body;
  if (has_no_body(static_cast<unsigned>(*code), request_method)) {
    body.kind = body_kind::none;
  } else if (framing.has_transfer_encoding) {
    // Transfer-Encoding wins over Content-Length, but a connection that carried both (or
    // chunked from HTTP/1.0) cannot be trusted with another response (RFC 9112 §6.1, §6.3).
    if (framing.has_length || framing.length_invalid || !http11) keep_alive = false;
    if (framing.coding_invalid && framing.chunked_last) {
      return make_error_code(parse_errc::bad_transfer_encoding);
    }
    body.kind = framing.chunked_last ? body_kind::chunked : body_kind::until_close;
  } else if (framing.length_invalid) {
    return make_error_code(parse_errc::bad_content_length);
  } else if (framing.has_length) {
    if (framing.length > limits_.max_body) return make_error_code(parse_errc::body_too_large);
    body = {body_kind::length, framing.length};
  } else {
    body.kind = body_kind::until_close;
  }
  if (body.kind == body_kind::until_close) keep_alive = false;

  response_ = http::response{
      .minor_version = *minor_version,
      .code = static_cast<status>(*code),
      .reason = reason,
      .headers = headers,
      .body = body,
      .keep_alive = keep_alive,
  };
  return head_length;
}

}  // namespace percore::net::http
