// Checking http::limits before a parser uses them: a zero limit would refuse every message,
// which is a configuration mistake to report at start-up, not per request.
#include <percore/net/http/limits.hh>

#include <stdexcept>
#include <string>

namespace percore::net::http {

void limits::validate() const {
  auto require_positive = [](std::uint64_t value, const char* name) {
    if (value == 0) {
      throw std::invalid_argument(std::string("percore: http limit ") + name +
                                  " is 0 (accepted: at least 1)");
    }
  };
  require_positive(max_request_line, "max_request_line");
  require_positive(max_header_bytes, "max_header_bytes");
  require_positive(max_headers, "max_headers");
  require_positive(max_chunk_line, "max_chunk_line");
}

}  // namespace percore::net::http
