// socket_address: construction, parsing and printing of IPv4, IPv6 and Unix-domain addresses.
// Parsing never throws and never reads past its input: bad text is a malformed_address value.
#include <percore/net/socket_address.hh>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstring>

#include <percore/net/address_error.hh>

namespace percore::net {
namespace {

constexpr std::size_t unix_path_offset = offsetof(sockaddr_un, sun_path);
// Room for a name in sun_path: a path needs its terminating NUL, an abstract name its leading one.
constexpr std::size_t unix_name_capacity = sizeof(sockaddr_un::sun_path) - 1;
constexpr std::string_view unix_prefix = "unix:";

std::error_code malformed() noexcept { return make_error_code(address_errc::malformed); }

template <class Native>
Native& as(sockaddr_storage& storage) noexcept {
  return *reinterpret_cast<Native*>(&storage);
}
template <class Native>
const Native& as(const sockaddr_storage& storage) noexcept {
  return *reinterpret_cast<const Native*>(&storage);
}

result<std::uint16_t> parse_port(std::string_view text) {
  const bool digits_only = !text.empty() && text.size() <= 5 &&
                           std::all_of(text.begin(), text.end(),
                                       [](char c) { return c >= '0' && c <= '9'; });
  unsigned value = 0;
  if (!digits_only ||
      std::from_chars(text.data(), text.data() + text.size(), value).ec != std::errc{} ||
      value > 65535) {
    return malformed();
  }
  return static_cast<std::uint16_t>(value);
}

// inet_pton and if_nametoindex want NUL-terminated text; every valid host part fits here.
struct terminated_text {
  std::array<char, 64> characters{};
  bool fits = false;
  explicit terminated_text(std::string_view text) noexcept
      : fits(text.size() < characters.size() && text.find('\0') == std::string_view::npos) {
    if (fits) std::memcpy(characters.data(), text.data(), text.size());
  }
  const char* c_str() const noexcept { return characters.data(); }
};

result<std::uint32_t> parse_scope(std::string_view scope) {
  if (scope.empty()) return malformed();
  if (std::all_of(scope.begin(), scope.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    std::uint32_t index = 0;
    const auto [end, error] = std::from_chars(scope.data(), scope.data() + scope.size(), index);
    if (error != std::errc{} || end != scope.data() + scope.size()) {
      return malformed();
    }
    return index;
  }
  const terminated_text name(scope);
  const unsigned index = name.fits ? ::if_nametoindex(name.c_str()) : 0;
  if (index == 0) return malformed();
  return index;
}

result<socket_address> parse_ipv6(std::string_view text) {
  const std::size_t close = text.find(']');
  if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
    return malformed();
  }
  const result<std::uint16_t> port = parse_port(text.substr(close + 2));
  if (!port) return port.error();
  std::string_view host = text.substr(1, close - 1);
  std::uint32_t scope_id = 0;
  if (const std::size_t percent = host.find('%'); percent != std::string_view::npos) {
    const result<std::uint32_t> scope = parse_scope(host.substr(percent + 1));
    if (!scope) return scope.error();
    scope_id = scope.value();
    host = host.substr(0, percent);
  }
  const terminated_text terminated(host);
  std::array<std::uint8_t, 16> bytes{};
  if (!terminated.fits || ::inet_pton(AF_INET6, terminated.c_str(), bytes.data()) != 1) {
    return malformed();
  }
  return socket_address::ipv6(bytes, port.value(), scope_id);
}

result<socket_address> parse_ipv4(std::string_view text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return malformed();
  const result<std::uint16_t> port = parse_port(text.substr(colon + 1));
  if (!port) return port.error();
  const terminated_text host(text.substr(0, colon));
  std::array<std::uint8_t, 4> octets{};
  if (!host.fits || ::inet_pton(AF_INET, host.c_str(), octets.data()) != 1) {
    return malformed();
  }
  return socket_address::ipv4(octets, port.value());
}

}  // namespace

socket_address::socket_address() noexcept : storage_{} {}

socket_address socket_address::ipv4(std::array<std::uint8_t, 4> octets,
                                    std::uint16_t port) noexcept {
  socket_address address;
  auto& native = as<sockaddr_in>(address.storage_);
  native.sin_family = AF_INET;
  native.sin_port = htons(port);
  std::memcpy(&native.sin_addr, octets.data(), octets.size());
  address.size_ = sizeof(sockaddr_in);
  return address;
}

socket_address socket_address::ipv4_loopback(std::uint16_t port) noexcept {
  return ipv4({127, 0, 0, 1}, port);
}

socket_address socket_address::ipv4_any(std::uint16_t port) noexcept {
  return ipv4({0, 0, 0, 0}, port);
}

socket_address socket_address::ipv6(const std::array<std::uint8_t, 16>& bytes, std::uint16_t port,
                                    std::uint32_t scope_id) noexcept {
  socket_address address;
  auto& native = as<sockaddr_in6>(address.storage_);
  native.sin6_family = AF_INET6;
  native.sin6_port = htons(port);
  native.sin6_scope_id = scope_id;
  std::memcpy(&native.sin6_addr, bytes.data(), bytes.size());
  address.size_ = sizeof(sockaddr_in6);
  return address;
}

socket_address socket_address::ipv6_loopback(std::uint16_t port) noexcept {
  std::array<std::uint8_t, 16> loopback{};
  loopback[15] = 1;
  return ipv6(loopback, port);
}

socket_address socket_address::ipv6_any(std::uint16_t port) noexcept { return ipv6({}, port); }

result<socket_address> socket_address::unix_path(std::string_view path) {
  if (path.empty() || path.size() > unix_name_capacity ||
      path.find('\0') != std::string_view::npos) {
    return malformed();
  }
  socket_address address;
  auto& native = as<sockaddr_un>(address.storage_);
  native.sun_family = AF_UNIX;
  std::memcpy(native.sun_path, path.data(), path.size());
  // With the terminating NUL, as the kernel reports a bound path back (getsockname).
  address.size_ = static_cast<socklen_t>(unix_path_offset + path.size() + 1);
  return address;
}

result<socket_address> socket_address::unix_abstract(std::string_view name) {
  if (name.empty() || name.size() > unix_name_capacity) return malformed();
  socket_address address;
  auto& native = as<sockaddr_un>(address.storage_);
  native.sun_family = AF_UNIX;
  std::memcpy(native.sun_path + 1, name.data(), name.size());
  // The size delimits an abstract name: no terminator, every byte counts.
  address.size_ = static_cast<socklen_t>(unix_path_offset + 1 + name.size());
  return address;
}

result<socket_address> socket_address::parse(std::string_view text) {
  if (text.starts_with(unix_prefix)) {
    const std::string_view name = text.substr(unix_prefix.size());
    if (name.starts_with('@')) return unix_abstract(name.substr(1));
    return unix_path(name);
  }
  if (text.starts_with('[')) return parse_ipv6(text);
  return parse_ipv4(text);
}

result<socket_address> socket_address::from_native(const sockaddr* native,
                                                   socklen_t size) noexcept {
  socket_address address;
  if (native == nullptr || size < sizeof(sa_family_t)) return malformed();
  switch (native->sa_family) {
    case AF_INET:
      if (size < sizeof(sockaddr_in)) return malformed();
      size = sizeof(sockaddr_in);
      break;
    case AF_INET6:
      if (size < sizeof(sockaddr_in6)) return malformed();
      size = sizeof(sockaddr_in6);
      break;
    case AF_UNIX:
      if (size > sizeof(sockaddr_un)) return malformed();
      break;
    default: return malformed();
  }
  std::memcpy(&address.storage_, native, size);
  address.size_ = size;
  return address;
}

std::uint16_t socket_address::port() const noexcept {
  switch (family()) {
    case AF_INET: return ntohs(as<sockaddr_in>(storage_).sin_port);
    case AF_INET6: return ntohs(as<sockaddr_in6>(storage_).sin6_port);
    default: return 0;
  }
}

bool socket_address::is_abstract() const noexcept {
  return is_unix() && size_ > unix_path_offset && as<sockaddr_un>(storage_).sun_path[0] == '\0';
}

std::string_view socket_address::unix_name() const noexcept {
  if (!is_unix() || size_ <= unix_path_offset) return {};
  const char* path = as<sockaddr_un>(storage_).sun_path;
  const std::size_t length = size_ - unix_path_offset;
  if (path[0] == '\0') return {path + 1, length - 1};
  return {path, ::strnlen(path, length)};
}

std::string socket_address::to_string() const {
  std::array<char, INET6_ADDRSTRLEN> host{};
  switch (family()) {
    case AF_INET:
      ::inet_ntop(AF_INET, &as<sockaddr_in>(storage_).sin_addr, host.data(), host.size());
      return std::string(host.data()) + ':' + std::to_string(port());
    case AF_INET6: {
      const auto& native = as<sockaddr_in6>(storage_);
      ::inet_ntop(AF_INET6, &native.sin6_addr, host.data(), host.size());
      std::string text = std::string("[") + host.data();
      if (native.sin6_scope_id != 0) text += '%' + std::to_string(native.sin6_scope_id);
      return text + "]:" + std::to_string(port());
    }
    case AF_UNIX:
      return std::string(unix_prefix) + (is_abstract() ? "@" : "") + std::string(unix_name());
    default: return {};
  }
}

bool operator==(const socket_address& left, const socket_address& right) noexcept {
  if (left.family() != right.family()) return false;
  switch (left.family()) {
    case AF_INET: {
      const auto& a = as<sockaddr_in>(left.storage_);
      const auto& b = as<sockaddr_in>(right.storage_);
      return a.sin_port == b.sin_port && a.sin_addr.s_addr == b.sin_addr.s_addr;
    }
    case AF_INET6: {
      const auto& a = as<sockaddr_in6>(left.storage_);
      const auto& b = as<sockaddr_in6>(right.storage_);
      return a.sin6_port == b.sin6_port && a.sin6_scope_id == b.sin6_scope_id &&
             std::memcmp(&a.sin6_addr, &b.sin6_addr, sizeof a.sin6_addr) == 0;
    }
    case AF_UNIX:
      return left.is_abstract() == right.is_abstract() && left.unix_name() == right.unix_name();
    default: return true;
  }
}

}  // namespace percore::net
