// The options percore-echo and percore-httpd share besides the shard flags: the port, and how
// connections reach the shards (each shard's own SO_REUSEPORT listener, or one shard handing out).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace percore::daemons {

enum class accept_mode { reuse_port, balanced };

struct daemon_options {
  std::uint16_t port = 8080;
  accept_mode accept = accept_mode::reuse_port;
  // argv[0] and the standard shard flags, for percore::run.
  std::vector<char*> shard_arguments;
};

// Parses --port N and --accept reuse-port|balanced; the shard flags are passed through.
// Throws std::invalid_argument with one line naming the bad argument and what is accepted.
daemon_options parse_daemon_options(int argc, char** argv, std::uint16_t default_port);

}  // namespace percore::daemons
