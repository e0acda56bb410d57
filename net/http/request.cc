// The parts of a request target that routers and applications look at: its path and its
// query, for every target form (origin, absolute, authority, asterisk).
#include <percore/net/http/request.hh>

namespace percore::net::http {

std::string_view request::path() const noexcept {
  std::string_view path = target.substr(0, target.find('?'));
  if (path.empty() || path.front() == '/' || path == "*") return path;
  const std::size_t scheme_end = path.find("://");
  if (scheme_end == std::string_view::npos) return path;
  const std::size_t path_begin = path.find('/', scheme_end + 3);
  return path_begin == std::string_view::npos ? std::string_view("/") : path.substr(path_begin);
}

std::string_view request::query() const noexcept {
  const std::size_t mark = target.find('?');
  return mark == std::string_view::npos ? std::string_view() : target.substr(mark + 1);
}

}  // namespace percore::net::http
