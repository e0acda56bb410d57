// Decoding bodies (RFC 9112 §6, §7.1): chunk sizes are hexadecimal with overflow refused,
// extensions are checked and skipped, the CRLF after each chunk's data is required.
#include <percore/net/http/body_decoder.hh>

#include <algorithm>
#include <cstring>
#include <limits>

#include <percore/net/http/parse_error.hh>

#include "field_lines.hh"
#include "syntax.hh"

namespace percore::net::http {
namespace {

std::string_view text_of(std::span<const std::byte> bytes) noexcept {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void skip_whitespace(std::string_view& text) noexcept {
  while (!text.empty() && syntax::is_whitespace(text.front())) text.remove_prefix(1);
}

bool skip_token(std::string_view& text) noexcept {
  std::size_t length = 0;
  while (length < text.size() && syntax::is_token_char(text[length])) ++length;
  text.remove_prefix(length);
  return length > 0;
}

// DQUOTE *( qdtext / quoted-pair ) DQUOTE (RFC 9110 §5.6.4).
bool skip_quoted_string(std::string_view& text) noexcept {
  for (std::size_t i = 1; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      text.remove_prefix(i + 1);
      return true;
    }
    if (c == '\\') ++i;
    if (i >= text.size() || !syntax::is_field_value_char(text[i])) return false;
  }
  return false;
}

// *( BWS ";" BWS ext-name [ BWS "=" BWS ( token / quoted-string ) ] ) (RFC 9112 §7.1.1).
bool are_chunk_extensions(std::string_view text) noexcept {
  while (!text.empty()) {
    skip_whitespace(text);
    if (text.empty() || text.front() != ';') return false;
    text.remove_prefix(1);
    skip_whitespace(text);
    if (!skip_token(text)) return false;
    skip_whitespace(text);
    if (text.empty()) return true;
    if (text.front() != '=') continue;
    text.remove_prefix(1);
    skip_whitespace(text);
    const bool value = !text.empty() && text.front() == '"' ? skip_quoted_string(text)
                                                             : skip_token(text);
    if (!value) return false;
  }
  return true;
}

detail::head_scanner::bounds trailer_bounds(const limits& limits) {
  limits.validate();
  return {.max_start_line = 0,
          .max_head = limits.max_header_bytes,
          .max_fields = limits.max_headers,
          .start_line_too_long = parse_errc::headers_too_large};
}

}  // namespace

body_decoder::body_decoder(const http::limits& limits)
    : limits_(limits), trailer_scanner_(trailer_bounds(limits)), trailers_(limits.max_headers) {}

void body_decoder::start(body_framing framing) noexcept {
  trailer_scanner_.reset();
  trailer_count_ = 0;
  received_ = 0;
  line_scanned_ = 0;
  remaining_ = framing.length;
  switch (framing.kind) {
    case body_kind::none: state_ = state::done; break;
    case body_kind::length: state_ = framing.length == 0 ? state::done : state::length; break;
    case body_kind::chunked: state_ = state::size_line; break;
    case body_kind::until_close: state_ = state::until_close; break;
  }
}

result<body_piece> body_decoder::decode(std::span<const std::byte> bytes) {
  const std::string_view text = text_of(bytes);
  std::size_t position = 0;
  for (;;) {
    switch (state_) {
      case state::done:
        return body_piece{.consumed = position, .data = {}};
      case state::length:
      case state::data:
        return take_data(bytes, position);
      case state::until_close: {
        const std::size_t available = bytes.size() - position;
        if (received_ + available > limits_.max_body) {
          return make_error_code(parse_errc::body_too_large);
        }
        received_ += available;
        return body_piece{.consumed = bytes.size(), .data = bytes.subspan(position)};
      }
      case state::size_line: {
        result<bool> complete = read_size_line(text, position);
        if (!complete) return complete.error();
        if (!*complete) return body_piece{.consumed = position, .data = {}};
        break;
      }
      case state::data_end:
        if (bytes.size() - position < 2) return body_piece{.consumed = position, .data = {}};
        if (text.compare(position, 2, "\r\n") != 0) return make_error_code(parse_errc::bad_chunk);
        position += 2;
        state_ = state::size_line;
        break;
      case state::trailers: {
        result<bool> complete = read_trailers(text, position);
        if (!complete) return complete.error();
        if (!*complete) return body_piece{.consumed = position, .data = {}};
        break;
      }
    }
  }
}

body_piece body_decoder::take_data(std::span<const std::byte> bytes, std::size_t position) noexcept {
  const std::size_t count =
      static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, bytes.size() - position));
  remaining_ -= count;
  received_ += count;
  if (remaining_ == 0) state_ = state_ == state::data ? state::data_end : state::done;
  return body_piece{.consumed = position + count, .data = bytes.subspan(position, count)};
}

result<bool> body_decoder::read_size_line(std::string_view bytes, std::size_t& position) noexcept {
  const std::string_view rest = bytes.substr(position);
  // The CRLF may follow the longest line allowed; past that, no line feed can be in time.
  const std::size_t window = std::min(rest.size(), limits_.max_chunk_line + 2);
  const void* found = std::memchr(rest.data() + line_scanned_, '\n', window - line_scanned_);
  if (found == nullptr) {
    if (window == limits_.max_chunk_line + 2) return make_error_code(parse_errc::bad_chunk);
    line_scanned_ = window;
    return false;
  }
  const auto feed = static_cast<std::size_t>(static_cast<const char*>(found) - rest.data());
  if (feed == 0 || rest[feed - 1] != '\r') return make_error_code(parse_errc::bad_line_ending);
  const std::string_view line = rest.substr(0, feed - 1);

  std::uint64_t size = 0;
  std::size_t digits = 0;
  for (; digits < line.size() && hex_value(line[digits]) >= 0; ++digits) {
    if (size > (std::numeric_limits<std::uint64_t>::max() >> 4)) {
      return make_error_code(parse_errc::bad_chunk);
    }
    size = size * 16 + static_cast<std::uint64_t>(hex_value(line[digits]));
  }
  if (digits == 0 || !are_chunk_extensions(line.substr(digits))) {
    return make_error_code(parse_errc::bad_chunk);
  }
  if (size > limits_.max_body - std::min(received_, limits_.max_body)) {
    return make_error_code(parse_errc::body_too_large);
  }
  position += feed + 1;
  line_scanned_ = 0;
  remaining_ = size;
  state_ = size == 0 ? state::trailers : state::data;
  return true;
}

result<bool> body_decoder::read_trailers(std::string_view bytes, std::size_t& position) noexcept {
  const std::string_view rest = bytes.substr(position);
  result<std::size_t> scanned = trailer_scanner_.scan(rest);
  if (!scanned) return scanned.error();
  if (*scanned == 0) return false;
  result<std::size_t> count =
      detail::parse_field_lines(trailer_scanner_.field_lines(rest, *scanned), trailers_);
  if (!count) return count.error();
  trailer_count_ = *count;
  trailer_scanner_.reset();
  position += *scanned;
  state_ = state::done;
  return true;
}

result<void> body_decoder::end_of_stream() noexcept {
  if (state_ == state::until_close) state_ = state::done;
  if (state_ == state::done) return {};
  return make_error_code(parse_errc::incomplete_body);
}

}  // namespace percore::net::http
