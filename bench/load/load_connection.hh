// load_connection: one connection of the load: connects, waits for the start, then sends a
// request and reads its answer over and over, paced and timed, reconnecting after failures.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>
#include <utility>

#include <percore/engine/spawn.hh>
#include <percore/engine/task.hh>
#include <percore/engine/timer.hh>
#include <percore/io/result.hh>
#include <percore/net/connect.hh>
#include <percore/net/stream_error.hh>
#include <percore/net/tcp_stream.hh>

#include "exchange_protocol.hh"
#include "shard_context.hh"

namespace percore::load {

// A connection as its shard sees it: a task to run, and an exchange the watchdog can time out.
class driven_connection {
 public:
  using clock = std::chrono::steady_clock;

  explicit driven_connection(shard_context& shard) noexcept : shard_(shard) {}
  driven_connection(const driven_connection&) = delete;
  driven_connection& operator=(const driven_connection&) = delete;
  virtual ~driven_connection() = default;

  // Runs until cancelled (once the shard is stopping).
  virtual task<void> run() = 0;

  // Ends the exchange in progress if its request went out longer than the timeout ago; the
  // connection counts a timeout and opens a new connection (the old one is out of step).
  void check_timeout(clock::time_point now) noexcept {
    if (waiting_since_ == clock::time_point::max() || now - waiting_since_ < shard_.timeout) return;
    waiting_since_ = clock::time_point::max();
    timed_out_ = true;
    session_.cancel();
  }

 protected:
  shard_context& shard_;
  // When the request being answered went out; max() when none is.
  clock::time_point waiting_since_ = clock::time_point::max();
  // The exchanges of one TCP connection, a task of its own so that the watchdog can cancel it
  // without cancelling run().
  join_handle<void> session_;
  bool timed_out_ = false;
};

template <exchange_protocol Protocol>
class load_connection final : public driven_connection {
 public:
  // After a failed connect: long enough that a server that refuses does not turn the load into
  // a connect storm, short enough to come back soon after it returns.
  static constexpr std::chrono::milliseconds reconnect_pause{100};

  // `number` is the connection's place in the run's numbering (all shards).
  load_connection(std::size_t number, Protocol protocol, shard_context& shard)
      : driven_connection(shard), number_(number), protocol_(std::move(protocol)) {}

  task<void> run() override {
    bool first_attempt = true;
    while (!shard_.stopping) {
      task<result<net::tcp_stream>> connecting = net::connect(shard_.address, shard_.timeout);
      result<net::tcp_stream> connected = co_await std::move(connecting);
      if (first_attempt) {
        first_attempt = false;
        shard_.first_attempt_made(connected ? std::error_code() : connected.error());
      }
      // A cancelled connect is the end of the run (this shard's, or the whole launch's on
      // SIGINT), not a failure of the server.
      if (shard_.stopping || connected.error() == std::errc::operation_canceled) break;
      if (!connected) {
        shard_.measurements.record_error(error_kind::connect, clock::now());
        if (!co_await sleep_for(reconnect_pause)) break;
        continue;
      }
      net::tcp_stream stream = std::move(connected.value());
      // Each request is one small write that must leave at once, not wait for the last ACK.
      (void)stream.set_nodelay(true);
      if (shard_.receive_buffers) stream.use_receive_buffers(*shard_.receive_buffers);
      if (!co_await shard_.started.wait()) break;
      timed_out_ = false;
      session_ = spawn(exchanges(stream));
      co_await session_;
      if (timed_out_ && !shard_.stopping) {
        shard_.measurements.record_error(error_kind::timeout, clock::now());
      }
    }
  }

 private:
  // Request after request on one TCP connection, until an error, a server that closes, or a
  // cancellation. The loop awaits the socket operations themselves, not coroutines around
  // them: no coroutine frame per request.
  task<void> exchanges(net::tcp_stream& stream) {
    clock::time_point ready = clock::now();
    for (;;) {
      const clock::time_point due = shard_.pacing.due(number_, requests_, ready);
      if (due > ready && !co_await sleep_until(due)) co_return;
      ++requests_;
      waiting_since_ = std::max(due, ready);
      protocol_.begin();
      exchange_state state = exchange_state::waiting;
      std::error_code failure;
      error_kind kind = error_kind::transfer;
      while (state == exchange_state::waiting) {
        if (const std::span<const std::byte> request = protocol_.to_send(); !request.empty()) {
          result<std::size_t> written = co_await stream.write(request);
          if (!written || *written == 0) {
            failure = written ? make_error_code(net::stream_errc::sink_stalled) : written.error();
            break;
          }
          protocol_.sent(*written);
          continue;
        }
        result<std::size_t> got = co_await stream.read(protocol_.receive_space());
        if (!got) {
          failure = got.error();
          break;
        }
        result<exchange_state> next =
            *got == 0 ? protocol_.end_of_stream() : protocol_.received(*got);
        if (!next) {
          failure = next.error();
          if (*got > 0) kind = error_kind::answer;
          break;
        }
        state = *next;
      }
      waiting_since_ = clock::time_point::max();
      // One clock read per request: the end of this answer is, in a closed loop, the start of
      // the next request.
      const clock::time_point now = clock::now();
      if (failure) {
        if (failure != std::errc::operation_canceled) shard_.measurements.record_error(kind, now);
        co_return;
      }
      if (state == exchange_state::answered) {
        shard_.measurements.record_answer(due, now);
      } else {
        shard_.measurements.record_error(error_kind::answer, now);
      }
      if (!protocol_.reusable()) co_return;
      ready = now;
    }
  }

  std::size_t number_;
  Protocol protocol_;
  // Requests sent on this connection, over all its TCP connections: the open-loop schedule's
  // index, which goes on through reconnections so that no due request is skipped.
  std::uint64_t requests_ = 0;
};

}  // namespace percore::load
