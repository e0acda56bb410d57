// The parse_errc category: a message for each error, and the status it is answered with
// (400 unless a more precise status exists: 413, 414, 431, 501, 505).
#include <percore/net/http/parse_error.hh>

#include <string>

namespace percore::net::http {
namespace {

class parse_category_type final : public std::error_category {
 public:
  const char* name() const noexcept override { return "percore.http"; }
  std::string message(int value) const override {
    switch (static_cast<parse_errc>(value)) {
      case parse_errc::bad_request_line: return "malformed request line";
      case parse_errc::request_line_too_long: return "request line too long";
      case parse_errc::headers_too_large: return "header section too large";
      case parse_errc::bad_header: return "malformed header field";
      case parse_errc::bad_line_ending: return "CR or LF outside a CRLF line ending";
      case parse_errc::obsolete_line_folding: return "obsolete line folding";
      case parse_errc::control_character: return "control character in a header value";
      case parse_errc::bad_host: return "missing or repeated Host header";
      case parse_errc::bad_content_length: return "invalid or conflicting Content-Length";
      case parse_errc::length_with_transfer_encoding:
        return "both Content-Length and Transfer-Encoding";
      case parse_errc::bad_transfer_encoding: return "invalid Transfer-Encoding";
      case parse_errc::unsupported_transfer_coding: return "unsupported transfer coding";
      case parse_errc::body_too_large: return "body too large";
      case parse_errc::bad_chunk: return "malformed chunk";
      case parse_errc::incomplete_body: return "stream ended inside the body";
      case parse_errc::unsupported_version: return "HTTP version not supported";
      case parse_errc::bad_status_line: return "malformed status line";
    }
    return "unknown HTTP parse error";
  }
};

}  // namespace

const std::error_category& parse_category() noexcept {
  static const parse_category_type instance;
  return instance;
}

status status_for(std::error_code error) noexcept {
  if (error.category() != parse_category()) return status::internal_server_error;
  switch (static_cast<parse_errc>(error.value())) {
    case parse_errc::request_line_too_long: return status::uri_too_long;
    case parse_errc::headers_too_large: return status::request_header_fields_too_large;
    case parse_errc::body_too_large: return status::content_too_large;
    case parse_errc::unsupported_transfer_coding: return status::not_implemented;
    case parse_errc::unsupported_version: return status::http_version_not_supported;
    default: return status::bad_request;
  }
}

}  // namespace percore::net::http
