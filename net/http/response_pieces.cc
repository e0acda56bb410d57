// Response pieces: the status line, Date, Server and the framing line are rendered once into the
// object's own bytes (two pieces); the caller's fields and body are referenced, not copied.
#include <percore/net/http/response_pieces.hh>

#include <charconv>
#include <stdexcept>
#include <string>

namespace percore::net::http {
namespace {

constexpr std::string_view crlf = "\r\n";

// 1xx, 204 and 304 responses have no body and no Content-Length (RFC 9110 §8.6, §15).
bool forbids_body(status code) noexcept {
  const auto value = static_cast<unsigned>(code);
  return value < 200 || code == status::no_content || code == status::not_modified;
}

void check_fields(std::span<const header> fields) {
  for (const header& field : fields) {
    if (!is_valid_field(field)) {
      throw std::invalid_argument("percore: HTTP field \"" + std::string(field.name) +
                                  "\" has an invalid name or value (a token, and a value "
                                  "without CR, LF or control characters, are accepted)");
    }
  }
}

std::string_view field_piece(const header& field, std::size_t part) noexcept {
  switch (part) {
    case 0: return field.name;
    case 1: return ": ";
    case 2: return field.value;
    default: return crlf;
  }
}

}  // namespace

void response_pieces::append(std::string_view text) {
  if (text.size() > own_.size() - used_) {
    throw std::length_error("percore: a response head outgrew response_pieces' own bytes");
  }
  text.copy(own_.data() + used_, text.size());
  used_ = static_cast<std::uint16_t>(used_ + text.size());
}

void response_pieces::start_head(status code, std::string_view date_line) {
  const auto value = static_cast<unsigned>(code);
  if (value < 100 || value > 999) {
    throw std::invalid_argument("percore: HTTP status " + std::to_string(value) +
                                " is invalid (accepted: 100 to 999)");
  }
  if (date_line.size() != date_cache::line_size) {
    throw std::invalid_argument("percore: a Date line must come from date_cache");
  }
  const char digits[] = {static_cast<char>('0' + value / 100),
                         static_cast<char>('0' + value / 10 % 10),
                         static_cast<char>('0' + value % 10), ' '};
  append("HTTP/1.1 ");
  append({digits, sizeof digits});
  append(reason_phrase(code));
  append(crlf);
  append(date_line);
  append("Server: percore\r\n");
  end_lead();
}

response_pieces response_pieces::whole(status code, std::span<const header> headers,
                                       std::span<const std::byte> body,
                                       std::string_view date_line) {
  if (forbids_body(code) && !body.empty()) {
    throw std::invalid_argument("percore: HTTP status " +
                                std::to_string(static_cast<unsigned>(code)) +
                                " cannot have a body");
  }
  response_pieces pieces = head(code, headers, body.size(), date_line);
  pieces.data_ = body;
  return pieces;
}

response_pieces response_pieces::head(status code, std::span<const header> headers,
                                      std::uint64_t content_length, std::string_view date_line) {
  check_fields(headers);
  response_pieces pieces;
  pieces.fields_ = headers;
  pieces.start_head(code, date_line);
  if (!forbids_body(code)) {
    char digits[20];
    const auto written = std::to_chars(std::begin(digits), std::end(digits), content_length);
    pieces.append("Content-Length: ");
    pieces.append({digits, static_cast<std::size_t>(written.ptr - digits)});
    pieces.append(crlf);
  }
  pieces.append(crlf);
  return pieces;
}

response_pieces response_pieces::chunked_head(status code, std::span<const header> headers,
                                              std::string_view date_line) {
  if (forbids_body(code)) return head(code, headers, 0, date_line);
  check_fields(headers);
  response_pieces pieces;
  pieces.fields_ = headers;
  pieces.start_head(code, date_line);
  pieces.append("Transfer-Encoding: chunked\r\n\r\n");
  return pieces;
}

response_pieces response_pieces::chunk(std::span<const std::byte> data) noexcept {
  response_pieces pieces;
  if (data.empty()) return pieces;
  char digits[16];
  const auto written = std::to_chars(std::begin(digits), std::end(digits), data.size(), 16);
  pieces.append({digits, static_cast<std::size_t>(written.ptr - digits)});
  pieces.append(crlf);
  pieces.end_lead();
  pieces.data_ = data;
  pieces.closing_ = crlf;
  return pieces;
}

response_pieces response_pieces::last_chunk(std::span<const header> trailers) {
  check_fields(trailers);
  response_pieces pieces;
  pieces.fields_ = trailers;
  pieces.append("0\r\n");
  pieces.end_lead();
  pieces.append(crlf);
  return pieces;
}

response_pieces response_pieces::continue_line() noexcept {
  response_pieces pieces;
  pieces.append("HTTP/1.1 100 Continue\r\n\r\n");
  pieces.end_lead();
  return pieces;
}

std::string_view response_pieces::operator[](std::size_t index) const noexcept {
  if (index == 0) return {own_.data(), lead_size_};
  index -= 1;
  if (index < fields_.size() * 4) return field_piece(fields_[index / 4], index % 4);
  switch (index - fields_.size() * 4) {
    case 0: return {own_.data() + lead_size_, static_cast<std::size_t>(used_ - lead_size_)};
    case 1: return {reinterpret_cast<const char*>(data_.data()), data_.size()};
    default: return closing_;
  }
}

}  // namespace percore::net::http
