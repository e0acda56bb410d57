// Checking and laying out a client request: refused inputs throw, as they are bugs of the
// program that could inject fields; the body is framed by a Content-Length the pieces render.
#include "client_request_pieces.hh"

#include <charconv>
#include <stdexcept>
#include <string>

#include "syntax.hh"

namespace percore::net::http::detail {
namespace {

constexpr std::string_view crlf = "\r\n";
constexpr std::string_view length_name = "Content-Length: ";

// Bytes above 0x7f are let through, as the server's parser accepts them (obs-text).
bool is_valid_target(std::string_view target) noexcept {
  if (target.empty()) return false;
  for (char c : target) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) return false;
  }
  return true;
}

// Methods whose requests carry content by definition: servers may answer 411 without a length.
bool expects_content(std::string_view method) noexcept {
  return method == "POST" || method == "PUT" || method == "PATCH";
}

bool asks_to_close(std::string_view connection) noexcept {
  bool close = false;
  syntax::for_each_element(connection, [&](std::string_view option) {
    if (equals_ignoring_case(option, "close")) close = true;
  });
  return close;
}

[[noreturn]] void refuse(std::string_view what, std::string_view text) {
  throw std::invalid_argument("percore: http client request " + std::string(what) + " \"" +
                              std::string(text) + "\" is invalid");
}

}  // namespace

client_request_pieces::client_request_pieces(std::string_view method, std::string_view target,
                                             std::string_view host,
                                             std::span<const header> headers,
                                             std::string_view body)
    : method_(method), target_(target), host_(host), fields_(headers), body_(body),
      head_only_(method == "HEAD") {
  if (!syntax::is_token(method)) refuse("method", method);
  if (!is_valid_target(target)) refuse("target", target);
  for (const header& field : headers) {
    if (!is_valid_field(field)) refuse("field", field.name);
    if (equals_ignoring_case(field.name, "Content-Length") ||
        equals_ignoring_case(field.name, "Transfer-Encoding")) {
      refuse("field (the connection frames the body itself)", field.name);
    }
    if (equals_ignoring_case(field.name, "Host")) own_host_ = false;
    if (equals_ignoring_case(field.name, "Connection") && asks_to_close(field.value)) {
      closes_ = true;
    }
  }
  if (!body.empty() || expects_content(method)) {
    std::size_t used = length_name.copy(framing_.data(), length_name.size());
    const std::to_chars_result digits =
        std::to_chars(framing_.data() + used, framing_.data() + framing_.size(), body.size());
    used = static_cast<std::size_t>(digits.ptr - framing_.data());
    used += crlf.copy(framing_.data() + used, crlf.size());
    framing_size_ = used;
  }
  for (std::size_t index = 0; index < size(); ++index) total_size_ += (*this)[index].size();
}

std::string_view client_request_pieces::operator[](std::size_t index) const noexcept {
  switch (index) {
    case 0: return method_;
    case 1: return " ";
    case 2: return target_;
    case 3: return " HTTP/1.1\r\n";
    case 4: return own_host_ ? "Host: " : "";
    case 5: return own_host_ ? host_ : "";
    case 6: return own_host_ ? crlf : "";
    default: break;
  }
  const std::size_t field_index = (index - 7) / 4;
  if (field_index < fields_.size()) {
    const header& field = fields_[field_index];
    switch ((index - 7) % 4) {
      case 0: return field.name;
      case 1: return ": ";
      case 2: return field.value;
      default: return crlf;
    }
  }
  switch (index - 7 - fields_.size() * 4) {
    case 0: return {framing_.data(), framing_size_};
    case 1: return crlf;
    default: return body_;
  }
}

}  // namespace percore::net::http::detail
