// connect: opens a stream socket and connects it to an address, optionally within a deadline;
// refusal, timeout and every other failure come back as values.
#pragma once

#include <chrono>
#include <optional>
#include <system_error>
#include <utility>

#include <percore/engine/task.hh>
#include <percore/io/result.hh>
#include <percore/net/socket_address.hh>
#include <percore/net/socket_handle.hh>
#include <percore/net/tcp_stream.hh>

namespace percore::net {

namespace detail {
// The connected descriptor; the attempt is cancelled in the kernel when the deadline passes.
task<result<socket_handle>> connect_stream(socket_address address,
                                           std::optional<std::chrono::nanoseconds> timeout);

template <class Stream>
task<result<Stream>> connect_as(socket_address address,
                                std::optional<std::chrono::nanoseconds> timeout) {
  if (!Stream::supports_family(address.family())) {
    co_return std::errc::address_family_not_supported;
  }
  task<result<socket_handle>> attempt = connect_stream(std::move(address), timeout);
  result<socket_handle> connected = co_await std::move(attempt);
  if (!connected) co_return connected.error();
  co_return Stream(connected.value().release());
}
}  // namespace detail

// A connection to `address` (tcp_stream for IPv4/IPv6, or connect<unix_stream> for a Unix
// address). No listener: connection_refused. No answer within `timeout`: timed_out (the attempt
// is cancelled, and the socket closed). Write net::connect: unqualified, a call in the global
// namespace finds ::connect.
template <class Stream = tcp_stream>
task<result<Stream>> connect(socket_address address, std::chrono::nanoseconds timeout) {
  return detail::connect_as<Stream>(std::move(address), timeout);
}

// Without a deadline of its own: the kernel gives up after its SYN retries (about two minutes).
template <class Stream = tcp_stream>
task<result<Stream>> connect(socket_address address) {
  return detail::connect_as<Stream>(std::move(address), std::nullopt);
}

}  // namespace percore::net
