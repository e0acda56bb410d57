// udp_socket: a UDP socket over IPv4 or IPv6, bound to an address (port 0 for a client: the
// kernel picks one).
#pragma once

#include <sys/socket.h>

#include <system_error>
#include <utility>

#include <percore/io/result.hh>
#include <percore/net/datagram_socket.hh>
#include <percore/net/socket_address.hh>

namespace percore::net {

class udp_socket : public datagram_socket {
 public:
  using datagram_socket::datagram_socket;

  // A Unix address is address_family_not_supported; a port in use is EADDRINUSE.
  static result<udp_socket> bind(const socket_address& address) {
    if (!address.is_ip()) return std::errc::address_family_not_supported;
    result<socket_handle> bound = open_bound(address);
    if (!bound) return bound.error();
    return udp_socket(bound.value().release());
  }
};

}  // namespace percore::net
