// Field lines: name ":" OWS value OWS CRLF, with the name a token and the value field-vchars;
// the error names what was wrong, since each kind of injection is refused for its own reason.
#include "field_lines.hh"

#include <bit>
#include <cstdint>
#include <cstring>

#include <percore/net/http/parse_error.hh>

#include "syntax.hh"

namespace percore::net::http::detail {
namespace {

constexpr std::uint64_t ones = 0x0101010101010101;
constexpr std::uint64_t high_bits = 0x8080808080808080;

// A high bit set in each byte of `word` that is below 0x20 or is 0x7f: the bytes a field value
// cannot hold, but HTAB. Bytes from 0x80 (obs-text) pass. A borrow only runs toward higher
// bytes, so the lowest bit set is exact even where higher ones are not.
std::uint64_t control_bytes(std::uint64_t word) noexcept {
  const std::uint64_t below_space = (word - ones * 0x20) & ~word & high_bits;
  const std::uint64_t deletes = word ^ (ones * 0x7f);
  return below_space | ((deletes - ones) & ~deletes & high_bits);
}

}  // namespace

std::size_t end_of_value(std::string_view text, std::size_t position) noexcept {
  const char* data = text.data();
  const std::size_t end = text.size();
  // Eight bytes at a time while a whole word is left; on little-endian machines the first
  // control byte's place comes from the mask, elsewhere the byte loop finds it.
  while (position + 8 <= end) {
    std::uint64_t word;
    std::memcpy(&word, data + position, sizeof word);
    const std::uint64_t controls = control_bytes(word);
    if (controls == 0) {
      position += 8;
      continue;
    }
    if constexpr (std::endian::native != std::endian::little) break;
    position += static_cast<std::size_t>(std::countr_zero(controls)) / 8;
    if (data[position] != '\t') return position;
    ++position;
  }
  while (position < end && syntax::is_field_value_char(data[position])) ++position;
  return position;
}

result<std::size_t> parse_field_lines(std::string_view lines, std::span<header> table) noexcept {
  // Every line ends in CRLF, and CR is neither a token, whitespace nor value byte: it stops each
  // loop below within the line, so none needs a bound.
  const char* data = lines.data();
  const std::size_t end = lines.size();
  std::size_t count = 0;
  std::size_t position = 0;
  while (position < end) {
    const std::size_t name_begin = position;
    if (syntax::is_whitespace(data[position])) {
      return make_error_code(parse_errc::obsolete_line_folding);
    }
    while (syntax::is_token_char(data[position])) ++position;
    // Whitespace before the colon must be refused (RFC 9112 §5.1), like any non-token byte.
    if (position == name_begin || data[position] != ':') {
      const bool bare_cr = data[position] == '\r' && data[position + 1] != '\n';
      return make_error_code(bare_cr ? parse_errc::bad_line_ending : parse_errc::bad_header);
    }
    const std::size_t name_end = position;
    ++position;
    while (syntax::is_whitespace(data[position])) ++position;
    const std::size_t value_begin = position;
    position = end_of_value(lines, value_begin);
    // head_scanner saw that every LF follows a CR, so the first byte out of the value is a CR,
    // ending the line if an LF follows, or a control character.
    if (data[position] != '\r') return make_error_code(parse_errc::control_character);
    if (data[position + 1] != '\n') return make_error_code(parse_errc::bad_line_ending);
    if (count == table.size()) return make_error_code(parse_errc::headers_too_large);
    std::size_t value_end = position;
    while (value_end > value_begin && syntax::is_whitespace(data[value_end - 1])) --value_end;
    table[count++] = header{std::string_view(data + name_begin, name_end - name_begin),
                            std::string_view(data + value_begin, value_end - value_begin)};
    position += 2;
  }
  return count;
}

}  // namespace percore::net::http::detail
