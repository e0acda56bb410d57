// Errors about addresses besides errno's: a malformed socket address, and getaddrinfo's EAI_*
// codes, each with a message that says what went wrong.
#pragma once

#include <system_error>
#include <type_traits>

namespace percore::net {

enum class address_errc {
  // Text or a value that is no usable socket address; compares equal to
  // std::errc::invalid_argument.
  malformed = 1,
};

const std::error_category& address_category() noexcept;

// getaddrinfo's codes (EAI_NONAME, EAI_AGAIN, ...), with gai_strerror's messages.
const std::error_category& resolver_category() noexcept;

inline std::error_code make_error_code(address_errc error) noexcept {
  return {static_cast<int>(error), address_category()};
}

}  // namespace percore::net

template <>
struct std::is_error_code_enum<percore::net::address_errc> : std::true_type {};
