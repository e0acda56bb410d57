// load_run: the whole run, driven from shard 0: finds an address that answers, opens the
// connections on every shard, starts the clock, prints progress, and gathers the figures.
#pragma once

#include <span>

#include <percore/engine/task.hh>
#include <percore/io/result.hh>
#include <percore/net/socket_address.hh>

#include "load_options.hh"
#include "load_report.hh"

namespace percore::load {

// Runs the load of `options` on every shard of the running launch (call it on shard 0), against
// the first of `addresses` that accepts a connection. When no address accepts one, or no
// connection could be opened, the error of the first failure. SIGINT or SIGTERM (which cancel
// this task) end the window early: the figures of the shortened window are returned.
task<result<load_result>> run_load(load_options options,
                                   std::span<const net::socket_address> addresses);

}  // namespace percore::load
