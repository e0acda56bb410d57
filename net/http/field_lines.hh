// Parsing the field lines of a head or a trailer section into name/value views (RFC 9112 §5),
// refusing what could smuggle a header: obs-fold, bare CR, control characters. Internal.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include <percore/io/result.hh>
#include <percore/net/http/header.hh>

namespace percore::net::http::detail {

// `lines` holds whole lines, each ending in CRLF (as head_scanner::field_lines gives them).
// Fills `table` from its start: the number of fields, or a parse_errc.
result<std::size_t> parse_field_lines(std::string_view lines, std::span<header> table) noexcept;

// The index of the first byte of `text` from `position` that cannot be in a field value (a
// control byte other than HTAB), or text.size(): eight bytes at a time.
std::size_t end_of_value(std::string_view text, std::size_t position) noexcept;

}  // namespace percore::net::http::detail
