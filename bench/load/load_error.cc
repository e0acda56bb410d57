// load_error: the "percore.load" error category, whose messages say what was wrong with an
// answer.
#include "load_error.hh"

#include <string>

namespace percore::load {
namespace {

class load_error_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "percore.load"; }
  std::string message(int code) const override {
    switch (static_cast<load_errc>(code)) {
      case load_errc::wrong_echo:
        return "the echoed bytes differ from those sent";
    }
    return "unknown percore-load error";
  }
};

}  // namespace

const std::error_category& load_category() noexcept {
  static const load_error_category category;
  return category;
}

}  // namespace percore::load
