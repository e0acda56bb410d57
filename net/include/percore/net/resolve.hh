// resolve: host name to socket addresses through getaddrinfo, which blocks the calling thread
// (files, DNS): meant for start-up and configuration, never for a shard's hot path.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include <percore/io/result.hh>
#include <percore/net/socket_address.hh>

namespace percore::net {

// The addresses of `host` (a name, or a numeric IPv4/IPv6 address without brackets) with `port`,
// in getaddrinfo's order of preference, one per address. `family` (AF_INET, AF_INET6) narrows
// the answer. An unknown host or a failed lookup is an error in resolver_category(), whose
// message names the cause ("cannot resolve host: Name or service not known").
result<std::vector<socket_address>> resolve(std::string_view host, std::uint16_t port,
                                            int family = AF_UNSPEC);

}  // namespace percore::net
