// The standard flags: each parsed into the launch configuration, each mistake named.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <percore/shards/launch.hh>

namespace percore {
namespace {

launch_config parse(std::vector<std::string> words) {
  words.insert(words.begin(), "program");
  std::vector<char*> argv;
  for (auto& word : words) argv.push_back(word.data());
  return parse_launch_flags(static_cast<int>(argv.size()), argv.data());
}

std::string rejection(std::vector<std::string> words) {
  try {
    auto config = parse(std::move(words));
    config.validate();
    launch(config, []() -> task<void> { co_return; });
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "accepted";
}

TEST(launch_flags, every_flag_reaches_the_configuration) {
  const launch_config config =
      parse({"--smp", "2", "--cpus=0-1", "--no-smt", "--oversubscribe", "--numa", "interleave",
             "--backend", "epoll", "--poll", "--time-slice-us", "250", "--ring-entries=64",
             "--mesh-capacity", "256", "--memory", "64M"});
  EXPECT_EQ(config.placement.smp, 2u);
  EXPECT_EQ(config.placement.cpus, "0-1");
  EXPECT_TRUE(config.placement.no_smt);
  EXPECT_TRUE(config.placement.oversubscribe);
  EXPECT_EQ(config.placement.numa, numa_policy::interleave);
  EXPECT_EQ(config.engine.backend, io::backend_kind::epoll);
  EXPECT_TRUE(config.engine.poll);
  EXPECT_EQ(config.engine.time_slice, std::chrono::microseconds(250));
  EXPECT_EQ(config.engine.ring_entries, 64u);
  EXPECT_EQ(config.mesh_capacity, 256u);
  EXPECT_EQ(config.memory_per_shard, std::size_t{64} << 20);
}

TEST(launch_flags, mistakes_are_named) {
  EXPECT_NE(rejection({"--smp", "two"}).find("--smp 'two'"), std::string::npos);
  EXPECT_NE(rejection({"--smp"}).find("--smp needs a value"), std::string::npos);
  EXPECT_NE(rejection({"--frobnicate"}).find("unknown flag '--frobnicate'"), std::string::npos);
  EXPECT_NE(rejection({"--numa", "far"}).find("local, interleave, none"), std::string::npos);
  EXPECT_NE(rejection({"--backend", "kqueue"}).find("'kqueue'"), std::string::npos);
  EXPECT_NE(rejection({"--mesh-capacity", "3"}).find("mesh_capacity 3"), std::string::npos);
  EXPECT_NE(rejection({"--ring-entries", "100"}).find("ring_entries 100"), std::string::npos);
  EXPECT_NE(rejection({"--memory", "lots"}).find("--memory 'lots'"), std::string::npos);
  EXPECT_NE(rejection({"--memory", "4K"}).find("too small"), std::string::npos);
  const std::string zero = rejection({"--smp", "0"});
  EXPECT_NE(zero.find("--smp 0"), std::string::npos) << zero;
  const std::string outside = rejection({"--cpus", "0-4095"});
  EXPECT_NE(outside.find("allowed"), std::string::npos) << outside;
  const std::string too_many = rejection({"--smp", "64"});
  EXPECT_NE(too_many.find("--smp 64"), std::string::npos) << too_many;
}

int run_with(std::vector<std::string> words) {
  words.insert(words.begin(), "program");
  std::vector<char*> argv;
  for (auto& word : words) argv.push_back(word.data());
  return run(static_cast<int>(argv.size()), argv.data(), []() -> task<int> { co_return 0; });
}

TEST(launch_flags, run_reports_a_bad_flag_or_cpu_choice_and_returns_2) {
  EXPECT_EQ(run_with({"--smp", "zero"}), 2);
  EXPECT_EQ(run_with({"--smp", "0"}), 2);
  EXPECT_EQ(run_with({"--cpus", "4000"}), 2);
  EXPECT_EQ(run_with({"--smp", "1"}), 0);
}

TEST(launch_flags, split_keeps_standard_flags_with_their_values_and_the_rest_in_order) {
  std::vector<std::string> words = {"program", "--port", "8080", "--smp", "2", "--no-smt",
                                    "--cpus=0-1", "tcp://127.0.0.1:1", "--json", "--backend",
                                    "epoll"};
  std::vector<char*> argv;
  for (auto& word : words) argv.push_back(word.data());
  split_arguments split = split_launch_flags(static_cast<int>(argv.size()), argv.data());
  auto text = [](const std::vector<char*>& pieces) {
    std::vector<std::string> out;
    for (char* piece : pieces) out.emplace_back(piece);
    return out;
  };
  EXPECT_EQ(text(split.launch), (std::vector<std::string>{"program", "--smp", "2", "--no-smt",
                                                          "--cpus=0-1", "--backend", "epoll"}));
  EXPECT_EQ(text(split.own),
            (std::vector<std::string>{"--port", "8080", "tcp://127.0.0.1:1", "--json"}));
  // What it keeps, parse_launch_flags accepts.
  const launch_config config =
      parse_launch_flags(static_cast<int>(split.launch.size()), split.launch.data());
  EXPECT_EQ(config.placement.smp, 2u);
  EXPECT_TRUE(config.placement.no_smt);
}

}  // namespace
}  // namespace percore
