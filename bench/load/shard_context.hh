// shard_context: what the load connections of one shard share: where to connect, the pacing,
// the measurements, the shard's receive buffers, and the signals that start and stop them.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <system_error>

#include <percore/engine/event.hh>
#include <percore/net/receive_buffers.hh>
#include <percore/net/socket_address.hh>

#include "request_pacing.hh"
#include "shard_measurements.hh"

namespace percore::load {

struct shard_context {
  net::socket_address address;
  std::chrono::nanoseconds timeout{};
  request_pacing pacing;
  shard_measurements measurements;
  // One group for all the shard's connections (a multishot receive each): none when the shard
  // has no connection.
  std::optional<net::receive_buffers> receive_buffers;
  // Set when the clock starts: connections are opened before it, and wait here.
  event started;
  // Set once the run is over: a connection that fails then is not an error, and not reopened.
  bool stopping = false;

  // Tells open() when every connection has tried once, and how that went.
  std::size_t first_attempts_left = 0;
  std::size_t first_attempts_failed = 0;
  std::error_code first_failure;
  event all_attempted;

  void first_attempt_made(std::error_code failure) noexcept {
    if (failure) {
      ++first_attempts_failed;
      if (!first_failure) first_failure = failure;
    }
    if (--first_attempts_left == 0) all_attempted.set();
  }
};

}  // namespace percore::load
