// The limits a server (or a client) sets on what its peer may send: past them a message is
// refused with 414, 431 or 413 instead of growing memory without bound.
#pragma once

#include <cstddef>
#include <cstdint>

namespace percore::net::http {

struct limits {
  std::size_t max_request_line = 8 * 1024;  // request or status line, CRLF excluded (414)
  std::size_t max_header_bytes = 16 * 1024;  // the whole head, or a trailer section (431)
  std::size_t max_headers = 100;             // field lines in a head or trailer section (431)
  std::uint64_t max_body = 1024 * 1024;      // Content-Length, or the sum of the chunks (413)
  std::size_t max_chunk_line = 4 * 1024;     // chunk size and extensions, CRLF excluded (400)

  // Throws std::invalid_argument naming the field if a limit is zero (a parser could then not
  // accept any message).
  void validate() const;
};

}  // namespace percore::net::http
