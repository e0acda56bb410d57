// Parsing the daemons' own options; percore's split_launch_flags sets the shard flags apart.
#include "daemon_options.hh"

#include <charconv>
#include <stdexcept>
#include <string_view>

#include <percore/shards/launch.hh>

namespace percore::daemons {

daemon_options parse_daemon_options(int argc, char** argv, std::uint16_t default_port) {
  split_arguments split = split_launch_flags(argc, argv);
  daemon_options options;
  options.port = default_port;
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
      const std::string_view text = take_value();
      unsigned number = 0;
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
      if (error != std::errc{} || end != text.data() + text.size() || number == 0 ||
          number > 65535) {
        throw std::invalid_argument("--port '" + std::string(text) +
                                    "' is invalid (accepted: 1 to 65535)");
      }
      options.port = static_cast<std::uint16_t>(number);
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
                                  "' (accepted: --port N, --accept reuse-port|balanced, and the "
                                  "shard flags --smp, --cpus, ...)");
    }
  }
  return options;
}

}  // namespace percore::daemons
