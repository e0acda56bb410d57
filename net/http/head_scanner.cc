// Locating the end of a head by its line feeds: memchr runs over the bytes in wide steps, and
// only the lines it finds are looked at byte by byte, later, by the line parsers.
#include <percore/net/http/head_scanner.hh>

#include <algorithm>
#include <cstring>

namespace percore::net::http::detail {

result<std::size_t> head_scanner::scan(std::string_view bytes) noexcept {
  const char* data = bytes.data();
  // Bytes past the largest head allowed are never the head's: the limit bounds the search.
  const std::size_t window = std::min(bytes.size(), limits_.max_head);
  while (scanned_ < window) {
    const void* found = std::memchr(data + scanned_, '\n', window - scanned_);
    if (found == nullptr) {
      scanned_ = window;
      break;
    }
    const auto feed = static_cast<std::size_t>(static_cast<const char*>(found) - data);
    if (feed == line_begin_ || data[feed - 1] != '\r') {
      return make_error_code(parse_errc::bad_line_ending);
    }
    const std::size_t line_length = feed - 1 - line_begin_;
    if (has_start_line() && !start_found_) {
      // Empty lines before a request line are skipped (RFC 9112 §2.2).
      if (line_length > 0) {
        if (line_length > limits_.max_start_line) {
          return make_error_code(limits_.start_line_too_long);
        }
        start_begin_ = line_begin_;
        start_end_ = feed - 1;
        fields_begin_ = feed + 1;
        start_found_ = true;
      }
    } else if (line_length == 0) {
      return feed + 1;
    } else if (++field_count_ > limits_.max_fields) {
      return make_error_code(parse_errc::headers_too_large);
    }
    line_begin_ = feed + 1;
    scanned_ = feed + 1;
  }
  // "+ 1": the line may still end with the CR of its CRLF.
  if (has_start_line() && !start_found_ && scanned_ - line_begin_ > limits_.max_start_line + 1) {
    return make_error_code(limits_.start_line_too_long);
  }
  if (bytes.size() >= limits_.max_head) return make_error_code(parse_errc::headers_too_large);
  return std::size_t{0};
}

void head_scanner::reset() noexcept { *this = head_scanner(limits_); }

}  // namespace percore::net::http::detail
