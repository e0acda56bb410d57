// http::client: a pool of HTTP/1.1 connections to one server, on one shard: an idle connection is
// reused, a new one is opened while under the limit, else the caller waits (first come, first served).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <boost/intrusive/list.hpp>

#include <percore/engine/event.hh>
#include <percore/engine/task.hh>
#include <percore/io/result.hh>
#include <percore/net/http/client_connection.hh>
#include <percore/net/http/client_error.hh>
#include <percore/net/http/client_options.hh>
#include <percore/net/http/header.hh>
#include <percore/net/http/status.hh>
#include <percore/net/socket_address.hh>

namespace percore::net::http {

// A response that owns its body, for callers off the hot path (client::request).
struct client_response {
  status code = status::ok;
  std::string body;
};

// Counters of one client; plain integers, read on the client's shard.
struct client_stats {
  std::uint64_t connections_opened = 0;
  std::uint64_t connections_reused = 0;  // acquisitions served by a connection already open
  std::uint64_t requests = 0;            // responses received, counted as connections come back
  std::uint64_t retries = 0;             // requests sent again after a reused connection was found closed
};

class client {
  // A connection of the pool: in the idle list, or leased.
  struct pooled_connection : boost::intrusive::list_base_hook<> {
    pooled_connection(tcp_stream stream, const client_connection_options& options)
        : connection(std::move(stream), options) {}
    client_connection connection;
    std::uint64_t responses_counted = 0;
  };

 public:
  // A connection on loan: returned to the pool when the lease is destroyed if it can take another
  // request (open, every response read, the server keeping it alive), closed otherwise.
  class lease {
   public:
    lease() noexcept = default;
    lease(lease&& other) noexcept
        : owner_(std::exchange(other.owner_, nullptr)),
          node_(std::exchange(other.node_, nullptr)),
          reused_(other.reused_) {}
    lease& operator=(lease&& other) noexcept {
      if (this != &other) {
        give_back();
        owner_ = std::exchange(other.owner_, nullptr);
        node_ = std::exchange(other.node_, nullptr);
        reused_ = other.reused_;
      }
      return *this;
    }
    ~lease() { give_back(); }

    client_connection& operator*() const noexcept { return node_->connection; }
    client_connection* operator->() const noexcept { return &node_->connection; }
    explicit operator bool() const noexcept { return node_ != nullptr; }
    // The connection served earlier requests (it may have been closed by the server since).
    bool reused() const noexcept { return reused_; }

   private:
    friend class client;
    lease(client& owner, pooled_connection& node, bool reused) noexcept
        : owner_(&owner), node_(&node), reused_(reused) {}
    void give_back() noexcept {
      if (owner_ != nullptr) owner_->give_back(*node_);
      owner_ = nullptr;
      node_ = nullptr;
    }

    client* owner_ = nullptr;
    pooled_connection* node_ = nullptr;
    bool reused_ = false;
  };

  // Connects lazily, on the first acquire. Throws std::invalid_argument for bad options.
  explicit client(socket_address server, client_options options = {});
  client(const client&) = delete;
  client& operator=(const client&) = delete;
  // Closes the idle connections. Leases and calls under way must have ended.
  ~client();

  // A connection: the most recently returned idle one, else a new one while fewer than
  // max_connections are open, else the first one returned after the tasks already waiting got
  // theirs. Errors: the connect's (connection_refused, timed_out after connect_timeout, ...),
  // client_closed, operation_canceled when the waiting task is cancelled.
  task<result<lease>> acquire();

  // One request and its whole response, with the body copied out. A GET or HEAD that finds its
  // reused connection closed before any byte of the response (the server ended the keep-alive
  // connection meanwhile) is sent once more on a new connection. Errors: acquire's and
  // client_connection's (send and receive). Everything is referenced until the co_await returns.
  task<result<client_response>> request(std::string_view method, std::string_view target,
                                        std::span<const header> headers = {},
                                        std::string_view body = {});

  // Closes the idle connections now; the tasks waiting in acquire() get client_closed, and so
  // does every later acquire(). Leased connections are closed when they come back.
  void close() noexcept;
  bool is_closed() const noexcept { return closed_; }

  // Connections open or being opened, idle among them, and tasks waiting for one.
  std::size_t open_connections() const noexcept { return open_; }
  std::size_t idle_connections() const noexcept { return idle_.size(); }
  std::size_t waiting() const noexcept { return waiters_.size(); }

  const client_stats& stats() const noexcept { return stats_; }
  const client_options& options() const noexcept { return options_; }
  const socket_address& server() const noexcept { return server_; }

 private:
  // A task waiting in acquire(): handed a connection, or an empty slot to open one in.
  struct waiter : boost::intrusive::list_base_hook<> {
    event ready;
    pooled_connection* handed = nullptr;
    std::error_code failure;
  };
  using connection_list = boost::intrusive::list<pooled_connection>;
  using waiter_list = boost::intrusive::list<waiter>;

  // `fresh`: a newly opened connection, never an idle one (an idle one is closed to make room).
  task<result<lease>> take(bool fresh);
  void give_back(pooled_connection& node) noexcept;
  // A connection closed (or never opened): its slot goes to the first waiter, if any.
  void release_slot() noexcept;
  void hand_to_first_waiter(pooled_connection* node) noexcept;

  socket_address server_;
  client_options options_;
  client_stats stats_;
  connection_list idle_;
  waiter_list waiters_;
  std::size_t open_ = 0;
  bool closed_ = false;
};

}  // namespace percore::net::http
