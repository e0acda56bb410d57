// http::client: handing out connections (idle first, most recent first, then new ones up to the
// limit, then to waiters in order), taking them back, and retrying on a closed idle connection.
#include <percore/net/http/client.hh>

#include <memory>
#include <utility>

#include <percore/net/connect.hh>

namespace percore::net::http {
namespace {

client_options validated(client_options options) {
  options.validate();
  return options;
}

}  // namespace

client::client(socket_address server, client_options options)
    : server_(std::move(server)), options_(validated(std::move(options))) {
  if (options_.host.empty()) options_.host = server_.to_string();
}

client::~client() { close(); }

task<result<client::lease>> client::acquire() { return take(false); }

task<result<client::lease>> client::take(bool fresh) {
  if (closed_) co_return make_error_code(client_errc::client_closed);
  const bool has_room = open_ < options_.max_connections;
  pooled_connection* node = nullptr;
  if (!idle_.empty() && !(fresh && has_room)) {
    // The most recently returned connection is the least likely to have been closed by the
    // server's idle timeout.
    node = &idle_.back();
    idle_.pop_back();
  } else if (has_room) {
    ++open_;
  } else {
    waiter self;
    waiters_.push_back(self);
    result<void> woken = co_await self.ready.wait();
    if (self.is_linked()) {
      // Nothing was handed over: the wait was cancelled.
      waiters_.erase(waiters_.iterator_to(self));
      co_return woken.error();
    }
    if (self.failure) co_return self.failure;
    if (!woken) {
      // Cancelled just after a hand-over: what was handed goes to the next in line.
      if (self.handed != nullptr) {
        give_back(*self.handed);
      } else {
        release_slot();
      }
      co_return woken.error();
    }
    node = self.handed;
  }

  if (node != nullptr && fresh) {
    delete node;  // its slot is kept for the new connection
    node = nullptr;
  }
  if (node != nullptr) {
    ++stats_.connections_reused;
    co_return lease(*this, *node, true);
  }

  result<tcp_stream> connected = co_await net::connect(server_, options_.connect_timeout);
  if (!connected) {
    release_slot();
    co_return connected.error();
  }
  // Requests and responses are small writes that must leave at once, not wait for an ACK.
  (void)connected.value().set_nodelay(true);
  std::unique_ptr<pooled_connection> opened;
  try {
    opened = std::make_unique<pooled_connection>(std::move(connected.value()), options_);
  } catch (...) {
    release_slot();
    throw;
  }
  ++stats_.connections_opened;
  co_return lease(*this, *opened.release(), false);
}

task<result<client_response>> client::request(std::string_view method, std::string_view target,
                                              std::span<const header> headers,
                                              std::string_view body) {
  // Sending a request again is safe only if acting on it twice changes nothing.
  const bool idempotent = method == "GET" || method == "HEAD";
  bool fresh = false;
  for (;;) {
    result<lease> leased = co_await take(fresh);
    if (!leased) co_return leased.error();
    client_connection& connection = *leased.value();
    std::error_code failure;
    result<void> sent = co_await connection.send(method, target, headers, body);
    if (sent) {
      result<response_view> response = co_await connection.receive();
      if (response) {
        co_return client_response{.code = response->code, .body = std::string(response->body)};
      }
      failure = response.error();
    } else {
      failure = sent.error();
    }
    // Only a reused connection may have been closed by the server while idle: a new one that
    // fails the same way would fail again.
    const bool retry = failure == client_errc::closed_before_response &&
                       leased.value().reused() && idempotent && !fresh;
    if (!retry) co_return failure;
    ++stats_.retries;
    fresh = true;
  }
}

void client::close() noexcept {
  closed_ = true;
  while (!idle_.empty()) {
    pooled_connection& node = idle_.front();
    idle_.pop_front();
    delete &node;
    --open_;
  }
  while (!waiters_.empty()) {
    waiter& first = waiters_.front();
    waiters_.pop_front();
    first.failure = make_error_code(client_errc::client_closed);
    first.ready.set();
  }
}

void client::give_back(pooled_connection& node) noexcept {
  const std::uint64_t responses = node.connection.responses_received();
  stats_.requests += responses - node.responses_counted;
  node.responses_counted = responses;
  if (closed_ || !node.connection.is_idle()) {
    delete &node;
    release_slot();
    return;
  }
  if (!waiters_.empty()) {
    hand_to_first_waiter(&node);
    return;
  }
  idle_.push_back(node);
}

void client::release_slot() noexcept {
  if (!waiters_.empty()) {
    hand_to_first_waiter(nullptr);
    return;
  }
  --open_;
}

void client::hand_to_first_waiter(pooled_connection* node) noexcept {
  waiter& first = waiters_.front();
  waiters_.pop_front();
  first.handed = node;
  first.ready.set();
}

}  // namespace percore::net::http
