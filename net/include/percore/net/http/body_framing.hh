// How a message's body is delimited on the wire (RFC 9112 §6.3): no body, a Content-Length,
// chunks, or everything until the connection closes (responses only).
#pragma once

#include <cstdint>

namespace percore::net::http {

enum class body_kind : std::uint8_t { none, length, chunked, until_close };

struct body_framing {
  body_kind kind = body_kind::none;
  std::uint64_t length = 0;  // for body_kind::length
};

}  // namespace percore::net::http
