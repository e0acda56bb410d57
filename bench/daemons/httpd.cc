// percore-httpd: the TechEmpower plaintext test on every shard (GET / answers "Hello, World!")
// and GET /stats, every shard's counters as JSON; --port N, --accept reuse-port|balanced, and
// the shard flags.
#include <cinttypes>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include <percore/engine/task.hh>
#include <percore/net/http/server.hh>
#include <percore/shards/launch.hh>
#include <percore/shards/sharded.hh>
#include <percore/shards/submit_to.hh>

#include "daemon_options.hh"
#include "serve_everywhere.hh"

namespace percore::daemons {
namespace {

using namespace percore::net::http;

class httpd_service;
sharded<shard_front<httpd_service>>* all_fronts = nullptr;

// Every shard's counters, gathered from their own shards, as one JSON object.
task<std::string> stats_json();

class httpd_service {
 public:
  httpd_service() {
    server_.route("GET", "/", [](exchange& call) -> task<void> {
      static constexpr header fields[] = {{"Content-Type", "text/plain"}};
      (void)co_await call.respond(status::ok, fields, "Hello, World!");
    });
    server_.route("GET", "/stats", [](exchange& call) -> task<void> {
      static constexpr header fields[] = {{"Content-Type", "application/json"}};
      const std::string body = co_await stats_json();
      (void)co_await call.respond(status::ok, fields, body);
    });
  }

  task<void> serve_connection(net::tcp_stream stream) {
    (void)stream.set_nodelay(true);
    return server_.serve_connection(std::move(stream));
  }
  task<void> stop() { return server_.stop(); }
  const server_stats& stats() const noexcept { return server_.stats(); }

 private:
  server server_;
};

task<std::string> stats_json() {
  std::string json = "{\"shards\":[";
  for (unsigned shard = 0; shard < shard_count(); ++shard) {
    auto read_counters = [] { return all_fronts->local().service.stats(); };
    const server_stats counters = co_await submit_to(shard, read_counters);
    char entry[320];
    std::snprintf(entry, sizeof entry,
                  "%s{\"shard\":%u,\"connections_accepted\":%" PRIu64
                  ",\"connections_open\":%" PRIu64 ",\"requests\":%" PRIu64
                  ",\"bad_requests\":%" PRIu64 ",\"timeouts\":%" PRIu64
                  ",\"handler_errors\":%" PRIu64 "}",
                  shard == 0 ? "" : ",", shard, counters.connections_accepted,
                  counters.connections_open, counters.requests, counters.bad_requests,
                  counters.timeouts, counters.handler_errors);
    json += entry;
  }
  json += "]}\n";
  co_return json;
}

}  // namespace
}  // namespace percore::daemons

int main(int argc, char** argv) {
  using namespace percore::daemons;
  percore::sharded<shard_front<httpd_service>> fronts;
  all_fronts = &fronts;
  const daemon_options defaults{.port = 8080,
                                .accept = accept_mode::reuse_port,
                                .receive_buffers = 2048,
                                .shard_arguments = {}};
  return daemon_main(argc, argv, "percore-httpd", defaults, fronts);
}
