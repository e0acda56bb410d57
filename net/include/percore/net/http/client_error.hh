// The ways an HTTP client exchange fails that are neither the kernel's nor the parser's: the
// connection ended before or inside a response, or the client (the pool) was closed.
#pragma once

#include <system_error>
#include <type_traits>

namespace percore::net::http {

enum class client_errc {
  // The connection ended (end of stream, reset, broken pipe) before any byte of the response:
  // typically a keep-alive connection the server had already closed. The server may not have
  // seen the request, so an idempotent request can be sent again on a new connection.
  closed_before_response = 1,
  // The connection ended in the middle of a response head or body.
  incomplete_response,
  // client::close() was called: no connection is handed out any more.
  client_closed,
};

const std::error_category& client_category() noexcept;

inline std::error_code make_error_code(client_errc error) noexcept {
  return {static_cast<int>(error), client_category()};
}

}  // namespace percore::net::http

template <>
struct std::is_error_code_enum<percore::net::http::client_errc> : std::true_type {};
