// Checking client options before a connection uses them: a mistake (a buffer too small for a
// head, a zero timeout, a Host that could split a request) is reported at start-up, not per call.
#include <percore/net/http/client_options.hh>

#include <stdexcept>
#include <string>

#include <percore/net/http/header.hh>

namespace percore::net::http {

void client_connection_options::validate() const {
  limits.validate();
  if (request_timeout <= std::chrono::milliseconds::zero()) {
    throw std::invalid_argument("percore: http client request_timeout must be positive");
  }
  if (input_buffer < limits.max_header_bytes + 4) {
    throw std::invalid_argument("percore: http client input_buffer " +
                                std::to_string(input_buffer) +
                                " cannot hold a head of max_header_bytes " +
                                std::to_string(limits.max_header_bytes));
  }
  if (output_buffer == 0) throw std::invalid_argument("percore: http client output_buffer is 0");
  if (!host.empty() && !is_valid_field(header{"Host", host})) {
    throw std::invalid_argument("percore: http client host \"" + host +
                                "\" holds CR, LF or control characters");
  }
}

void client_options::validate() const {
  client_connection_options::validate();
  if (max_connections == 0) {
    throw std::invalid_argument("percore: http client max_connections is 0 (accepted: at least 1)");
  }
  if (connect_timeout <= std::chrono::milliseconds::zero()) {
    throw std::invalid_argument("percore: http client connect_timeout must be positive");
  }
}

}  // namespace percore::net::http
