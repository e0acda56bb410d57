// Finds where a message head (start line, field lines, empty line) ends while its bytes arrive:
// each byte is looked at once over all calls, and limits hold before the head is complete.
#pragma once

#include <cstddef>
#include <string_view>

#include <percore/io/result.hh>
#include <percore/net/http/parse_error.hh>

namespace percore::net::http::detail {

class head_scanner {
 public:
  struct bounds {
    std::size_t max_start_line;  // 0 for a section without a start line (trailers)
    std::size_t max_head;
    std::size_t max_fields;
    parse_errc start_line_too_long;
  };
  explicit head_scanner(const bounds& limits) noexcept : limits_(limits) {}

  // Scans `bytes` (the same head, grown since the last call) on from where the last call
  // stopped: the head's length once its empty line is in, 0 while incomplete, or an error.
  // Bare LF is an error here; a bare CR is left to the line parsers.
  result<std::size_t> scan(std::string_view bytes) noexcept;

  // After a complete scan: the start line without its CRLF, and the field lines (each with its
  // CRLF, the final empty line excluded).
  std::string_view start_line(std::string_view bytes) const noexcept {
    return bytes.substr(start_begin_, start_end_ - start_begin_);
  }
  std::string_view field_lines(std::string_view bytes, std::size_t head_length) const noexcept {
    return bytes.substr(fields_begin_, head_length - 2 - fields_begin_);
  }

  // Forgets the head scanned so far: the next scan starts a new one.
  void reset() noexcept;

 private:
  bool has_start_line() const noexcept { return limits_.max_start_line != 0; }

  bounds limits_;
  std::size_t scanned_ = 0;
  std::size_t line_begin_ = 0;
  std::size_t start_begin_ = 0;
  std::size_t start_end_ = 0;
  std::size_t fields_begin_ = 0;
  std::size_t field_count_ = 0;
  bool start_found_ = false;
};

}  // namespace percore::net::http::detail
