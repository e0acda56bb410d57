// socket_address: an IPv4, IPv6 or Unix-domain (path or abstract) socket address held by value,
// parsed from and printed as text ("127.0.0.1:80", "[::1]:80", "unix:/run/x", "unix:@name").
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include <percore/io/result.hh>

namespace percore::net {

class socket_address {
 public:
  // An empty address (family AF_UNSPEC, size 0): what an unnamed Unix peer has.
  socket_address() noexcept;

  static socket_address ipv4(std::array<std::uint8_t, 4> octets, std::uint16_t port) noexcept;
  static socket_address ipv4_loopback(std::uint16_t port) noexcept;  // 127.0.0.1
  static socket_address ipv4_any(std::uint16_t port) noexcept;       // 0.0.0.0
  static socket_address ipv6(const std::array<std::uint8_t, 16>& bytes, std::uint16_t port,
                             std::uint32_t scope_id = 0) noexcept;
  static socket_address ipv6_loopback(std::uint16_t port) noexcept;  // ::1
  static socket_address ipv6_any(std::uint16_t port) noexcept;       // ::

  // A filesystem path (at most 107 bytes, no NUL), or a name in Linux's abstract namespace
  // (at most 107 bytes, any bytes; it vanishes with the last socket using it). Too long or
  // empty: address_errc::malformed.
  static result<socket_address> unix_path(std::string_view path);
  static result<socket_address> unix_abstract(std::string_view name);

  // "1.2.3.4:80", "[::1]:80", "[fe80::1%2]:80" or "[fe80::1%eth0]:80" (scope by index or
  // interface name), "unix:/path", "unix:@abstract". Host names are not looked up here (see
  // resolve). Anything else, including a missing or out-of-range port: malformed_address.
  static result<socket_address> parse(std::string_view text);

  // Copies an address the kernel filled in (accept, recvfrom, getsockname). Unknown families
  // and sizes too small for their family: malformed_address.
  static result<socket_address> from_native(const sockaddr* address, socklen_t size) noexcept;

  int family() const noexcept { return storage_.ss_family; }
  // The port for IPv4 and IPv6, 0 for Unix and empty addresses.
  std::uint16_t port() const noexcept;
  bool is_ip() const noexcept { return family() == AF_INET || family() == AF_INET6; }
  bool is_unix() const noexcept { return family() == AF_UNIX; }
  bool is_abstract() const noexcept;
  // The path or the abstract name (without its leading NUL) of a Unix address; empty otherwise.
  std::string_view unix_name() const noexcept;

  // The text parse() accepts ("unix:" for an unnamed Unix peer, "" for an empty address).
  std::string to_string() const;

  const sockaddr* native() const noexcept { return reinterpret_cast<const sockaddr*>(&storage_); }
  socklen_t native_size() const noexcept { return size_; }

  friend bool operator==(const socket_address& left, const socket_address& right) noexcept;

 private:
  sockaddr_storage storage_;
  socklen_t size_ = 0;
};

}  // namespace percore::net
