// percore-load's command line: target URLs, its own options, the shard flags it hands to
// percore::run, and the one-line error for each kind of bad input.
#include "bench/load/load_options.hh"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <percore/shards/launch.hh>

namespace percore::load {
namespace {

using namespace std::chrono_literals;

std::string url_rejection(std::string_view text) {
  try {
    parse_target_url(text);
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "accepted";
}

// Keeps the words alive: the shard arguments of a parsed command line point into them.
struct command {
  std::vector<std::string> words;
  std::vector<char*> argv;

  explicit command(std::vector<std::string> arguments) : words(std::move(arguments)) {
    words.insert(words.begin(), "percore-load");
    for (auto& word : words) argv.push_back(word.data());
  }
  load_command_line parse() {
    return parse_load_command_line(static_cast<int>(argv.size()), argv.data());
  }
};

std::string rejection(std::vector<std::string> words) {
  try {
    command(std::move(words)).parse();
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "accepted";
}

std::vector<std::string> strings(const std::vector<char*>& arguments) {
  return std::vector<std::string>(arguments.begin(), arguments.end());
}

TEST(target_url, echo_and_http_targets_are_split_into_their_parts) {
  const target_url echo = parse_target_url("tcp://127.0.0.1:7000");
  EXPECT_EQ(echo.protocol, target_protocol::echo);
  EXPECT_EQ(echo.host, "127.0.0.1");
  EXPECT_EQ(echo.port, 7000);
  EXPECT_EQ(echo.path, "");

  const target_url http = parse_target_url("http://localhost:8080/plaintext?size=5");
  EXPECT_EQ(http.protocol, target_protocol::http);
  EXPECT_EQ(http.host, "localhost");
  EXPECT_EQ(http.port, 8080);
  EXPECT_EQ(http.path, "/plaintext?size=5");

  const target_url bare = parse_target_url("HTTP://example.org");
  EXPECT_EQ(bare.protocol, target_protocol::http);
  EXPECT_EQ(bare.port, 80);
  EXPECT_EQ(bare.path, "/");

  const target_url ipv6 = parse_target_url("http://[::1]:9000/");
  EXPECT_EQ(ipv6.host, "::1");
  EXPECT_EQ(ipv6.port, 9000);
  EXPECT_EQ(parse_target_url("tcp://[fe80::1]:1").port, 1);
  EXPECT_EQ(parse_target_url("tcp://h:65535").port, 65535);
}

TEST(target_url, to_string_writes_the_canonical_form) {
  EXPECT_EQ(to_string(parse_target_url("tcp://127.0.0.1:7000")), "tcp://127.0.0.1:7000");
  EXPECT_EQ(to_string(parse_target_url("HTTP://h")), "http://h:80/");
  EXPECT_EQ(to_string(parse_target_url("http://[::1]:81/a?b")), "http://[::1]:81/a?b");
}

TEST(target_url, each_mistake_is_named_on_one_line) {
  const std::pair<std::string, std::string> cases[] = {
      {"127.0.0.1:80", "no scheme"},
      {"ftp://h:21", "unknown scheme 'ftp'"},
      {"https://h/", "unknown scheme 'https'"},
      {"tcp://h", "no port"},
      {"tcp://h:", "port '' is not a number"},
      {"tcp://h:0", "port '0' is not a number from 1 to 65535"},
      {"tcp://h:65536", "port '65536'"},
      {"tcp://h:80x", "port '80x'"},
      {"tcp://:80", "no host"},
      {"http:///x", "no host"},
      {"tcp://h:80/x", "a tcp URL has no path"},
      {"http://h/a b", "space or a control character"},
      {"http://h/a\r\nX-Injected: 1", "'http://h/a\\x0d\\x0aX-Injected: 1': the path has a space"},
      {"http://h/a#top", "'#' fragment"},
      {"http://[::1/", "'[' without ']'"},
      {"http://[::1]x/", "'x' after the IPv6 host"},
      {"http://[zz]/", "'zz' is not an IPv6 address"},
      {"http://user@h/", "user information"},
      {"http://h!st/", "host 'h!st'"},
      {"http://::1/", "host"},
  };
  for (const auto& [url, reason] : cases) {
    const std::string message = url_rejection(url);
    EXPECT_NE(message.find("bad URL '"), std::string::npos) << message;
    EXPECT_NE(message.find(reason), std::string::npos) << url << ": " << message;
    EXPECT_NE(message.find("accepted: tcp://HOST:PORT"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << "more than one line: " << message;
  }
}

TEST(load_options, defaults_are_a_closed_loop_of_100_connections_for_10_seconds) {
  command defaults({"tcp://127.0.0.1:7000"});
  const load_command_line line = defaults.parse();
  EXPECT_EQ(line.options.connections, 100u);
  EXPECT_EQ(line.options.duration, 10s);
  EXPECT_FALSE(line.options.rate.has_value());
  EXPECT_EQ(line.options.message_size, 64u);
  EXPECT_FALSE(line.options.json);
  EXPECT_EQ(line.options.warmup, 0s);
  EXPECT_EQ(line.options.timeout, 2s);
  EXPECT_FALSE(line.help);
  EXPECT_EQ(strings(line.shard_arguments), std::vector<std::string>{"percore-load"});
}

TEST(load_options, every_option_reaches_the_options_in_both_spellings) {
  const load_command_line spaced =
      command({"--connections", "1000", "--duration", "30", "--rate", "50000", "--message-size",
               "4K", "--json", "--warmup", "2", "--timeout", "500ms", "tcp://h:1"})
          .parse();
  EXPECT_EQ(spaced.options.connections, 1000u);
  EXPECT_EQ(spaced.options.duration, 30s);
  ASSERT_TRUE(spaced.options.rate.has_value());
  EXPECT_EQ(*spaced.options.rate, 50000.0);
  EXPECT_EQ(spaced.options.message_size, 4096u);
  EXPECT_TRUE(spaced.options.json);
  EXPECT_EQ(spaced.options.warmup, 2s);
  EXPECT_EQ(spaced.options.timeout, 500ms);
  EXPECT_EQ(spaced.options.target.port, 1);

  const load_command_line joined =
      command({"http://h/x", "--connections=7", "--duration=1.5s", "--rate=2.5e3", "--warmup=0"})
          .parse();
  EXPECT_EQ(joined.options.connections, 7u);
  EXPECT_EQ(joined.options.duration, 1500ms);
  EXPECT_EQ(*joined.options.rate, 2500.0);
  EXPECT_EQ(joined.options.warmup, 0s);
  EXPECT_EQ(joined.options.target.path, "/x");
}

TEST(load_options, times_take_units) {
  auto duration_of = [](std::string text) {
    return command({"--duration", text, "tcp://h:1"}).parse().options.duration;
  };
  EXPECT_EQ(duration_of("10"), 10s);
  EXPECT_EQ(duration_of("10s"), 10s);
  EXPECT_EQ(duration_of("500ms"), 500ms);
  EXPECT_EQ(duration_of("250us"), 250us);
  EXPECT_EQ(duration_of("2m"), 2min);
  EXPECT_EQ(duration_of("1h"), 1h);
  EXPECT_EQ(duration_of("0.25"), 250ms);
}

TEST(load_options, shard_flags_are_passed_on_in_order_with_their_values) {
  command mixed({"--smp", "2", "--connections", "8", "--cpus=0-1", "tcp://h:1", "--poll",
                 "--numa", "local", "--backend", "epoll"});
  load_command_line line = mixed.parse();
  EXPECT_EQ(strings(line.shard_arguments),
            (std::vector<std::string>{"percore-load", "--smp", "2", "--cpus=0-1", "--poll",
                                      "--numa", "local", "--backend", "epoll"}));
  EXPECT_EQ(line.options.connections, 8u);
  EXPECT_EQ(line.options.target.host, "h");

  const launch_config config = parse_launch_flags(static_cast<int>(line.shard_arguments.size()),
                                                  line.shard_arguments.data());
  EXPECT_EQ(config.placement.smp, 2u);
  EXPECT_EQ(config.placement.cpus, "0-1");
  EXPECT_TRUE(config.engine.poll);
  EXPECT_EQ(config.engine.backend, io::backend_kind::epoll);
}

// percore's own split hands every standard flag, with its value, to percore::run.
TEST(load_options, every_standard_flag_goes_to_percore_run_with_its_value) {
  command every({"--smp", "1", "--cpus", "0", "--no-smt", "--oversubscribe", "--numa", "none",
                 "--memory", "64M", "--backend", "epoll", "--poll", "--time-slice-us", "100",
                 "--ring-entries", "64", "--mesh-capacity", "64", "tcp://h:1"});
  load_command_line line = every.parse();
  EXPECT_EQ(line.shard_arguments.size(), every.argv.size() - 1);
  EXPECT_NO_THROW(parse_launch_flags(static_cast<int>(line.shard_arguments.size()),
                                     line.shard_arguments.data()));
  for (std::string flag : {"--smp", "--cpus", "--numa", "--memory", "--backend",
                           "--time-slice-us", "--ring-entries", "--mesh-capacity"}) {
    command alone({flag});
    try {
      parse_launch_flags(static_cast<int>(alone.argv.size()), alone.argv.data());
      ADD_FAILURE() << flag << " took no value";
    } catch (const std::invalid_argument& error) {
      EXPECT_NE(std::string(error.what()).find("needs a value"), std::string::npos) << error.what();
    }
  }
}

TEST(load_options, help_needs_no_target) {
  EXPECT_TRUE(command({"--help"}).parse().help);
  EXPECT_TRUE(command({"-h", "--smp", "1"}).parse().help);
  EXPECT_NE(usage().find("--connections N"), std::string_view::npos);
  EXPECT_NE(usage().find("--smp N"), std::string_view::npos);
}

TEST(load_options, each_mistake_is_named_on_one_line) {
  const std::pair<std::vector<std::string>, std::string> cases[] = {
      {{}, "no target URL"},
      {{"--connections", "2"}, "no target URL"},
      {{"tcp://h:1", "tcp://h:2"}, "two target URLs, 'tcp://h:1' and 'tcp://h:2'"},
      {{"h:1"}, "bad URL 'h:1'"},
      {{"tcp://h:1", "--conections", "5"}, "unknown flag '--conections'"},
      {{"tcp://h:1", "-c"}, "unknown flag '-c'"},
      {{"tcp://h:1", "--json=yes"}, "unknown flag '--json=yes'"},
      {{"tcp://h:1", "--connections"}, "--connections needs a value"},
      {{"tcp://h:1", "--connections", "0"}, "--connections '0' is invalid (accepted: a number"},
      {{"tcp://h:1", "--connections", "1000001"}, "--connections '1000001'"},
      {{"tcp://h:1", "--connections", "ten"}, "--connections 'ten'"},
      {{"tcp://h:1", "--duration", "0"}, "--duration '0' is invalid (accepted: more than 0"},
      {{"tcp://h:1", "--duration", "25h"}, "--duration '25h'"},
      {{"tcp://h:1", "--duration", "5x"}, "--duration '5x'"},
      {{"tcp://h:1", "--duration", "-1"}, "--duration '-1'"},
      {{"tcp://h:1", "--warmup", "1d"}, "--warmup '1d' is invalid (accepted: 0 or more"},
      {{"tcp://h:1", "--timeout", "0"}, "--timeout '0' is invalid (accepted: more than 0"},
      {{"tcp://h:1", "--rate", "0"}, "--rate '0'"},
      {{"tcp://h:1", "--rate", "-5"}, "--rate '-5'"},
      {{"tcp://h:1", "--rate", "inf"}, "--rate 'inf'"},
      {{"tcp://h:1", "--rate", "2e9"}, "--rate '2e9'"},
      {{"tcp://h:1", "--message-size", "0"}, "--message-size '0'"},
      {{"tcp://h:1", "--message-size", "2M"}, "--message-size '2M'"},
      {{"tcp://h:1", "--message-size", "big"}, "--message-size 'big'"},
      {{"http://h/", "--message-size", "64"}, "--message-size applies to tcp:// targets only"},
  };
  for (const auto& [words, reason] : cases) {
    const std::string message = rejection(words);
    EXPECT_NE(message.find(reason), std::string::npos) << message;
    EXPECT_TRUE(message.starts_with("percore-load: ")) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace percore::load
