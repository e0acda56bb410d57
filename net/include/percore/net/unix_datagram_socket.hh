// unix_datagram_socket: a Unix-domain datagram socket bound to a path or an abstract name;
// messages keep their boundaries and are never reordered or lost in the local kernel.
#pragma once

#include <system_error>
#include <utility>

#include <percore/io/result.hh>
#include <percore/net/datagram_socket.hh>
#include <percore/net/socket_address.hh>

namespace percore::net {

class unix_datagram_socket : public datagram_socket {
 public:
  using datagram_socket::datagram_socket;

  // An IP address is address_family_not_supported; a name in use is EADDRINUSE.
  static result<unix_datagram_socket> bind(const socket_address& address) {
    if (!address.is_unix()) return std::errc::address_family_not_supported;
    result<socket_handle> bound = open_bound(address);
    if (!bound) return bound.error();
    return unix_datagram_socket(bound.value().release());
  }
};

}  // namespace percore::net
