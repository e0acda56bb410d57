// A header field as parsed or to be written: name and value, views into the message's bytes or
// the caller's strings. Field names compare without regard to case (RFC 9110 §5.1).
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

namespace percore::net::http {

struct header {
  std::string_view name;
  std::string_view value;
};

// ASCII case-insensitive equality, as field names and codings compare. Inline: the parsers
// call it for every field.
inline bool equals_ignoring_case(std::string_view left, std::string_view right) noexcept {
  if (left.size() != right.size()) return false;
  for (std::size_t i = 0; i < left.size(); ++i) {
    char a = left[i];
    char b = right[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a + ('a' - 'A'));
    if (b >= 'A' && b <= 'Z') b = static_cast<char>(b + ('a' - 'A'));
    if (a != b) return false;
  }
  return true;
}

// The value of the first field called `name`, if there is one.
std::optional<std::string_view> find_header(std::span<const header> headers,
                                            std::string_view name) noexcept;

// Whether the field can be written as is: the name a token, the value free of CR, LF and other
// control characters (so a value cannot inject a header or split a response).
bool is_valid_field(const header& field) noexcept;

}  // namespace percore::net::http
