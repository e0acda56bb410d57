// load_plan: what every shard is told about the run: the options, the address that answered,
// which connections are its own, and when the warm-up and the window begin and end.
#pragma once

#include <chrono>
#include <cstddef>

#include <percore/net/socket_address.hh>

#include "load_options.hh"

namespace percore::load {

struct load_plan {
  load_options options;
  // The first of the target's addresses that accepted a connection.
  net::socket_address address;
};

// Connections first .. first + count - 1 of the run's numbering (which the open-loop schedule
// staggers by).
struct connection_range {
  std::size_t first = 0;
  std::size_t count = 0;
};

// An even split: each of the `shards` shards gets connections / shards, and the first
// connections % shards get one more.
connection_range shard_connections(std::size_t connections, unsigned shards,
                                   unsigned shard) noexcept;

struct load_timeline {
  using clock = std::chrono::steady_clock;
  // The first requests go out (the warm-up begins); the open-loop schedule counts from here.
  clock::time_point start;
  // The measured window: start + warm-up .. + duration.
  clock::time_point window_begin;
  clock::time_point window_end;
};

load_timeline timeline_starting_at(const load_options& options,
                                   load_timeline::clock::time_point start) noexcept;

}  // namespace percore::load
