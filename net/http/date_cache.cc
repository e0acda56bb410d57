// Formatting IMF-fixdate from a civil-from-days conversion (no locale, no time zone database),
// and reading the time from the coarse clock: only the second matters.
#include <percore/net/http/date_cache.hh>

#include <time.h>

#include <algorithm>

namespace percore::net::http {
namespace {

constexpr std::string_view day_names = "SunMonTueWedThuFriSat";
constexpr std::string_view month_names = "JanFebMarAprMayJunJulAugSepOctNovDec";

void put_two_digits(char* out, long value) noexcept {
  out[0] = static_cast<char>('0' + value / 10);
  out[1] = static_cast<char>('0' + value % 10);
}

}  // namespace

std::string_view date_cache::header_line(std::chrono::system_clock::time_point now) noexcept {
  const long long second =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (second != second_) {
    second_ = second;
    const std::chrono::sys_days day =
        std::chrono::floor<std::chrono::days>(std::chrono::sys_seconds(std::chrono::seconds(second)));
    const std::chrono::year_month_day date(day);
    const long long since_midnight = second - std::chrono::sys_seconds(day).time_since_epoch().count();
    const std::size_t weekday = std::chrono::weekday(day).c_encoding();
    const std::size_t month = static_cast<unsigned>(date.month()) - 1;

    char* out = line_.data();
    std::copy_n(example.data(), example.size(), out);  // the fixed parts: "Date: ", ", ", " GMT"
    std::copy_n(day_names.data() + weekday * 3, 3, out + 6);
    put_two_digits(out + 11, static_cast<long>(static_cast<unsigned>(date.day())));
    std::copy_n(month_names.data() + month * 3, 3, out + 14);
    const int year = static_cast<int>(date.year());
    put_two_digits(out + 18, year / 100 % 100);
    put_two_digits(out + 20, year % 100);
    put_two_digits(out + 23, static_cast<long>(since_midnight / 3600));
    put_two_digits(out + 26, static_cast<long>(since_midnight / 60 % 60));
    put_two_digits(out + 29, static_cast<long>(since_midnight % 60));
  }
  return {line_.data(), line_.size()};
}

std::string_view date_cache::header_line() noexcept {
  // The coarse clock costs a few nanoseconds (no clock read from the hardware), and a Date
  // header only shows whole seconds.
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME_COARSE, &now);
  return header_line(std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::seconds(now.tv_sec))));
}

date_cache& date_cache::local() noexcept {
  static thread_local date_cache cache;
  return cache;
}

}  // namespace percore::net::http
