// The options percore-echo and percore-httpd share besides the shard flags: the port, and how
// connections reach the shards (each shard's own SO_REUSEPORT listener, or one shard handing out)
// and how they receive.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace percore::daemons {

enum class accept_mode { reuse_port, balanced };

struct daemon_options {
  std::uint16_t port = 8080;
  accept_mode accept = accept_mode::reuse_port;
  // Provided buffers per shard that connections receive into through a multishot receive, 2 KiB
  // each; 0 receives with one recv per read into the connection's own buffer.
  std::uint16_t receive_buffers = 0;
  // argv[0] and the standard shard flags, for percore::run.
  std::vector<char*> shard_arguments;
};

// Parses --port N, --accept reuse-port|balanced and --receive-buffers N; the shard flags are passed through.
// Throws std::invalid_argument with one line naming the bad argument and what is accepted.
// `defaults` holds the daemon's own port and receive buffers.
daemon_options parse_daemon_options(int argc, char** argv, const daemon_options& defaults);

}  // namespace percore::daemons
