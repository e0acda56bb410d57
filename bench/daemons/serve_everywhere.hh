// serve_everywhere: runs a per-shard service's serve_connection(tcp_stream) for every connection
// to a port, on every shard, until the program is asked to stop (SIGINT, SIGTERM); then stops
// the service on each shard, which finishes or ends its connections.
#pragma once

#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>

#include <percore/engine/event.hh>
#include <percore/engine/spawn.hh>
#include <percore/engine/task.hh>
#include <percore/engine/timer.hh>
#include <percore/net/balanced_acceptor.hh>
#include <percore/net/tcp_stream.hh>
#include <percore/shards/launch.hh>
#include <percore/shards/sharded.hh>
#include <percore/shards/submit_to.hh>

#include "daemon_options.hh"

namespace percore::daemons {

// One shard's part: the service, and the listener and accept loop when this shard accepts.
template <class Service>
struct shard_front {
  explicit shard_front(std::uint16_t receive_buffers) : receive_buffer_count(receive_buffers) {}

  // Serves a connection accepted here or handed to this shard, receiving through the shard's
  // provided buffers when the daemon uses them (made on first use, on this shard's engine).
  task<void> serve(net::tcp_stream connection) {
    if (receive_buffer_count != 0) {
      if (!receiving) receiving.emplace(receive_buffer_count, receive_buffer_size);
      connection.use_receive_buffers(*receiving);
    }
    return service.serve_connection(std::move(connection));
  }

  static constexpr std::uint32_t receive_buffer_size = 2048;

  Service service;
  std::uint16_t receive_buffer_count;
  std::optional<net::receive_buffers> receiving;
  std::optional<net::tcp_listener> listener;
  std::optional<join_handle<void>> accepting;
  // On the accepting shard of --accept balanced: it outlives the connections it counts, as
  // shard 0's part is stopped last.
  std::unique_ptr<net::connection_counts> counts;

  task<void> stop_accepting() {
    if (!accepting) co_return;
    accepting->cancel();
    co_await *accepting;
    accepting.reset();
  }

  task<void> stop() {
    co_await stop_accepting();
    co_await service.stop();
    // The counts go with this front: wait until every connection handed out, on any shard,
    // has counted itself closed. A service's stop returns when its connections are done with
    // it, a moment before their tasks end.
    while (counts && !all_closed(*counts)) co_await sleep_for(std::chrono::milliseconds(1));
  }

  static bool all_closed(const net::connection_counts& open) noexcept {
    for (unsigned shard = 0; shard < shard_count(); ++shard) {
      if (open.open_on(shard) != 0) return false;
    }
    return true;
  }
};

template <class Service>
task<void> accept_here(shard_front<Service>& front) {
  for (;;) {
    result<net::tcp_stream> accepted = co_await front.listener->accept();
    if (!accepted) {
      if (accepted.error() == std::errc::operation_canceled) co_return;
      continue;
    }
    spawn(front.serve(std::move(accepted.value()))).detach();
  }
}

// Main of a daemon (run it with percore::run): binds `options.port` on 127.0.0.1, prints
// "listening on 127.0.0.1:PORT" to stderr, serves until stopped. A port in use is one line
// and exit code 1.
template <class Service>
task<int> serve_everywhere(const char* name, const daemon_options& options,
                           sharded<shard_front<Service>>& fronts) {
  const net::socket_address address = net::socket_address::ipv4_loopback(options.port);
  // SO_REUSEPORT would let the listeners share the port with another program's: a plain bind
  // first makes a port in use an error.
  {
    net::listen_options exclusive;
    exclusive.reuse_port = false;
    result<net::tcp_listener> probe = net::tcp_listener::bind(address, exclusive);
    if (!probe) {
      std::fprintf(stderr, "%s: cannot listen on %s: %s\n", name, address.to_string().c_str(),
                   probe.error().message().c_str());
      co_return 1;
    }
    (void)co_await probe->close();
  }
  co_await fronts.start(options.receive_buffers);
  std::optional<std::error_code> bind_error;
  if (options.accept == accept_mode::reuse_port) {
    auto listen_here = [&fronts, &address]() -> std::error_code {
      shard_front<Service>& front = fronts.local();
      result<net::tcp_listener> bound = net::tcp_listener::bind(address);
      if (!bound) return bound.error();
      front.listener.emplace(std::move(bound.value()));
      front.accepting.emplace(spawn(accept_here(front)));
      return {};
    };
    for (unsigned shard = 0; shard < shard_count() && !bind_error; ++shard) {
      const std::error_code error = co_await submit_to(shard, listen_here);
      if (error) bind_error = error;
    }
  } else {
    shard_front<Service>& front = fronts.local();
    result<net::tcp_listener> bound = net::tcp_listener::bind(address);
    if (!bound) {
      bind_error = bound.error();
    } else {
      front.listener.emplace(std::move(bound.value()));
      front.counts = std::make_unique<net::connection_counts>(shard_count());
      auto serve_on_its_shard = [&fronts](net::tcp_stream connection) -> task<void> {
        return fronts.local().serve(std::move(connection));
      };
      front.accepting.emplace(
          spawn(net::accept_balanced(*front.listener, *front.counts, serve_on_its_shard)));
    }
  }
  if (bind_error) {
    std::fprintf(stderr, "%s: cannot listen on %s: %s\n", name, address.to_string().c_str(),
                 bind_error->message().c_str());
    co_return 1;
  }
  std::fprintf(stderr, "listening on %s\n", address.to_string().c_str());
  // Until SIGINT or SIGTERM cancels this task; the launch then stops the service on every shard.
  event never;
  (void)co_await never.wait();
  // First no shard accepts any more: with --accept balanced, shard 0 hands connections to the
  // others, which must still be serving when one arrives. (submit_to completes even in this
  // cancelled task.)
  auto stop_accepting_here = [&fronts]() { return fronts.local().stop_accepting(); };
  for (unsigned shard = 0; shard < shard_count(); ++shard) {
    co_await submit_to(shard, stop_accepting_here);
  }
  co_return 0;
}

// The whole main() of a daemon: its options, then serve_everywhere on the shards. A bad
// argument is one line and exit code 2.
template <class Service>
int daemon_main(int argc, char** argv, const char* name, const daemon_options& defaults,
                sharded<shard_front<Service>>& fronts) {
  daemon_options options;
  try {
    options = parse_daemon_options(argc, argv, defaults);
  } catch (const std::invalid_argument& error) {
    std::fprintf(stderr, "%s: %s\n", name, error.what());
    return 2;
  }
  auto main_task = [&]() { return serve_everywhere(name, options, fronts); };
  const int code = run(static_cast<int>(options.shard_arguments.size()),
                       options.shard_arguments.data(), main_task);
  // A daemon asked to stop that stopped cleanly succeeded, as nginx and the peers report it;
  // the launch says 128 + the signal's number.
  return code == 128 + SIGINT || code == 128 + SIGTERM ? 0 : code;
}

}  // namespace percore::daemons
