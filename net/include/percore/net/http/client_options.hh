// What an HTTP client is configured with: per connection (limits, request timeout, buffers, the
// Host field), and for a pool of connections (how many, how long a connect may take).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include <percore/net/http/limits.hh>

namespace percore::net::http {

struct client_connection_options {
  // What a response may hold: status line (max_request_line), head, field count, body, chunk line.
  http::limits limits;
  // Each send (when it has to wait for the socket), flush and receive must end within this
  // long; past it the call gives std::errc::timed_out and the connection closes.
  std::chrono::milliseconds request_timeout{std::chrono::seconds(30)};
  // The connection's buffers, taken once from the shard's pool. The input buffer must hold a
  // whole head (limits.max_header_bytes); a Content-Length body that fits after its head is
  // handed out in place, without a copy. Requests batch in the output buffer until a flush.
  std::size_t input_buffer = 32 * 1024;
  std::size_t output_buffer = 16 * 1024;
  // The Host field of every request that has none of its own; empty: the server's address as
  // text ("127.0.0.1:8080").
  std::string host;

  // Throws std::invalid_argument naming a bad value.
  void validate() const;
};

struct client_options : client_connection_options {
  // Connections open (or being opened) at once; past it acquire() waits for one to come back.
  std::size_t max_connections = 64;
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(5)};

  // Throws std::invalid_argument naming a bad value.
  void validate() const;
};

}  // namespace percore::net::http
