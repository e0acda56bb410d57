// percore-echo: a TCP echo server on every shard (what a connection sends comes back), for the
// echo benchmarks; --port N, --accept reuse-port|balanced, and the shard flags.
#include <cstdio>
#include <stdexcept>

#include <boost/intrusive/list.hpp>

#include <percore/engine/event.hh>
#include <percore/engine/executor.hh>
#include <percore/engine/frame_pool.hh>
#include <percore/engine/task.hh>
#include <percore/net/tcp_stream.hh>
#include <percore/shards/launch.hh>
#include <percore/shards/sharded.hh>

#include "daemon_options.hh"
#include "serve_everywhere.hh"

namespace percore::daemons {
namespace {

// One shard's echo service: its connections, so that stop() can end them.
class echo_service {
 public:
  static constexpr std::size_t buffer_size = 16 * 1024;

  task<void> serve_connection(net::tcp_stream stream) {
    connection self;
    self.task = &detail::current_task();
    connections_.push_back(self);
    (void)stream.set_nodelay(true);
    // From the shard's pool, once per connection: the loop itself never allocates.
    std::byte* buffer = static_cast<std::byte*>(frame_pool::local().allocate(buffer_size));
    for (;;) {
      result<std::size_t> got = co_await stream.read(std::span(buffer, buffer_size));
      if (!got || *got == 0) break;
      if (!co_await stream.write_all(std::span<const std::byte>(buffer, *got))) break;
    }
    frame_pool::local().deallocate(buffer, buffer_size);
    connections_.erase(connections_.iterator_to(self));
    if (connections_.empty()) all_closed_.set();
    (void)co_await stream.close();
  }

  // Ends every connection: echo has no request to finish.
  task<void> stop() {
    if (connections_.empty()) co_return;
    all_closed_.reset();
    for (connection& open : connections_) detail::request_cancel(*open.task);
    (void)co_await all_closed_.wait();
  }

 private:
  struct connection : boost::intrusive::list_base_hook<> {
    detail::promise_base* task = nullptr;
  };
  boost::intrusive::list<connection, boost::intrusive::constant_time_size<false>> connections_;
  event all_closed_;
};

}  // namespace
}  // namespace percore::daemons

int main(int argc, char** argv) {
  using namespace percore::daemons;
  percore::sharded<shard_front<echo_service>> fronts;
  // No receive buffers by default: an echo reads into its own buffer anyway, and copying out of
  // a provided buffer costs more user time than the recv submitted per read (docs/daemons.md).
  const daemon_options defaults{.port = 7000,
                                .accept = accept_mode::reuse_port,
                                .receive_buffers = 0,
                                .shard_arguments = {}};
  return daemon_main(argc, argv, "percore-echo", defaults, fronts);
}
