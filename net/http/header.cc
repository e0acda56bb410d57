// Field lookup, and the validity check applied before writing a field, so that no application
// value can end a header line early.
#include <percore/net/http/header.hh>

#include "field_lines.hh"
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
  return syntax::is_token(field.name) && detail::end_of_value(field.value, 0) == field.value.size();
}

}  // namespace percore::net::http
