// The address error categories: malformed addresses, and getaddrinfo's EAI_* codes mapped to
// gai_strerror's text.
#include <percore/net/address_error.hh>

#include <netdb.h>

#include <string>

namespace percore::net {
namespace {

class address_error_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "percore.address"; }

  std::string message(int code) const override {
    if (static_cast<address_errc>(code) == address_errc::malformed) {
      return "malformed socket address";
    }
    return "unknown percore.address error " + std::to_string(code);
  }

  std::error_condition default_error_condition(int code) const noexcept override {
    if (static_cast<address_errc>(code) == address_errc::malformed) {
      return std::errc::invalid_argument;
    }
    return {code, *this};
  }
};

class resolver_error_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "percore.resolve"; }

  std::string message(int code) const override {
    return std::string("cannot resolve host: ") + ::gai_strerror(code);
  }

  std::error_condition default_error_condition(int code) const noexcept override {
    switch (code) {
      case EAI_AGAIN: return std::errc::resource_unavailable_try_again;
      case EAI_MEMORY: return std::errc::not_enough_memory;
      case EAI_FAMILY: return std::errc::address_family_not_supported;
      default: return {code, *this};
    }
  }
};

}  // namespace

const std::error_category& address_category() noexcept {
  static const address_error_category category;
  return category;
}

const std::error_category& resolver_category() noexcept {
  static const resolver_error_category category;
  return category;
}

}  // namespace percore::net
