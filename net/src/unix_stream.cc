// unix_stream: what only Unix-domain streams have, the peer's credentials.
#include <percore/net/unix_stream.hh>

#include <cerrno>

namespace percore::net {

result<ucred> unix_stream::peer_credentials() const noexcept {
  ucred credentials{};
  socklen_t size = sizeof credentials;
  if (::getsockopt(native_handle(), SOL_SOCKET, SO_PEERCRED, &credentials, &size) < 0) {
    return error_from_errno(errno);
  }
  return credentials;
}

}  // namespace percore::net
