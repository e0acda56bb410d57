// http::server: HTTP/1.1 on a shard's connections (keep-alive, pipelining, chunked bodies,
// 100-continue, per-connection limits and timeouts, graceful stop), routing to handlers.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>

#include <boost/intrusive/list.hpp>

#include <percore/engine/event.hh>
#include <percore/engine/spawn.hh>
#include <percore/engine/task.hh>
#include <percore/engine/timer.hh>
#include <percore/engine/timer_set.hh>
#include <percore/net/http/body_decoder.hh>
#include <percore/net/http/exchange.hh>
#include <percore/net/http/limits.hh>
#include <percore/net/http/parse_error.hh>
#include <percore/net/http/request_parser.hh>
#include <percore/net/http/router.hh>
#include <percore/net/input_stream.hh>
#include <percore/net/output_stream.hh>
#include <percore/net/tcp_stream.hh>

namespace percore::net::http {

struct server_options {
  http::limits limits;
  // A keep-alive connection with no request under way is closed after this long.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};
  // From the first byte of a request to the end of its body; past it the connection closes.
  std::chrono::milliseconds request_timeout{std::chrono::seconds(30)};
  // Each connection's buffers, taken once from the shard's pool. The input buffer must hold a
  // whole head (limits.max_header_bytes); responses batch in the output buffer until the
  // pipelined requests already received are answered.
  std::size_t input_buffer = 32 * 1024;
  std::size_t output_buffer = 16 * 1024;

  // Throws std::invalid_argument naming a bad value.
  void validate() const;
};

// Counters of one server (one shard); plain integers, read on the server's shard.
struct server_stats {
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_open = 0;
  std::uint64_t requests = 0;
  std::uint64_t bad_requests = 0;    // refused by the parser: 400, 413, 414, 431, 501, 505
  std::uint64_t timeouts = 0;        // connections closed by the idle or request timeout
  std::uint64_t handler_errors = 0;  // handlers that threw (answered 500 when still possible)
};

using handler = std::function<task<void>(exchange&)>;

class server {
 public:
  explicit server(server_options options = {});
  server(const server&) = delete;
  server& operator=(const server&) = delete;
  // Call stop() and await it first: connections refer to the server.
  ~server();

  // Routes (at start-up; they allocate). HEAD is served by GET's handler when a path has no
  // HEAD of its own, with the body left out. Throws std::invalid_argument for a bad method or
  // path, or a method registered twice on a path.
  server& route(std::string_view method, std::string_view path, handler serve);
  server& route_prefix(std::string_view method, std::string_view prefix, handler serve);

  // Serves every connection `listener` accepts, each as a task of its own, until stop().
  task<void> serve(tcp_listener& listener);
  // Serves one connection (accepted here, or handed over from another shard) until the peer
  // closes, misbehaves or times out, or stop() ends it. Spawn it as a task of its own: a
  // timeout or stop() cancels the task that runs it.
  task<void> serve_connection(tcp_stream connection);

  // Graceful stop: no new connection is accepted; idle connections close now; a connection in
  // the middle of a request finishes it, answers with "Connection: close" and closes. Returns
  // once every connection has ended.
  task<void> stop();
  bool stopping() const noexcept { return stopping_; }

  const server_stats& stats() const noexcept { return stats_; }
  const server_options& options() const noexcept { return options_; }

 private:
  // One connection being served: in the list so that stop() can end the idle ones; its
  // deadline timer ends it when the peer is too slow. The timer stays armed for a deadline and,
  // when it fires early, is re-armed for the current one: pushing the deadline back at every
  // request then costs a store, not a timer operation.
  struct connection : boost::intrusive::list_base_hook<>, percore::detail::timer_entry {
    percore::detail::promise_base* task = nullptr;
    bool idle = false;  // waiting for the first byte of a request
    bool timed_out = false;
    timer_set::clock::time_point current_deadline;

    void extend_to(timer_set::clock::time_point deadline) noexcept;
    static void on_deadline(percore::detail::timer_entry& entry) noexcept;
  };
  using connection_list =
      boost::intrusive::list<connection, boost::intrusive::constant_time_size<false>>;

  task<void> run_connection(tcp_stream& stream, connection& self);
  task<void> serve_requests(input_stream<tcp_stream>& in, output_stream<tcp_stream>& out,
                            connection& self);
  void forget(connection& self) noexcept;

  server_options options_;
  router<handler> routes_;
  server_stats stats_;
  bool stopping_ = false;
  std::optional<join_handle<void>> acceptor_;
  connection_list connections_;
  event all_closed_;
};

}  // namespace percore::net::http
