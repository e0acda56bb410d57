// The standard command-line flags of a percore program, parsed into a launch_config. Every
// mistake is named with the flag, the value and what is accepted.
#include <charconv>
#include <stdexcept>
#include <string>
#include <string_view>

#include <percore/shards/launch.hh>

namespace percore {
namespace {

template <class Number>
Number parse_number(std::string_view flag, std::string_view text, Number lowest, Number highest) {
  Number value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value < lowest ||
      value > highest) {
    throw std::invalid_argument("percore: " + std::string(flag) + " '" + std::string(text) +
                                "' is invalid (accepted: a number from " +
                                std::to_string(lowest) + " to " + std::to_string(highest) + ")");
  }
  return value;
}

// "512M", "2G", "65536": bytes with an optional binary K/M/G suffix.
std::size_t parse_size(std::string_view flag, std::string_view text) {
  std::size_t scale = 1;
  std::string_view digits = text;
  if (!digits.empty()) {
    switch (digits.back()) {
      case 'K': case 'k': scale = std::size_t{1} << 10; break;
      case 'M': case 'm': scale = std::size_t{1} << 20; break;
      case 'G': case 'g': scale = std::size_t{1} << 30; break;
      default: break;
    }
    if (scale != 1) digits.remove_suffix(1);
  }
  std::size_t value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || error != std::errc{} || end != digits.data() + digits.size() ||
      value > (std::size_t{1} << 50) / scale) {
    throw std::invalid_argument("percore: " + std::string(flag) + " '" + std::string(text) +
                                "' is invalid (accepted: bytes, or a number with K, M or G)");
  }
  return value * scale;
}

numa_policy parse_numa_policy(std::string_view text) {
  if (text == "local") return numa_policy::local;
  if (text == "interleave") return numa_policy::interleave;
  if (text == "none") return numa_policy::none;
  throw std::invalid_argument("percore: --numa '" + std::string(text) +
                              "' is invalid (accepted: local, interleave, none)");
}

// Every standard flag, and whether it takes a value: one table for parsing, splitting argv and
// naming what is accepted.
struct flag_spec {
  std::string_view name;
  bool takes_value;
};
constexpr flag_spec standard_flags[] = {
    {"--smp", true},     {"--cpus", true},         {"--no-smt", false},       {"--oversubscribe", false},
    {"--numa", true},    {"--memory", true},       {"--backend", true},       {"--poll", false},
    {"--time-slice-us", true}, {"--ring-entries", true}, {"--mesh-capacity", true},
};

const flag_spec* find_flag(std::string_view argument) {
  const std::string_view name = argument.substr(0, argument.find('='));
  for (const flag_spec& spec : standard_flags) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

}  // namespace

split_arguments split_launch_flags(int argc, char** argv) {
  split_arguments split;
  if (argc > 0) split.launch.push_back(argv[0]);
  for (int index = 1; index < argc; ++index) {
    const std::string_view argument = argv[index];
    const flag_spec* spec = find_flag(argument);
    if (spec == nullptr) {
      split.own.push_back(argv[index]);
      continue;
    }
    split.launch.push_back(argv[index]);
    const bool inline_value = argument.find('=') != std::string_view::npos;
    if (spec->takes_value && !inline_value && index + 1 < argc) {
      split.launch.push_back(argv[++index]);
    }
  }
  return split;
}

launch_config parse_launch_flags(int argc, char** argv) {
  launch_config config;
  for (int index = 1; index < argc; ++index) {
    std::string_view flag = argv[index];
    std::string_view value;
    bool has_value = false;
    if (const auto equals = flag.find('='); equals != std::string_view::npos) {
      value = flag.substr(equals + 1);
      flag = flag.substr(0, equals);
      has_value = true;
    }
    // A flag that takes a value reads it from "--flag=value" or from the next argument.
    auto take_value = [&]() -> std::string_view {
      if (has_value) return value;
      if (index + 1 >= argc) {
        throw std::invalid_argument("percore: " + std::string(flag) + " needs a value");
      }
      return argv[++index];
    };
    if (flag == "--smp") {
      // 0 passes here so that placement can refuse it naming the CPUs that are allowed.
      config.placement.smp = parse_number<unsigned>(flag, take_value(), 0, 4096);
    } else if (flag == "--cpus") {
      config.placement.cpus = std::string(take_value());
    } else if (flag == "--no-smt") {
      config.placement.no_smt = true;
    } else if (flag == "--oversubscribe") {
      config.placement.oversubscribe = true;
    } else if (flag == "--numa") {
      config.placement.numa = parse_numa_policy(take_value());
    } else if (flag == "--memory") {
      config.memory_per_shard = parse_size(flag, take_value());
    } else if (flag == "--backend") {
      config.engine.backend = io::parse_backend_kind(take_value());
    } else if (flag == "--poll") {
      config.engine.poll = true;
    } else if (flag == "--time-slice-us") {
      config.engine.time_slice =
          std::chrono::microseconds(parse_number<long>(flag, take_value(), 1, 1'000'000));
    } else if (flag == "--ring-entries") {
      config.engine.ring_entries = parse_number<unsigned>(flag, take_value(), 1, 32768);
    } else if (flag == "--mesh-capacity") {
      config.mesh_capacity = parse_number<std::size_t>(flag, take_value(), 2, 1 << 20);
    } else {
      throw std::invalid_argument(
          "percore: unknown flag '" + std::string(argv[index]) +
          "' (accepted: --smp N, --cpus LIST, --no-smt, --oversubscribe, --numa POLICY, "
          "--memory SIZE, "
          "--backend NAME, --poll, --time-slice-us N, --ring-entries N, --mesh-capacity N)");
    }
  }
  return config;
}

}  // namespace percore
