// route_table: which handler (by number) serves a method on a path, by exact path or by path
// prefix; it tells a missing path (404) from a known path asked with the wrong method (405).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <percore/net/http/status.hh>

namespace percore::net::http {

class route_table {
 public:
  // What find() decided.
  struct match {
    status outcome = status::not_found;  // ok, not_found or method_not_allowed
    std::size_t handler = 0;             // for ok
    std::string_view allow;              // for method_not_allowed: the Allow field's value
  };

  // Serves `method` on `path` (exact) or on every path under it (prefix: the path itself and
  // what follows it after a '/'). Registering at start-up allocates; finding never does.
  // Throws std::invalid_argument for a method that is not a token, a path not starting with
  // '/', or a method registered twice on the same path.
  void add(std::string_view method, std::string_view path, bool prefix, std::size_t handler);

  // The most specific route for `path` decides: the exact path, else the longest prefix. HEAD
  // is served by GET's handler when the path has no HEAD of its own.
  match find(std::string_view method, std::string_view path) const noexcept;

 private:
  struct route {
    std::string path;
    bool prefix = false;
    std::vector<std::pair<std::string, std::size_t>> methods;
    std::string allow;
  };
  match decide(const route& found, std::string_view method) const noexcept;
  // Where `path` is in exact_, or would go.
  std::vector<std::pair<std::string, std::size_t>>::const_iterator exact_place(
      std::string_view path) const noexcept;
  route& route_for(std::string_view path, bool prefix);

  std::vector<route> routes_;
  // Exact paths, sorted, each with its index in routes_: a binary search over a few string
  // comparisons costs less than hashing the path, for the tables servers have.
  std::vector<std::pair<std::string, std::size_t>> exact_;
  std::vector<std::size_t> prefixes_;  // into routes_, longest prefix first
};

}  // namespace percore::net::http
