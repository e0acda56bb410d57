// The byte runs of one client request, in order, without copying the caller's strings: request
// line, Host, the caller's fields, Content-Length, the empty line, the body. Internal.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string_view>

#include <percore/net/http/header.hh>

namespace percore::net::http::detail {

class client_request_pieces {
 public:
  // `host` is used unless `headers` has a Host field. Throws std::invalid_argument for a method
  // that is not a token, an empty target or one with whitespace or control characters, an
  // invalid field (is_valid_field), or a Content-Length or Transfer-Encoding field, which the
  // connection writes itself: any of them could split the request or smuggle another one.
  client_request_pieces(std::string_view method, std::string_view target, std::string_view host,
                        std::span<const header> headers, std::string_view body);

  std::size_t size() const noexcept { return fields_.size() * 4 + 10; }
  std::string_view operator[](std::size_t index) const noexcept;
  // The bytes of all the pieces together.
  std::size_t total_size() const noexcept { return total_size_; }

  bool head_only() const noexcept { return head_only_; }
  // The request carries "Connection: close".
  bool closes() const noexcept { return closes_; }

 private:
  std::string_view method_;
  std::string_view target_;
  std::string_view host_;
  std::span<const header> fields_;
  std::string_view body_;
  std::size_t total_size_ = 0;
  std::size_t framing_size_ = 0;
  // "Content-Length: " and up to 20 digits and CRLF.
  std::array<char, 40> framing_{};
  bool head_only_ = false;
  bool closes_ = false;
  bool own_host_ = true;  // false when the caller's fields carry Host
};

}  // namespace percore::net::http::detail
