// Reading the framing fields: lists are split on commas (RFC 9110 §5.6.1), names and tokens
// compared without case.
#include "framing_fields.hh"

#include "syntax.hh"

namespace percore::net::http::detail {
namespace {

// Whether the token `name` is `lower` (lower-case letters and '-') without regard to case. In a
// token, only the two cases of a letter give that letter once 0x20 is set, and only '-' gives
// '-' (CR would too, but is no token byte): one OR a byte instead of a range check.
bool is_name(std::string_view name, std::string_view lower) noexcept {
  if (name.size() != lower.size()) return false;
  for (std::size_t i = 0; i < lower.size(); ++i) {
    if ((name[i] | 0x20) != lower[i]) return false;
  }
  return true;
}

void read_content_length(std::string_view value, framing_fields& fields) noexcept {
  // "Content-Length: 42, 42" and repeated equal fields are one length (RFC 9110 §8.6); an
  // empty element is as invalid as a non-number.
  for (;;) {
    const std::size_t comma = value.find(',');
    const auto length = syntax::parse_decimal(syntax::trim(value.substr(0, comma)));
    if (!length || (fields.has_length && *length != fields.length)) {
      fields.length_invalid = true;
      return;
    }
    fields.has_length = true;
    fields.length = *length;
    if (comma == std::string_view::npos) return;
    value.remove_prefix(comma + 1);
  }
}

void read_transfer_encoding(std::string_view value, framing_fields& fields) noexcept {
  fields.has_transfer_encoding = true;
  bool any = false;
  syntax::for_each_element(value, [&](std::string_view element) {
    any = true;
    // A coding may carry parameters ("gzip;q=1"): its name is the token before them.
    const std::string_view name = syntax::trim(element.substr(0, element.find(';')));
    if (!syntax::is_token(name)) {
      fields.coding_invalid = true;
    } else if (equals_ignoring_case(name, "chunked")) {
      if (fields.chunked_last || fields.chunked_not_last || name.size() != element.size()) {
        fields.coding_invalid = true;
      }
      fields.chunked_last = true;
    } else {
      fields.other_coding = true;
      if (fields.chunked_last) fields.chunked_not_last = true;
      fields.chunked_last = false;
    }
  });
  if (!any) fields.coding_invalid = true;
}

}  // namespace

framing_fields read_framing_fields(std::span<const header> headers) noexcept {
  framing_fields fields;
  for (const header& field : headers) {
    // Most fields are none of these: their length alone rules them out.
    const std::string_view name = field.name;
    switch (name.size()) {
      case 4:
        if (is_name(name, "host")) ++fields.host_count;
        break;
      case 6:
        if (!is_name(name, "expect")) break;
        syntax::for_each_element(field.value, [&](std::string_view expectation) {
          if (equals_ignoring_case(expectation, "100-continue")) fields.expects_continue = true;
        });
        break;
      case 10:
        if (!is_name(name, "connection")) break;
        syntax::for_each_element(field.value, [&](std::string_view option) {
          if (equals_ignoring_case(option, "close")) fields.close = true;
          if (equals_ignoring_case(option, "keep-alive")) fields.keep_alive = true;
        });
        break;
      case 14:
        if (is_name(name, "content-length")) read_content_length(field.value, fields);
        break;
      case 17:
        if (is_name(name, "transfer-encoding")) {
          read_transfer_encoding(field.value, fields);
        }
        break;
      default:
        break;
    }
  }
  return fields;
}

}  // namespace percore::net::http::detail
