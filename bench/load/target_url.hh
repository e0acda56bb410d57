// target_url: what percore-load drives, parsed from tcp://HOST:PORT (echo) or
// http://HOST[:PORT][/PATH] (HTTP/1.1 GET), with a one-line error naming what is wrong.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace percore::load {

enum class target_protocol { echo, http };

struct target_url {
  target_protocol protocol = target_protocol::echo;
  // A name, an IPv4 address, or an IPv6 address without its brackets.
  std::string host;
  std::uint16_t port = 0;
  // The HTTP request target, "/" when the URL has none; empty for echo.
  std::string path;
};

// Throws std::invalid_argument with one line: "percore-load: bad URL '...': <what is wrong>
// (accepted: ...)". An http URL without a port means port 80; a tcp URL needs its port.
target_url parse_target_url(std::string_view text);

// The URL back in its canonical form (brackets around an IPv6 host, the port always written).
std::string to_string(const target_url& target);

}  // namespace percore::load
