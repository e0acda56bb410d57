// The byte runs a response writer sends, in order, without copying the caller's headers or
// body: a response head (and body), a chunk, the last chunk with trailers, 100 Continue.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include <percore/net/http/date_cache.hh>
#include <percore/net/http/header.hh>
#include <percore/net/http/status.hh>

namespace percore::net::http {

class response_pieces {
 public:
  // A whole response: head with Content-Length (none for 1xx, 204 and 304), then `body`.
  // `date_line` is a date_cache line. Throws std::invalid_argument for an invalid field, a body
  // where the status forbids one, or a date line of another shape.
  static response_pieces whole(status code, std::span<const header> headers,
                               std::span<const std::byte> body, std::string_view date_line);
  // A head announcing `content_length` bytes that the caller sends (or not, after HEAD).
  static response_pieces head(status code, std::span<const header> headers,
                              std::uint64_t content_length, std::string_view date_line);
  // A head announcing a chunked body.
  static response_pieces chunked_head(status code, std::span<const header> headers,
                                      std::string_view date_line);
  // One chunk of a chunked body; nothing at all for empty data (an empty chunk ends the body).
  static response_pieces chunk(std::span<const std::byte> data) noexcept;
  // The last chunk and the trailer section.
  static response_pieces last_chunk(std::span<const header> trailers);
  // The interim "HTTP/1.1 100 Continue" response.
  static response_pieces continue_line() noexcept;

  // Views into the caller's data and this object: it may be moved, and views taken after the
  // move are valid.
  std::size_t size() const noexcept { return fields_.size() * 4 + 4; }
  std::string_view operator[](std::size_t index) const noexcept;

  // Calls visit(piece) for every piece, in order: faster than indexing when all are wanted.
  template <class Visit>
  void for_each(Visit&& visit) const {
    visit(std::string_view(own_.data(), lead_size_));
    for (const header& field : fields_) {
      visit(field.name);
      visit(std::string_view(": "));
      visit(field.value);
      visit(std::string_view("\r\n"));
    }
    visit(std::string_view(own_.data() + lead_size_, static_cast<std::size_t>(used_ - lead_size_)));
    visit(std::string_view(reinterpret_cast<const char*>(data_.data()), data_.size()));
    visit(closing_);
  }
  // The bytes of all pieces together.
  std::size_t total_size() const noexcept {
    std::size_t total = 0;
    for_each([&total](std::string_view piece) { total += piece.size(); });
    return total;
  }

 private:
  response_pieces() noexcept = default;
  // Throws std::length_error past own_ (a bug: the sizes below are fixed).
  void append(std::string_view text);
  // The status line, Date and Server: the lead.
  void start_head(status code, std::string_view date_line);
  void end_lead() noexcept { lead_size_ = static_cast<std::uint16_t>(used_); }

  // Laid out as: the lead (own bytes), 4 pieces per field, the tail (own bytes: the framing
  // line and the empty line), the data (the caller's), the closing (a chunk's CRLF).
  std::span<const header> fields_;
  std::span<const std::byte> data_;
  std::string_view closing_;
  std::uint16_t lead_size_ = 0;
  std::uint16_t used_ = 0;
  // "HTTP/1.1 " 3DIGIT " " reason CRLF, the Date line, "Server: percore" CRLF, and a framing
  // line of at most 40 bytes fit in 160.
  std::array<char, 160> own_;  // the first used_ bytes hold text; the rest is never read
};

}  // namespace percore::net::http
