// load_options: parses percore-load's options and target, leaves the shard flags to percore's
// own split, and names every mistake in one line with what would be accepted.
#include "load_options.hh"

#include <array>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <string>

#include <percore/shards/launch.hh>

namespace percore::load {
namespace {

constexpr std::size_t most_connections = 1'000'000;
constexpr std::size_t largest_message = std::size_t{1} << 20;
constexpr double highest_rate = 1e9;
constexpr std::chrono::nanoseconds longest_duration = std::chrono::hours(24);

constexpr std::string_view usage_text =
    "usage: percore-load [options] [shard flags] tcp://HOST:PORT | http://HOST[:PORT][/PATH]\n"
    "options:\n"
    "  --connections N    connections over all shards (default 100)\n"
    "  --duration TIME    measured window (default 10s; units us, ms, s, m, h; bare: seconds)\n"
    "  --rate R           open loop: R requests per second over all connections, latency\n"
    "                     measured from when each request was due (default: closed loop)\n"
    "  --message-size B   bytes per echo message, tcp:// only (default 64; K and M suffixes)\n"
    "  --warmup TIME      traffic before the window, not recorded (default 0)\n"
    "  --timeout TIME     an answer or a connect taking longer is an error (default 2s)\n"
    "  --json             print the result as one JSON object\n"
    "  --help             print this text\n"
    "shard flags (passed to percore::run): --smp N, --cpus LIST, --no-smt, --oversubscribe,\n"
    "  --numa POLICY, --memory SIZE, --backend NAME, --poll, --time-slice-us N,\n"
    "  --ring-entries N, --mesh-capacity N\n";

[[noreturn]] void reject(std::string_view flag, std::string_view text, std::string_view accepted) {
  throw std::invalid_argument("percore-load: " + std::string(flag) + " '" + std::string(text) +
                              "' is invalid (accepted: " + std::string(accepted) + ")");
}

bool parse_whole(std::string_view text, double& value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return !text.empty() && error == std::errc{} && end == text.data() + text.size() &&
         std::isfinite(value);
}

std::size_t parse_count(std::string_view flag, std::string_view text) {
  std::size_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size() || value < 1 ||
      value > most_connections) {
    reject(flag, text, "a number from 1 to " + std::to_string(most_connections));
  }
  return value;
}

// "10", "2.5s", "500ms", "250us", "1m", "1h"; a bare number is seconds.
std::chrono::nanoseconds parse_time(std::string_view flag, std::string_view text,
                                    bool zero_allowed) {
  struct unit {
    std::string_view suffix;
    double nanoseconds;
  };
  // Longer suffixes first, so that "ms" is not read as "m" after "...s".
  constexpr std::array<unit, 5> units = {{{"ms", 1e6}, {"us", 1e3}, {"s", 1e9}, {"m", 60e9},
                                          {"h", 3600e9}}};
  const std::string accepted = std::string(zero_allowed ? "0 or more" : "more than 0") +
                               " and at most 24h, in seconds or with us, ms, s, m or h";
  std::string_view number = text;
  double scale = 1e9;
  for (const unit& candidate : units) {
    if (number.ends_with(candidate.suffix)) {
      number.remove_suffix(candidate.suffix.size());
      scale = candidate.nanoseconds;
      break;
    }
  }
  double value = 0;
  if (!parse_whole(number, value) || value < 0) reject(flag, text, accepted);
  const double nanoseconds = value * scale;
  if (nanoseconds > static_cast<double>(longest_duration.count()) ||
      (!zero_allowed && nanoseconds < 1)) {
    reject(flag, text, accepted);
  }
  return std::chrono::nanoseconds(std::llround(nanoseconds));
}

double parse_rate(std::string_view flag, std::string_view text) {
  double value = 0;
  if (!parse_whole(text, value) || value <= 0 || value > highest_rate) {
    reject(flag, text, "requests per second, more than 0 and at most 1e9");
  }
  return value;
}

// "64", "4K", "1M": bytes with an optional binary suffix.
std::size_t parse_bytes(std::string_view flag, std::string_view text) {
  std::string_view digits = text;
  std::size_t scale = 1;
  if (digits.ends_with('K') || digits.ends_with('k')) scale = std::size_t{1} << 10;
  if (digits.ends_with('M') || digits.ends_with('m')) scale = std::size_t{1} << 20;
  if (scale != 1) digits.remove_suffix(1);
  std::size_t value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || error != std::errc{} || end != digits.data() + digits.size() ||
      value < 1 || value > largest_message / scale) {
    reject(flag, text, "bytes from 1 to 1M, with an optional K or M");
  }
  return value * scale;
}

}  // namespace

load_command_line parse_load_command_line(int argc, char** argv) {
  split_arguments split = split_launch_flags(argc, argv);
  load_command_line line;
  line.shard_arguments = std::move(split.launch);
  const std::vector<char*>& own = split.own;
  std::optional<std::string_view> url;
  bool message_size_given = false;
  for (std::size_t index = 0; index < own.size(); ++index) {
    const std::string_view word = own[index];
    std::string_view flag = word;
    std::string_view value;
    bool has_value = false;
    if (const auto equals = word.find('='); word.starts_with("--") && equals != word.npos) {
      flag = word.substr(0, equals);
      value = word.substr(equals + 1);
      has_value = true;
    }
    auto take_value = [&]() -> std::string_view {
      if (has_value) return value;
      if (index + 1 >= own.size()) {
        throw std::invalid_argument("percore-load: " + std::string(flag) + " needs a value");
      }
      return own[++index];
    };

    if (!word.starts_with('-')) {
      if (url) {
        throw std::invalid_argument("percore-load: two target URLs, '" + std::string(*url) +
                                    "' and '" + std::string(word) + "' (accepted: one)");
      }
      url = word;
    } else if (flag == "--connections") {
      line.options.connections = parse_count(flag, take_value());
    } else if (flag == "--duration") {
      line.options.duration = parse_time(flag, take_value(), false);
    } else if (flag == "--warmup") {
      line.options.warmup = parse_time(flag, take_value(), true);
    } else if (flag == "--timeout") {
      line.options.timeout = parse_time(flag, take_value(), false);
    } else if (flag == "--rate") {
      line.options.rate = parse_rate(flag, take_value());
    } else if (flag == "--message-size") {
      line.options.message_size = parse_bytes(flag, take_value());
      message_size_given = true;
    } else if (flag == "--json" && !has_value) {
      line.options.json = true;
    } else if ((flag == "--help" || flag == "-h") && !has_value) {
      line.help = true;
    } else {
      throw std::invalid_argument(
          "percore-load: unknown flag '" + std::string(word) +
          "' (accepted: --connections N, --duration TIME, --rate R, --message-size B, "
          "--warmup TIME, --timeout TIME, --json, --help, and the shard flags --help lists)");
    }
  }
  if (line.help) return line;
  if (!url) {
    throw std::invalid_argument(
        "percore-load: no target URL (accepted: tcp://HOST:PORT or http://HOST[:PORT][/PATH])");
  }
  line.options.target = parse_target_url(*url);
  if (message_size_given && line.options.target.protocol != target_protocol::echo) {
    throw std::invalid_argument(
        "percore-load: --message-size applies to tcp:// targets only, not '" +
        std::string(*url) + "'");
  }
  return line;
}

std::string_view usage() noexcept { return usage_text; }

}  // namespace percore::load
