// resolve: getaddrinfo wrapped so that every failure, an unknown host included, is an error
// value, and the result list is freed on every path.
#include <percore/net/resolve.hh>

#include <netdb.h>

#include <cerrno>
#include <memory>
#include <string>

#include <percore/net/address_error.hh>

namespace percore::net {

result<std::vector<socket_address>> resolve(std::string_view host, std::uint16_t port,
                                            int family) {
  if (host.empty() || host.find('\0') != std::string_view::npos) {
    return std::error_code(EAI_NONAME, resolver_category());
  }
  addrinfo hints{};
  hints.ai_family = family;
  // One entry per address rather than one per socket type.
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  const int status = ::getaddrinfo(std::string(host).c_str(), service.c_str(), &hints, &found);
  if (status == EAI_SYSTEM) return error_from_errno(errno);
  if (status != 0) return std::error_code(status, resolver_category());
  const std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owned(found, &::freeaddrinfo);

  std::vector<socket_address> addresses;
  for (const addrinfo* entry = found; entry != nullptr; entry = entry->ai_next) {
    result<socket_address> address = socket_address::from_native(entry->ai_addr, entry->ai_addrlen);
    if (address) addresses.push_back(address.value());
  }
  if (addresses.empty()) return std::error_code(EAI_NODATA, resolver_category());
  return addresses;
}

}  // namespace percore::net
