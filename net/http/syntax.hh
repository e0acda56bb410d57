// The lexical grammar of HTTP (RFC 9110 §5.6, RFC 9112): which bytes make tokens and field
// values, whitespace trimming, comma-separated lists and decimal numbers. Internal to net/http.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

namespace percore::net::http::syntax {

namespace detail {

constexpr std::array<bool, 256> token_table = [] {
  std::array<bool, 256> table{};
  for (int c = '0'; c <= '9'; ++c) table[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) table[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) table[static_cast<unsigned char>(c)] = true;
  return table;
}();

// field-vchar, SP and HTAB (obs-text included, as RFC 9110 §5.5 allows).
constexpr std::array<bool, 256> field_value_table = [] {
  std::array<bool, 256> table{};
  table['\t'] = true;
  for (int c = 0x20; c < 0x7f; ++c) table[c] = true;
  for (int c = 0x80; c < 0x100; ++c) table[c] = true;
  return table;
}();

}  // namespace detail

inline bool is_token_char(char c) noexcept {
  return detail::token_table[static_cast<unsigned char>(c)];
}
inline bool is_field_value_char(char c) noexcept {
  return detail::field_value_table[static_cast<unsigned char>(c)];
}
inline bool is_whitespace(char c) noexcept { return c == ' ' || c == '\t'; }

inline bool is_token(std::string_view text) noexcept {
  if (text.empty()) return false;
  for (char c : text) {
    if (!is_token_char(c)) return false;
  }
  return true;
}

// Without leading and trailing SP and HTAB (OWS).
inline std::string_view trim(std::string_view text) noexcept {
  while (!text.empty() && is_whitespace(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_whitespace(text.back())) text.remove_suffix(1);
  return text;
}

// Calls visit(element) for each element of a comma-separated list, trimmed; empty elements are
// skipped (RFC 9110 §5.6.1.2).
template <class Visit>
void for_each_element(std::string_view list, Visit&& visit) {
  for (;;) {
    const std::size_t comma = list.find(',');
    const std::string_view element = trim(list.substr(0, comma));
    if (!element.empty()) visit(element);
    if (comma == std::string_view::npos) return;
    list.remove_prefix(comma + 1);
  }
}

// 1*DIGIT as a number; a value past 2^64 - 1 saturates to it. Nothing for anything else.
inline std::optional<std::uint64_t> parse_decimal(std::string_view text) noexcept {
  if (text.empty()) return std::nullopt;
  constexpr std::uint64_t largest = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    value = value > (largest - digit) / 10 ? largest : value * 10 + digit;
  }
  return value;
}

// "HTTP/1.x" (the name is case-sensitive): x for a well-formed version 1.0 or 1.1, -1 for a
// well-formed other version, nothing when it is not a version at all.
inline std::optional<int> parse_version(std::string_view text) noexcept {
  if (text.size() != 8 || text.substr(0, 5) != "HTTP/" || text[6] != '.') return std::nullopt;
  const char major = text[5];
  const char minor = text[7];
  if (major < '0' || major > '9' || minor < '0' || minor > '9') return std::nullopt;
  if (major == '1' && (minor == '0' || minor == '1')) return minor - '0';
  return -1;
}

}  // namespace percore::net::http::syntax
