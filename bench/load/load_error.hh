// load_error: the ways an answer can be wrong although the connection worked (bytes that were
// not echoed), as std::error_code values of category "percore.load".
#pragma once

#include <system_error>
#include <type_traits>

namespace percore::load {

enum class load_errc {
  // The echo server sent back bytes other than those sent.
  wrong_echo = 1,
};

const std::error_category& load_category() noexcept;

inline std::error_code make_error_code(load_errc error) noexcept {
  return {static_cast<int>(error), load_category()};
}

}  // namespace percore::load

template <>
struct std::is_error_code_enum<percore::load::load_errc> : std::true_type {};
