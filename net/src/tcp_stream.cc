// tcp_stream: the TCP-level socket options, set with plain setsockopt calls.
#include <percore/net/tcp_stream.hh>

#include <netinet/in.h>
#include <netinet/tcp.h>

namespace percore::net {

result<void> tcp_stream::set_nodelay(bool enabled) noexcept {
  return set_option(IPPROTO_TCP, TCP_NODELAY, enabled ? 1 : 0);
}

result<void> tcp_stream::set_keepalive(bool enabled) noexcept {
  return set_option(SOL_SOCKET, SO_KEEPALIVE, enabled ? 1 : 0);
}

result<void> tcp_stream::set_keepalive(const keepalive_options& options) noexcept {
  if (auto set = set_option(IPPROTO_TCP, TCP_KEEPIDLE, static_cast<int>(options.idle.count()));
      !set) {
    return set;
  }
  if (auto set =
          set_option(IPPROTO_TCP, TCP_KEEPINTVL, static_cast<int>(options.interval.count()));
      !set) {
    return set;
  }
  if (auto set = set_option(IPPROTO_TCP, TCP_KEEPCNT, options.count); !set) return set;
  return set_keepalive(true);
}

}  // namespace percore::net
