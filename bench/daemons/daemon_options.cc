// Parsing the daemons' own options; percore's split_launch_flags sets the shard flags apart.
#include "daemon_options.hh"

#include <charconv>
#include <stdexcept>
#include <string>
#include <string_view>

#include <percore/shards/launch.hh>

namespace percore::daemons {
namespace {

unsigned parse_number(std::string_view flag, std::string_view text, unsigned lowest,
                      unsigned highest) {
  unsigned number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc{} || end != text.data() + text.size() || number < lowest ||
      number > highest) {
    throw std::invalid_argument(std::string(flag) + " '" + std::string(text) +
                                "' is invalid (accepted: " + std::to_string(lowest) + " to " +
                                std::to_string(highest) + ")");
  }
  return number;
}

}  // namespace

daemon_options parse_daemon_options(int argc, char** argv, const daemon_options& defaults) {
  split_arguments split = split_launch_flags(argc, argv);
  daemon_options options = defaults;
  options.shard_arguments = std::move(split.launch);
  const std::vector<char*>& own = split.own;
  for (std::size_t index = 0; index < own.size(); ++index) {
    std::string_view flag = own[index];
    std::string_view value;
    bool inline_value = false;
    if (const auto equals = flag.find('='); equals != std::string_view::npos) {
      value = flag.substr(equals + 1);
      flag = flag.substr(0, equals);
      inline_value = true;
    }
    auto take_value = [&]() -> std::string_view {
      if (inline_value) return value;
      if (index + 1 >= own.size()) {
        throw std::invalid_argument(std::string(flag) + " needs a value");
      }
      return own[++index];
    };
    if (flag == "--port") {
      options.port = static_cast<std::uint16_t>(parse_number(flag, take_value(), 1, 65535));
    } else if (flag == "--receive-buffers") {
      const unsigned count = parse_number(flag, take_value(), 0, 32768);
      if (count != 0 && (count & (count - 1)) != 0) {
        throw std::invalid_argument("--receive-buffers '" + std::to_string(count) +
                                    "' is invalid (accepted: 0, or a power of two up to 32768)");
      }
      options.receive_buffers = static_cast<std::uint16_t>(count);
    } else if (flag == "--accept") {
      const std::string_view mode = take_value();
      if (mode == "reuse-port") {
        options.accept = accept_mode::reuse_port;
      } else if (mode == "balanced") {
        options.accept = accept_mode::balanced;
      } else {
        throw std::invalid_argument("--accept '" + std::string(mode) +
                                    "' is invalid (accepted: reuse-port, balanced)");
      }
    } else {
      throw std::invalid_argument("unknown argument '" + std::string(own[index]) +
                                  "' (accepted: --port N, --accept reuse-port|balanced, "
                                  "--receive-buffers N, and the shard flags --smp, --cpus, ...)");
    }
  }
  return options;
}

}  // namespace percore::daemons
