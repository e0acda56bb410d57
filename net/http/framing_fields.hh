// The header fields that decide how a message is delimited and what happens to the connection
// afterwards (Content-Length, Transfer-Encoding, Connection, Expect, Host), read in one pass
// for the request and response parsers to judge. Internal.
#pragma once

#include <cstdint>
#include <span>

#include <percore/net/http/header.hh>

namespace percore::net::http::detail {

struct framing_fields {
  bool has_length = false;
  bool length_invalid = false;     // an element not 1*DIGIT, or values that differ
  std::uint64_t length = 0;        // saturated at 2^64 - 1
  bool has_transfer_encoding = false;
  bool coding_invalid = false;     // not a token, chunked twice, or no coding at all
  bool chunked_last = false;       // the final coding is chunked
  bool chunked_not_last = false;   // chunked followed by another coding
  bool other_coding = false;       // a coding other than chunked
  bool close = false;              // Connection: close
  bool keep_alive = false;         // Connection: keep-alive
  bool expects_continue = false;   // Expect: 100-continue
  int host_count = 0;
};

// The names are tokens, as parse_field_lines gives them.
framing_fields read_framing_fields(std::span<const header> fields) noexcept;

}  // namespace percore::net::http::detail
