// A parsed request head: every string is a view into the connection's buffer, valid until
// those bytes are overwritten (for an input_stream: until its next fill or read).
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include <percore/net/http/body_framing.hh>
#include <percore/net/http/header.hh>

namespace percore::net::http {

struct request {
  std::string_view method;
  std::string_view target;  // as sent: origin-form "/a?b", absolute-form, authority-form or "*"
  int minor_version = 1;    // HTTP/1.0 or HTTP/1.1
  std::span<const header> headers;
  body_framing body;
  bool keep_alive = true;         // by version and Connection (RFC 9112 §9.3)
  bool expects_continue = false;  // "Expect: 100-continue" in an HTTP/1.1 request

  // The target's path: "/a" for "/a?b" and for "http://host/a?b"; the target itself for "*" and
  // authority-form.
  std::string_view path() const noexcept;
  // What follows the first '?' of the target, or empty.
  std::string_view query() const noexcept;
  std::optional<std::string_view> find_header(std::string_view name) const noexcept {
    return http::find_header(headers, name);
  }
};

}  // namespace percore::net::http
