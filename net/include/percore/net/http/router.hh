// router<Handler>: handlers of any type (a function, a coroutine lambda) registered by method
// and path, exact or prefix; finding one for a request gives it, or the 404 or 405 to answer.
#pragma once

#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

#include <percore/net/http/request.hh>
#include <percore/net/http/route_table.hh>
#include <percore/net/http/status.hh>

namespace percore::net::http {

template <class Handler>
struct route_match {
  const Handler* handler = nullptr;    // null: answer with `outcome`
  status outcome = status::not_found;  // ok, not_found or method_not_allowed
  std::string_view allow;              // for method_not_allowed: the Allow field's value
};

template <class Handler>
class router {
 public:
  // Exact path. Throws std::invalid_argument as route_table::add does.
  router& add(std::string_view method, std::string_view path, Handler handler) {
    return add_route(method, path, false, std::move(handler));
  }
  // `prefix` and every path under it ("/static" serves "/static" and "/static/a", not
  // "/statics").
  router& add_prefix(std::string_view method, std::string_view prefix, Handler handler) {
    return add_route(method, prefix, true, std::move(handler));
  }

  route_match<Handler> find(std::string_view method, std::string_view path) const noexcept {
    const route_table::match found = table_.find(method, path);
    return {found.outcome == status::ok ? &handlers_[found.handler] : nullptr, found.outcome,
            found.allow};
  }
  route_match<Handler> find(const request& request) const noexcept {
    return find(request.method, request.path());
  }

 private:
  router& add_route(std::string_view method, std::string_view path, bool prefix,
                    Handler handler) {
    table_.add(method, path, prefix, handlers_.size());
    handlers_.push_back(std::move(handler));
    return *this;
  }

  route_table table_;
  std::vector<Handler> handlers_;
};

}  // namespace percore::net::http
