// shard_measurements: errors sorted by kind into the window's counts, and a window that an
// interruption can only shorten.
#include "shard_measurements.hh"

#include <algorithm>

namespace percore::load {

void shard_measurements::close_window(clock::time_point end) noexcept {
  window_end_ = std::min(window_end_, end);
}

void shard_measurements::record_error(error_kind kind, clock::time_point now) noexcept {
  ++errors_total_;
  if (now < window_begin_ || now >= window_end_) return;
  switch (kind) {
    case error_kind::connect:
      ++errors_.connect;
      break;
    case error_kind::transfer:
      ++errors_.transfer;
      break;
    case error_kind::timeout:
      ++errors_.timeout;
      break;
    case error_kind::answer:
      ++errors_.answer;
      break;
  }
}

}  // namespace percore::load
