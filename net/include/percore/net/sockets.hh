// percore sockets in one include: addresses and name resolution, TCP and Unix streams and
// listeners, connect, UDP and Unix datagram sockets.
#pragma once

#include <percore/net/connect.hh>
#include <percore/net/datagram_socket.hh>
#include <percore/net/address_error.hh>
#include <percore/net/resolve.hh>
#include <percore/net/socket_address.hh>
#include <percore/net/socket_handle.hh>
#include <percore/net/stream_listener.hh>
#include <percore/net/stream_socket.hh>
#include <percore/net/tcp_stream.hh>
#include <percore/net/udp_socket.hh>
#include <percore/net/unix_datagram_socket.hh>
#include <percore/net/unix_stream.hh>
