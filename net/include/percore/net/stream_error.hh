// The expected failures of the buffered streams that are not the kernel's: the stream ended too
// early, a delimiter did not come within the length limit, the buffer is full, the sink stalled.
#pragma once

#include <string>
#include <system_error>

namespace percore::net {

enum class stream_errc {
  end_of_stream = 1,  // the source ended before the bytes asked for
  too_long,           // no delimiter within the length limit (or the buffer)
  buffer_full,        // fill() has no room: every buffered byte is still unconsumed
  sink_stalled,       // the sink accepted no byte of a non-empty write
};

inline const std::error_category& stream_category() noexcept {
  class category final : public std::error_category {
   public:
    const char* name() const noexcept override { return "percore.stream"; }
    std::string message(int value) const override {
      switch (static_cast<stream_errc>(value)) {
        case stream_errc::end_of_stream: return "end of stream before the expected bytes";
        case stream_errc::too_long: return "no delimiter within the length limit";
        case stream_errc::buffer_full: return "input buffer full of unconsumed bytes";
        case stream_errc::sink_stalled: return "the sink accepted no bytes";
      }
      return "unknown stream error";
    }
  };
  static const category instance;
  return instance;
}

inline std::error_code make_error_code(stream_errc error) noexcept {
  return {static_cast<int>(error), stream_category()};
}

}  // namespace percore::net

template <>
struct std::is_error_code_enum<percore::net::stream_errc> : std::true_type {};
