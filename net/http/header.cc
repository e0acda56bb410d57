// Field lookup, and the validity check applied before writing a field, so that no application
// value can end a header line early.
#include <percore/net/http/header.hh>

#include "syntax.hh"

namespace percore::net::http {

std::optional<std::string_view> find_header(std::span<const header> headers,
                                            std::string_view name) noexcept {
  for (const header& field : headers) {
    if (equals_ignoring_case(field.name, name)) return field.value;
  }
  return std::nullopt;
}

bool is_valid_field(const header& field) noexcept {
  if (!syntax::is_token(field.name)) return false;
  for (char c : field.value) {
    if (!syntax::is_field_value_char(c)) return false;
  }
  return true;
}

}  // namespace percore::net::http
