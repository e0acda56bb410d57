// percore-load: drives an echo server (tcp://) or an HTTP server (http://) from every shard and
// prints throughput and latency percentiles; see docs/load.md.
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include <percore/engine/task.hh>
#include <percore/net/resolve.hh>
#include <percore/shards/launch.hh>

#include "load_options.hh"
#include "load_report.hh"
#include "load_run.hh"

int main(int argc, char** argv) {
  using namespace percore;
  using namespace percore::load;
  load_command_line line;
  try {
    line = parse_load_command_line(argc, argv);
  } catch (const std::invalid_argument& error) {
    std::fprintf(stderr, "%s\n", error.what());
    return 2;
  }
  if (line.help) {
    std::fputs(std::string(usage()).c_str(), stdout);
    return 0;
  }
  const load_options& options = line.options;
  const std::string url = to_string(options.target);
  // Before the shards start: getaddrinfo blocks, and a name that does not resolve needs no shard.
  const result<std::vector<net::socket_address>> addresses =
      net::resolve(options.target.host, options.target.port);
  if (!addresses) {
    std::fprintf(stderr, "percore-load: cannot resolve '%s': %s\n", options.target.host.c_str(),
                 addresses.error().message().c_str());
    return 1;
  }
  auto main_task = [&]() -> task<int> {
    task<result<load_result>> running = run_load(options, addresses.value());
    result<load_result> outcome = co_await std::move(running);
    if (!outcome) {
      std::fprintf(stderr, "percore-load: cannot connect to %s: %s\n", url.c_str(),
                   outcome.error().message().c_str());
      co_return 1;
    }
    const std::string report = options.json ? format_json(*outcome) + "\n" : format_table(*outcome);
    std::fputs(report.c_str(), stdout);
    co_return 0;
  };
  return run(static_cast<int>(line.shard_arguments.size()), line.shard_arguments.data(), main_task);
}
