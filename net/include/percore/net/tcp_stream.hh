// tcp_stream and tcp_listener: TCP connections over IPv4 and IPv6, a stream_socket plus the
// TCP options (Nagle, keepalive).
#pragma once

#include <sys/socket.h>

#include <chrono>

#include <percore/io/result.hh>
#include <percore/net/stream_listener.hh>
#include <percore/net/stream_socket.hh>

namespace percore::net {

struct keepalive_options {
  std::chrono::seconds idle{7200};     // TCP_KEEPIDLE: silence before the first probe
  std::chrono::seconds interval{75};   // TCP_KEEPINTVL: between unanswered probes
  int count = 9;                       // TCP_KEEPCNT: unanswered probes before the connection dies
};

class tcp_stream : public stream_socket {
 public:
  using stream_socket::stream_socket;

  static constexpr bool supports_family(int family) noexcept {
    return family == AF_INET || family == AF_INET6;
  }

  // TCP_NODELAY: send small writes at once instead of waiting to coalesce them (Nagle).
  result<void> set_nodelay(bool enabled) noexcept;
  // SO_KEEPALIVE with the system's timings, or with these (the kernel refuses values out of
  // its ranges, e.g. idle above 32767 s, with invalid_argument).
  result<void> set_keepalive(bool enabled) noexcept;
  result<void> set_keepalive(const keepalive_options& options) noexcept;

  // Zero-copy writes from `bytes` up (0, the default: never); see stream_socket. Meant for large
  // writes to a network card: on loopback they cost more than they save (docs/net.md).
  using stream_socket::set_zero_copy_threshold;
  using stream_socket::zero_copy_threshold;
};

using tcp_listener = stream_listener<tcp_stream>;

}  // namespace percore::net
