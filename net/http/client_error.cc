// The client_errc category ("percore.http.client"): a message for each way a client exchange
// can end early that the caller may want to tell apart (retry, report, give up).
#include <percore/net/http/client_error.hh>

#include <string>

namespace percore::net::http {
namespace {

class client_category_type final : public std::error_category {
 public:
  const char* name() const noexcept override { return "percore.http.client"; }
  std::string message(int value) const override {
    switch (static_cast<client_errc>(value)) {
      case client_errc::closed_before_response:
        return "connection closed before the response began";
      case client_errc::incomplete_response: return "connection closed inside a response";
      case client_errc::client_closed: return "HTTP client closed";
    }
    return "unknown HTTP client error";
  }
};

}  // namespace

const std::error_category& client_category() noexcept {
  static const client_category_type instance;
  return instance;
}

}  // namespace percore::net::http
