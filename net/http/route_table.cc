// Routes: exact paths in a sorted vector (a binary search, no allocation through string_view keys),
// prefixes in a list searched longest first, the Allow value built when a route is added.
#include <percore/net/http/route_table.hh>

#include <algorithm>
#include <stdexcept>


#include "syntax.hh"

namespace percore::net::http {
namespace {

bool is_under(std::string_view path, std::string_view prefix) noexcept {
  if (!path.starts_with(prefix)) return false;
  return path.size() == prefix.size() || prefix.ends_with('/') || path[prefix.size()] == '/';
}

bool has_method(const std::vector<std::pair<std::string, std::size_t>>& methods,
                std::string_view method) noexcept {
  return std::any_of(methods.begin(), methods.end(),
                     [method](const auto& entry) { return entry.first == method; });
}

}  // namespace

void route_table::add(std::string_view method, std::string_view path, bool prefix,
                      std::size_t handler) {
  if (!syntax::is_token(method)) {
    throw std::invalid_argument("percore: HTTP method \"" + std::string(method) +
                                "\" is invalid (accepted: a token such as GET)");
  }
  if (!path.starts_with('/')) {
    throw std::invalid_argument("percore: route path \"" + std::string(path) +
                                "\" is invalid (accepted: a path starting with '/')");
  }
  route& target = route_for(path, prefix);
  if (has_method(target.methods, method)) {
    throw std::invalid_argument("percore: route " + std::string(method) + " " + std::string(path) +
                                " is registered twice");
  }
  target.methods.emplace_back(method, handler);
  // Allow lists what the path answers, HEAD included where GET serves it.
  target.allow.clear();
  for (const auto& [name, number] : target.methods) {
    if (!target.allow.empty()) target.allow += ", ";
    target.allow += name;
    if (name == "GET" && !has_method(target.methods, "HEAD")) target.allow += ", HEAD";
  }
}

route_table::route& route_table::route_for(std::string_view path, bool prefix) {
  if (!prefix) {
    const auto place = exact_place(path);
    if (place != exact_.end() && place->first == path) return routes_[place->second];
    exact_.emplace(place, std::string(path), routes_.size());
  } else {
    for (std::size_t index : prefixes_) {
      if (routes_[index].path == path) return routes_[index];
    }
    // Kept longest first, so that the first prefix that matches is the most specific.
    const auto shorter = std::find_if(prefixes_.begin(), prefixes_.end(), [&](std::size_t index) {
      return routes_[index].path.size() < path.size();
    });
    prefixes_.insert(shorter, routes_.size());
  }
  routes_.push_back(route{.path = std::string(path), .prefix = prefix, .methods = {}, .allow = {}});
  return routes_.back();
}

route_table::match route_table::find(std::string_view method, std::string_view path) const noexcept {
  if (const auto place = exact_place(path); place != exact_.end() && place->first == path) {
    return decide(routes_[place->second], method);
  }
  for (std::size_t index : prefixes_) {
    if (is_under(path, routes_[index].path)) return decide(routes_[index], method);
  }
  return {};
}

std::vector<std::pair<std::string, std::size_t>>::const_iterator route_table::exact_place(
    std::string_view path) const noexcept {
  return std::lower_bound(exact_.begin(), exact_.end(), path,
                          [](const auto& entry, std::string_view wanted) {
                            return std::string_view(entry.first) < wanted;
                          });
}

route_table::match route_table::decide(const route& found, std::string_view method) const noexcept {
  const std::pair<std::string, std::size_t>* fallback = nullptr;
  for (const auto& entry : found.methods) {
    if (entry.first == method) return {.outcome = status::ok, .handler = entry.second, .allow = {}};
    if (method == "HEAD" && entry.first == "GET") fallback = &entry;
  }
  if (fallback != nullptr) return {.outcome = status::ok, .handler = fallback->second, .allow = {}};
  return {.outcome = status::method_not_allowed, .handler = 0, .allow = found.allow};
}

}  // namespace percore::net::http
