// http::server: the accept loop, and each connection's loop: parse the heads already buffered,
// answer them (responses to pipelined requests leave in one write), read more, until the end.
#include <percore/net/http/server.hh>

#include <cerrno>
#include <stdexcept>
#include <string>

#include <percore/engine/executor.hh>
#include <percore/net/http/response_writer.hh>

namespace percore::net::http {

void server_options::validate() const {
  limits.validate();
  if (idle_timeout <= std::chrono::milliseconds::zero()) {
    throw std::invalid_argument("percore: http idle_timeout must be positive");
  }
  if (request_timeout <= std::chrono::milliseconds::zero()) {
    throw std::invalid_argument("percore: http request_timeout must be positive");
  }
  if (input_buffer < limits.max_header_bytes + 4) {
    throw std::invalid_argument("percore: http input_buffer " + std::to_string(input_buffer) +
                                " cannot hold a head of max_header_bytes " +
                                std::to_string(limits.max_header_bytes));
  }
  if (output_buffer == 0) throw std::invalid_argument("percore: http output_buffer is zero");
}

void server::connection::extend_to(timer_set::clock::time_point deadline) noexcept {
  current_deadline = deadline;
  if (armed && this->deadline <= deadline) return;
  percore::detail::current_timers().disarm(*this);
  this->deadline = deadline;
  percore::detail::current_timers().arm(*this);
}

void server::connection::on_deadline(percore::detail::timer_entry& entry) noexcept {
  auto& self = static_cast<connection&>(entry);
  if (percore::recent_now() < self.current_deadline) {
    self.deadline = self.current_deadline;
    percore::detail::current_timers().arm(self);
    return;
  }
  self.timed_out = true;
  percore::detail::request_cancel(*self.task);
}

server::server(server_options options) : options_(std::move(options)) { options_.validate(); }

server::~server() = default;

server& server::route(std::string_view method, std::string_view path, handler serve) {
  routes_.add(method, path, std::move(serve));
  return *this;
}

server& server::route_prefix(std::string_view method, std::string_view prefix, handler serve) {
  routes_.add_prefix(method, prefix, std::move(serve));
  return *this;
}

namespace {

// Out of descriptors: taking a pause lets connections end instead of spinning on accept.
bool out_of_descriptors(std::error_code error) {
  return error == std::errc::too_many_files_open || error == std::errc::too_many_files_open_in_system;
}

task<void> accept_loop(server& owner, tcp_listener& listener) {
  for (;;) {
    result<tcp_stream> accepted = co_await listener.accept();
    if (owner.stopping()) co_return;
    if (!accepted) {
      if (accepted.error() == std::errc::operation_canceled) co_return;
      if (out_of_descriptors(accepted.error())) co_await sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    spawn(owner.serve_connection(std::move(accepted.value()))).detach();
  }
}

}  // namespace

task<void> server::serve(tcp_listener& listener) {
  if (stopping_) co_return;
  acceptor_.emplace(spawn(accept_loop(*this, listener)));
  co_await *acceptor_;
  acceptor_.reset();
}

task<void> server::serve_connection(tcp_stream stream) {
  connection self;
  self.task = &percore::detail::current_task();
  self.fire = &connection::on_deadline;
  connections_.push_back(self);
  ++stats_.connections_accepted;
  ++stats_.connections_open;
  std::exception_ptr failure;
  try {
    co_await run_connection(stream, self);
  } catch (...) {
    failure = std::current_exception();
  }
  percore::detail::current_timers().disarm(self);
  if (self.timed_out) ++stats_.timeouts;
  forget(self);
  (void)co_await stream.close();
  if (failure) std::rethrow_exception(failure);
}

void server::forget(connection& self) noexcept {
  connections_.erase(connections_.iterator_to(self));
  --stats_.connections_open;
  if (stopping_ && connections_.empty()) all_closed_.set();
}

task<void> server::run_connection(tcp_stream& stream, connection& self) {
  input_stream<tcp_stream> in(stream, options_.input_buffer);
  output_stream<tcp_stream> out(stream, options_.output_buffer);
  co_await serve_requests(in, out, self);
  // Answers go out behind the reads: the last may still be on its way, and the socket closes
  // after it.
  (void)co_await out.settled();
}

task<void> server::serve_requests(input_stream<tcp_stream>& in, output_stream<tcp_stream>& out,
                                  connection& self) {
  response_writer<tcp_stream> writer(out);
  request_parser parser(options_.limits);
  body_decoder body(options_.limits);
  bool request_started = false;
  for (;;) {
    result<std::size_t> head = parser.parse(in.peek());
    if (!head) {
      ++stats_.bad_requests;
      const status refusal = status_for(head.error());
      const header close_field[] = {{"Connection", "close"}};
      if (co_await writer.write(refusal, close_field, reason_phrase(refusal))) {
        (void)co_await out.flush();
      }
      co_return;
    }
    if (*head == 0) {
      // Every request received is answered: send the answers while waiting for more.
      out.write_behind();
      if (stopping_ && in.peek().empty()) co_return;
      const auto now = percore::recent_now();
      if (in.peek().empty()) {
        self.idle = true;
        request_started = false;
        self.extend_to(now + options_.idle_timeout);
      } else if (!request_started) {
        request_started = true;
        self.extend_to(now + options_.request_timeout);
      }
      result<std::size_t> got = co_await in.fill();
      self.idle = false;
      if (!got || *got == 0) co_return;  // an error, a timeout, stop(), or the peer closed
      if (!request_started) {
        request_started = true;
        self.extend_to(percore::recent_now() + options_.request_timeout);
      }
      continue;
    }

    ++stats_.requests;
    const http::request& request = parser.request();
    in.consume(*head);
    body.start(request.body);
    exchange current(request, in, out, writer, body, stopping_);
    current.head_only_ = request.method == "HEAD";
    const route_match<handler> match = routes_.find(request);
    bool failed = false;
    if (match.handler == nullptr) {
      const header allow_field[] = {{"Allow", match.allow}};
      const std::span<const header> fields =
          match.outcome == status::method_not_allowed ? std::span<const header>(allow_field)
                                                      : std::span<const header>();
      if (!co_await current.respond(match.outcome, fields, reason_phrase(match.outcome))) {
        co_return;
      }
    } else {
      try {
        co_await (*match.handler)(current);
      } catch (...) {
        ++stats_.handler_errors;
        failed = true;
      }
    }
    // A handler that threw, or ended without answering, is a bug of the program: the client
    // still gets an answer, and the connection, whose state is unknown, closes.
    if (failed || !current.responded()) current.closing_ = true;
    if (!current.responded()) {
      const status fallback = status::internal_server_error;
      if (!co_await current.respond(fallback, {}, reason_phrase(fallback))) co_return;
    }
    if (current.closing()) {
      (void)co_await out.flush();
      co_return;
    }
    // The handler may have left the body unread: skip it, the next request follows it.
    while (!body.done()) {
      const result<std::span<const std::byte>> skipped = co_await current.read_body_some();
      if (!skipped) {
        (void)co_await out.flush();
        co_return;
      }
    }
    in.consume(current.pending_consume_);
    request_started = false;
  }
}

task<void> server::stop() {
  stopping_ = true;
  if (acceptor_) acceptor_->cancel();
  for (connection& open : connections_) {
    if (open.idle) percore::detail::request_cancel(*open.task);
  }
  if (!connections_.empty()) {
    all_closed_.reset();
    (void)co_await all_closed_.wait();
  }
}

}  // namespace percore::net::http
