// unix_stream and unix_listener: Unix-domain stream connections (a filesystem path or an
// abstract name), the same stream_socket API as TCP plus the peer's credentials.
#pragma once

#include <sys/socket.h>

#include <percore/io/result.hh>
#include <percore/net/stream_listener.hh>
#include <percore/net/stream_socket.hh>

namespace percore::net {

class unix_stream : public stream_socket {
 public:
  using stream_socket::stream_socket;

  static constexpr bool supports_family(int family) noexcept { return family == AF_UNIX; }

  // The process, user and group of the peer as it was when the connection was made
  // (SO_PEERCRED): what a local server checks before it trusts a client.
  result<ucred> peer_credentials() const noexcept;
};

// A listener on a path leaves the socket file behind when closed; remove it before binding the
// path again (binding over an existing file is EADDRINUSE). Abstract names vanish by themselves.
using unix_listener = stream_listener<unix_stream>;

}  // namespace percore::net
