// Request heads: the request line (RFC 9112 §3), the field lines, and the framing and
// connection rules (RFC 9112 §6, §9), judged strictly where leniency lets requests be smuggled.
#include <percore/net/http/request_parser.hh>

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
          .start_line_too_long = parse_errc::request_line_too_long};
}

// Visible ASCII and obs-text: no whitespace, no control characters.
bool is_target_char(char c) noexcept { return static_cast<unsigned char>(c) > 0x20 && c != 0x7f; }

// Origin-form ("/..."), asterisk-form ("*"), or absolute- and authority-form (with a ':').
bool is_target_form(std::string_view target) noexcept {
  return target.front() == '/' || target == "*" || target.find(':') != std::string_view::npos;
}

parse_errc request_line_error(std::string_view line) noexcept {
  return line.find('\r') != std::string_view::npos ? parse_errc::bad_line_ending
                                                   : parse_errc::bad_request_line;
}

}  // namespace

request_parser::request_parser(const http::limits& limits)
    : limits_(limits), scanner_(bounds_of(limits)), fields_(limits.max_headers) {}

result<std::size_t> request_parser::parse_received(std::string_view bytes) {
  result<std::size_t> scanned = scanner_.scan(bytes);
  if (scanned && *scanned == 0) return scanned;
  if (scanned) scanned = parse_head(bytes, *scanned);
  scanner_.reset();
  return scanned;
}

result<std::size_t> request_parser::parse_head(std::string_view bytes, std::size_t head_length) {
  // method SP request-target SP HTTP-version, single spaces (RFC 9112 §3), in one pass. In
  // `bytes` the line is followed by its CR, which is neither a token nor a target byte: it stops
  // both loops at the end of the line.
  const std::string_view line = scanner_.start_line(bytes);
  const char* data = line.data();
  std::size_t method_end = 0;
  while (syntax::is_token_char(data[method_end])) ++method_end;
  if (method_end == 0 || data[method_end] != ' ') return make_error_code(request_line_error(line));
  const std::size_t target_begin = method_end + 1;
  std::size_t target_end = target_begin;
  while (is_target_char(data[target_end])) ++target_end;
  if (target_end == target_begin || data[target_end] != ' ') {
    return make_error_code(request_line_error(line));
  }
  const std::string_view method = line.substr(0, method_end);
  const std::string_view target = line.substr(target_begin, target_end - target_begin);
  const std::optional<int> minor_version = syntax::parse_version(line.substr(target_end + 1));
  if (!is_target_form(target) || !minor_version) return make_error_code(request_line_error(line));
  if (*minor_version < 0) return make_error_code(parse_errc::unsupported_version);

  result<std::size_t> count =
      detail::parse_field_lines(scanner_.field_lines(bytes, head_length), fields_);
  if (!count) return count;
  const std::span<const header> headers(fields_.data(), *count);
  const detail::framing_fields framing = detail::read_framing_fields(headers);
  const bool http11 = *minor_version == 1;

  // Host: exactly one in HTTP/1.1, at most one before (RFC 9112 §3.2).
  if (framing.host_count > 1 || (http11 && framing.host_count == 0)) {
    return make_error_code(parse_errc::bad_host);
  }
  body_framing body;
  if (framing.has_transfer_encoding) {
    // Two framings at once is how requests are smuggled past a proxy: refuse, never choose.
    if (framing.has_length || framing.length_invalid) {
      return make_error_code(parse_errc::length_with_transfer_encoding);
    }
    // HTTP/1.0 has no chunked coding: its framing would be faulty (RFC 9112 §6.1).
    if (!http11 || framing.coding_invalid || !framing.chunked_last) {
      return make_error_code(parse_errc::bad_transfer_encoding);
    }
    if (framing.other_coding) return make_error_code(parse_errc::unsupported_transfer_coding);
    body.kind = body_kind::chunked;
  } else if (framing.length_invalid) {
    return make_error_code(parse_errc::bad_content_length);
  } else if (framing.has_length) {
    if (framing.length > limits_.max_body) return make_error_code(parse_errc::body_too_large);
    body = {body_kind::length, framing.length};
  }

  request_ = http::request{
      .method = method,
      .target = target,
      .minor_version = *minor_version,
      .headers = headers,
      .body = body,
      .keep_alive = http11 ? !framing.close : framing.keep_alive && !framing.close,
      .expects_continue = http11 && framing.expects_continue,
  };
  return head_length;
}

}  // namespace percore::net::http
