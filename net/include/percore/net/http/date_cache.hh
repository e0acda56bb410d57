// The Date header line a server sends with every response (RFC 9110 §6.6.1), formatted at most
// once per second per shard instead of once per response.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <string_view>

namespace percore::net::http {

class date_cache {
  static constexpr std::string_view example = "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n";

 public:
  // Every line has this length.
  static constexpr std::size_t line_size = example.size();

  // "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n" (IMF-fixdate) for `now`, formatted again only when
  // the second differs from the last call's. The view stays valid until the next call.
  std::string_view header_line(std::chrono::system_clock::time_point now) noexcept;
  // The same for the current time.
  std::string_view header_line() noexcept;

  // This thread's (this shard's) cache.
  static date_cache& local() noexcept;

 private:
  std::array<char, line_size> line_{};
  long long second_ = -1;
};

}  // namespace percore::net::http
