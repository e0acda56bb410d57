// accept_balanced over real loopback connections and real shards, on every backend: shard 0
// accepts, each connection is served on the shard serving the fewest, and counts go back down.
#include <percore/engine/spawn.hh>
#include <percore/engine/timer.hh>
#include <percore/net/balanced_acceptor.hh>
#include <percore/net/connect.hh>
#include <percore/net/tcp_stream.hh>
#include <percore/shards/launch.hh>

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <vector>

#include "../engine_fixture.hh"

namespace percore::net {
namespace {

using namespace std::chrono_literals;

class balanced_accept : public testing::on_every_backend {
 protected:
  launch_config shards(unsigned count) const {
    launch_config config;
    config.engine.backend = GetParam();
    config.placement.smp = count;
    config.placement.oversubscribe = true;
    config.pin_threads = false;
    return config;
  }
};
PERCORE_ON_EVERY_BACKEND(balanced_accept);

// Serves a connection: waits for one byte, answers with the serving shard's number, then
// waits for the client to close, so that the connection counts while the others arrive.
task<void> answer_with_shard(tcp_stream connection) {
  std::byte asked[1];
  if (co_await connection.read_exact(asked)) {
    const auto shard = static_cast<std::byte>(this_shard_id());
    const std::byte answer[] = {shard};
    if (co_await connection.write_all(answer)) {
      std::byte end[1];
      (void)co_await connection.read(end);
    }
  }
  (void)co_await connection.close();
}

// Opens `count` connections at once and keeps them all open until each has its answer.
task<std::vector<unsigned>> shards_serving(socket_address at, unsigned count) {
  std::vector<tcp_stream> clients;
  std::vector<unsigned> served_by;
  for (unsigned index = 0; index < count; ++index) {
    result<tcp_stream> connected = co_await net::connect(at, 2s);
    if (!connected) co_return served_by;
    clients.push_back(std::move(connected.value()));
    const std::byte ask[] = {std::byte{1}};
    (void)co_await clients.back().write_all(ask);
    std::byte answer[1];
    if (!co_await clients.back().read_exact(answer)) co_return served_by;
    served_by.push_back(static_cast<unsigned>(answer[0]));
  }
  for (tcp_stream& client : clients) (void)co_await client.close();
  co_return served_by;
}

TEST_P(balanced_accept, connections_go_to_the_least_loaded_shard) {
  std::vector<unsigned> served_by;
  std::vector<std::uint64_t> open_after;
  const int code = launch(shards(3), [&]() -> task<int> {
    result<tcp_listener> listener = tcp_listener::bind(socket_address::ipv4_loopback(0));
    if (!listener) co_return 1;
    const socket_address at = listener->local_address().value();
    connection_counts counts(shard_count());
    join_handle<void> accepting = spawn(accept_balanced(*listener, counts, answer_with_shard));
    served_by = co_await shards_serving(at, 6);
    // The served connections end on their shards: the counts go back to zero.
    for (int wait = 0; wait < 200; ++wait) {
      if (counts.open_on(0) + counts.open_on(1) + counts.open_on(2) == 0) break;
      co_await sleep_for(5ms);
    }
    for (unsigned shard = 0; shard < 3; ++shard) open_after.push_back(counts.open_on(shard));
    accepting.cancel();
    co_await accepting;
    co_return 0;
  });
  EXPECT_EQ(code, 0);
  ASSERT_EQ(served_by.size(), 6u);
  std::map<unsigned, int> per_shard;
  for (unsigned shard : served_by) ++per_shard[shard];
  // Each connection stayed open while the next arrived: the least-loaded rule gives two each.
  EXPECT_EQ(per_shard, (std::map<unsigned, int>{{0, 2}, {1, 2}, {2, 2}}));
  EXPECT_EQ(open_after, (std::vector<std::uint64_t>{0, 0, 0}));
}

TEST_P(balanced_accept, short_connections_still_go_round) {
  std::vector<unsigned> served_by;
  const int code = launch(shards(2), [&]() -> task<int> {
    result<tcp_listener> listener = tcp_listener::bind(socket_address::ipv4_loopback(0));
    if (!listener) co_return 1;
    const socket_address at = listener->local_address().value();
    connection_counts counts(shard_count());
    join_handle<void> accepting = spawn(accept_balanced(*listener, counts, answer_with_shard));
    for (int round = 0; round < 4; ++round) {
      const std::vector<unsigned> one = co_await shards_serving(at, 1);
      if (one.size() == 1) served_by.push_back(one.front());
      while (counts.open_on(0) + counts.open_on(1) != 0) co_await sleep_for(1ms);
    }
    accepting.cancel();
    co_await accepting;
    co_return 0;
  });
  EXPECT_EQ(code, 0);
  EXPECT_EQ(served_by, (std::vector<unsigned>{1, 0, 1, 0}));
}

}  // namespace
}  // namespace percore::net
