// A parsed response head (the client side): every string is a view into the connection's
// buffer, valid until those bytes are overwritten.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include <percore/net/http/body_framing.hh>
#include <percore/net/http/header.hh>
#include <percore/net/http/status.hh>

namespace percore::net::http {

struct response {
  int minor_version = 1;
  status code = status::ok;  // any three-digit code, named or not
  std::string_view reason;
  std::span<const header> headers;
  body_framing body;       // by status, the request's method and the framing fields (RFC 9112 §6.3)
  bool keep_alive = true;  // false too when the body runs until the connection closes

  std::optional<std::string_view> find_header(std::string_view name) const noexcept {
    return http::find_header(headers, name);
  }
};

}  // namespace percore::net::http
