// cpu_list parsing, topology and shard placement: plans checked against hwloc synthetic
// machines (2 sockets, SMT, several NUMA nodes), pinning and memory binding on this machine.
#include <percore/shards/cpu_list.hh>
#include <percore/shards/placement.hh>
#include <percore/shards/topology.hh>

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "thread_affinity.hh"

namespace percore {
namespace {

using cpus = std::vector<unsigned>;

// --- cpu_list ---

TEST(cpu_list, parses_numbers_and_ranges) {
  EXPECT_EQ(parse_cpu_list("0-3,8,10-11"), (cpus{0, 1, 2, 3, 8, 10, 11}));
  EXPECT_EQ(parse_cpu_list("7"), (cpus{7}));
  EXPECT_EQ(parse_cpu_list("4-4"), (cpus{4}));
}

TEST(cpu_list, parse_sorts_and_drops_repeats) {
  EXPECT_EQ(parse_cpu_list("8,0-2,1"), (cpus{0, 1, 2, 8}));
}

TEST(cpu_list, parse_accepts_the_largest_cpu_number) {
  EXPECT_EQ(parse_cpu_list(std::to_string(max_cpu_number)), (cpus{max_cpu_number}));
}

TEST(cpu_list, print_gives_the_shortest_list) {
  EXPECT_EQ(format_cpu_list(cpus{3, 0, 1, 2, 8, 10, 11}), "0-3,8,10-11");
  EXPECT_EQ(format_cpu_list(cpus{5, 5, 6}), "5-6");
  EXPECT_EQ(format_cpu_list(cpus{}), "");
}

TEST(cpu_list, parse_and_print_round_trip) {
  for (const char* text : {"0", "0-1", "0,2", "0-3,8,10-11", "1,3,5-7,9-10,65535"}) {
    EXPECT_EQ(format_cpu_list(parse_cpu_list(text)), text);
  }
}

std::string cpu_list_rejection(const std::string& text) {
  try {
    parse_cpu_list(text);
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "accepted";
}

TEST(cpu_list, malformed_lists_are_rejected_with_the_text_and_the_expected_form) {
  const std::map<std::string, std::string> problems = {
      {"3-1", "the range 3-1 runs backwards"},
      {"a", "unexpected 'a' at offset 0"},
      {"1,,2", "an entry is empty at offset 2"},
      {"1,", "an entry is empty at offset 2"},
      {",1", "an entry is empty at offset 0"},
      {"-", "a CPU number is missing at offset 0"},
      {"-1", "a CPU number is missing at offset 0"},
      {"3-", "a CPU number is missing at offset 2"},
      {"3-,4", "a CPU number is missing at offset 2"},
      {"", "it is empty"},
      {"1-2-3", "unexpected '-' at offset 3"},
      {"0x1", "unexpected 'x' at offset 1"},
      {" 1", "unexpected ' ' at offset 0"},
      {"1 ", "unexpected ' ' at offset 1"},
      {"+1", "unexpected '+' at offset 0"},
      {"65536", "CPU 65536 is above the largest CPU number 65535"},
      {"0-99999999999999999999", "CPU 99999999999999999999 is above the largest CPU number"},
  };
  for (const auto& [text, problem] : problems) {
    const std::string message = cpu_list_rejection(text);
    EXPECT_NE(message.find("\"" + text + "\""), std::string::npos) << message;
    EXPECT_NE(message.find(problem), std::string::npos) << message;
    EXPECT_NE(message.find("such as 0-3,8,10-11"), std::string::npos) << message;
  }
}

// --- topology ---

cpus range(unsigned first, unsigned last) {
  cpus numbers;
  for (unsigned cpu = first; cpu <= last; ++cpu) numbers.push_back(cpu);
  return numbers;
}

TEST(topology, synthetic_two_sockets_with_smt) {
  const topology machine = topology::synthetic("pack:2 core:8 pu:2", range(0, 31));
  ASSERT_EQ(machine.units().size(), 32u);
  EXPECT_EQ(machine.cpus(), range(0, 31));
  const processing_unit& second_socket = machine.units()[16];
  EXPECT_EQ(second_socket.cpu, 16u);
  EXPECT_EQ(second_socket.core, 16u);  // a core is named by its lowest CPU
  EXPECT_EQ(second_socket.package, 1u);
  EXPECT_EQ(second_socket.numa_node, 0);  // one node for the whole machine
  EXPECT_EQ(machine.units()[1].core, 0u);  // the SMT sibling of CPU 0
}

TEST(topology, synthetic_numa_node_per_socket) {
  const topology machine = topology::synthetic("pack:2 numa:1 core:4 pu:2", range(0, 15));
  EXPECT_EQ(machine.find(7)->numa_node, 0);
  EXPECT_EQ(machine.find(8)->numa_node, 1);
  EXPECT_EQ(machine.find(8)->package, 1u);
}

TEST(topology, synthetic_keeps_only_allowed_cpus) {
  const topology machine = topology::synthetic("pack:2 core:8 pu:2", cpus{30, 2, 3});
  EXPECT_EQ(machine.cpus(), (cpus{2, 3, 30}));
  EXPECT_EQ(machine.find(0), nullptr);
  EXPECT_EQ(machine.find(30)->package, 1u);
}

TEST(topology, synthetic_rejects_bad_input) {
  EXPECT_THROW(topology::synthetic("pack:two", cpus{0}), std::invalid_argument);
  EXPECT_THROW(topology::synthetic("pack:2 core:2 pu:1", cpus{}), std::invalid_argument);
  try {
    topology::synthetic("pack:2 core:2 pu:1", cpus{0, 4, 5});
    FAIL() << "accepted CPUs the machine lacks";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("has no CPU 4-5 (its CPUs are 0-3)"),
              std::string::npos)
        << error.what();
  }
}

// --- placement on synthetic machines ---

cpus cpus_of(const std::vector<shard_placement>& plan) {
  cpus numbers;
  for (const shard_placement& placement : plan) numbers.push_back(placement.cpu);
  return numbers;
}

std::map<unsigned, unsigned> shards_per_package(const std::vector<shard_placement>& plan) {
  std::map<unsigned, unsigned> counts;
  for (const shard_placement& placement : plan) ++counts[placement.package];
  return counts;
}

void expect_shards_numbered_in_order(const std::vector<shard_placement>& plan) {
  for (std::size_t index = 0; index < plan.size(); ++index) EXPECT_EQ(plan[index].shard, index);
}

const topology& two_sockets_with_smt() {
  static const topology machine = topology::synthetic("pack:2 core:8 pu:2", range(0, 31));
  return machine;
}

TEST(placement, default_is_one_shard_per_allowed_cpu) {
  const auto plan = plan_placement({}, two_sockets_with_smt());
  ASSERT_EQ(plan.size(), 32u);
  expect_shards_numbered_in_order(plan);
  EXPECT_EQ(cpus_of(plan), range(0, 31));
  EXPECT_EQ(plan[17].core, 16u);
  EXPECT_EQ(plan[17].package, 1u);
}

TEST(placement, no_smt_keeps_one_cpu_per_core) {
  const auto plan = plan_placement({.no_smt = true}, two_sockets_with_smt());
  ASSERT_EQ(plan.size(), 16u);
  expect_shards_numbered_in_order(plan);
  std::set<unsigned> cores;
  for (const shard_placement& placement : plan) {
    EXPECT_EQ(placement.cpu % 2, 0u) << "not the first thread of its core";
    cores.insert(placement.core);
  }
  EXPECT_EQ(cores.size(), 16u);
}

// The 2-socket machine of docs/placement.md, numbered as Linux numbers it: 0-7 are the first
// threads of socket 0, 8-15 of socket 1, 16-31 their SMT siblings; one NUMA node per socket.
const topology& two_sockets_as_linux_numbers_them() {
  static const topology machine =
      topology::synthetic("pack:2 numa:1 core:8 pu:2(indexes=2*16:1*2)", range(0, 31));
  return machine;
}

TEST(placement, two_socket_example_of_the_documentation) {
  const topology& machine = two_sockets_as_linux_numbers_them();
  ASSERT_EQ(machine.find(16)->core, machine.find(0)->core);
  ASSERT_EQ(machine.find(8)->numa_node, 1);

  EXPECT_EQ(cpus_of(plan_placement({.no_smt = true}, machine)), range(0, 15));

  const auto four = plan_placement({.smp = 4}, machine);
  EXPECT_EQ(cpus_of(four), (cpus{0, 1, 8, 9}));
  EXPECT_EQ(four[1].numa_node, 0);
  EXPECT_EQ(four[2].numa_node, 1);

  const auto twenty = plan_placement({.smp = 20}, machine);
  EXPECT_EQ(cpus_of(twenty), [] {
    cpus expected = range(0, 17);
    expected.insert(expected.end(), {24, 25});
    return expected;
  }());
}

TEST(placement, smp_spreads_over_sockets_and_cores) {
  const auto plan = plan_placement({.smp = 4}, two_sockets_with_smt());
  ASSERT_EQ(plan.size(), 4u);
  expect_shards_numbered_in_order(plan);
  EXPECT_EQ(cpus_of(plan), (cpus{0, 2, 16, 18}));  // 2+2, no two on one core
  EXPECT_EQ(shards_per_package(plan), (std::map<unsigned, unsigned>{{0, 2}, {1, 2}}));
}

TEST(placement, smp_odd_count_differs_by_one_between_sockets) {
  const auto plan = plan_placement({.smp = 3}, two_sockets_with_smt());
  EXPECT_EQ(cpus_of(plan), (cpus{0, 2, 16}));
}

TEST(placement, smp_uses_second_threads_only_when_cores_run_out) {
  const auto plan = plan_placement({.smp = 18}, two_sockets_with_smt());
  std::set<unsigned> cores;
  for (const shard_placement& placement : plan) cores.insert(placement.core);
  EXPECT_EQ(cores.size(), 16u);
  EXPECT_EQ(shards_per_package(plan), (std::map<unsigned, unsigned>{{0, 9}, {1, 9}}));
}

TEST(placement, smp_spreads_over_numa_nodes_within_sockets) {
  const topology machine = topology::synthetic("pack:2 numa:2 core:2 pu:2", range(0, 15));
  const auto plan = plan_placement({.smp = 4}, machine);
  std::set<int> nodes;
  for (const shard_placement& placement : plan) nodes.insert(placement.numa_node);
  EXPECT_EQ(nodes, (std::set<int>{0, 1, 2, 3}));
  EXPECT_EQ(plan_placement({.smp = 2}, machine)[1].package, 1u);
  EXPECT_EQ(numa_nodes_of(plan), (std::vector<int>{0, 1, 2, 3}));
}

TEST(placement, shard_zero_is_on_the_first_cpu_chosen) {
  const topology machine = topology::synthetic("pack:2 core:8 pu:2", range(5, 31));
  EXPECT_EQ(plan_placement({}, machine)[0].cpu, 5u);
  EXPECT_EQ(plan_placement({.smp = 2}, machine)[0].cpu, 5u);
  EXPECT_EQ(plan_placement({.cpus = "20,9"}, machine)[0].cpu, 9u);
}

TEST(placement, cpus_restricts_to_the_list) {
  EXPECT_EQ(cpus_of(plan_placement({.cpus = "0-3"}, two_sockets_with_smt())), range(0, 3));
  EXPECT_EQ(cpus_of(plan_placement({.cpus = "0-3,17"}, two_sockets_with_smt())),
            (cpus{0, 1, 2, 3, 17}));
  EXPECT_EQ(cpus_of(plan_placement({.smp = 2, .cpus = "0-3"}, two_sockets_with_smt())),
            (cpus{0, 2}));
  EXPECT_EQ(cpus_of(plan_placement({.cpus = "0-3", .no_smt = true}, two_sockets_with_smt())),
            (cpus{0, 2}));
}

TEST(placement, no_smt_takes_the_first_allowed_thread_of_each_core) {
  const topology machine = topology::synthetic("core:2 pu:2", cpus{1, 2, 3});
  EXPECT_EQ(cpus_of(plan_placement({.no_smt = true}, machine)), (cpus{1, 2}));
}

TEST(placement, oversubscribe_shares_cpus_round_robin) {
  const topology machine = topology::synthetic("core:2 pu:1", range(0, 1));
  const auto plan = plan_placement({.smp = 8, .oversubscribe = true}, machine);
  ASSERT_EQ(plan.size(), 8u);
  expect_shards_numbered_in_order(plan);
  EXPECT_EQ(cpus_of(plan), (cpus{0, 1, 0, 1, 0, 1, 0, 1}));
}

TEST(placement, oversubscribe_stays_even_across_sockets) {
  const auto plan = plan_placement({.smp = 40, .oversubscribe = true}, two_sockets_with_smt());
  ASSERT_EQ(plan.size(), 40u);
  EXPECT_EQ(shards_per_package(plan), (std::map<unsigned, unsigned>{{0, 20}, {1, 20}}));
  std::map<unsigned, unsigned> shards_per_cpu;
  for (const shard_placement& placement : plan) ++shards_per_cpu[placement.cpu];
  EXPECT_EQ(shards_per_cpu.size(), 32u);
  for (const auto& [cpu, count] : shards_per_cpu) EXPECT_LE(count, 2u) << "CPU " << cpu;
}

TEST(placement, oversubscribe_is_not_needed_within_the_cpus) {
  EXPECT_EQ(plan_placement({.smp = 4, .oversubscribe = true}, two_sockets_with_smt()).size(), 4u);
}

// --- placement errors: each names the value and the allowed CPUs ---

std::string placement_rejection(const placement_options& options, const topology& machine) {
  try {
    plan_placement(options, machine);
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "accepted";
}

void expect_mentions(const std::string& message, std::initializer_list<std::string> parts) {
  for (const std::string& part : parts) {
    EXPECT_NE(message.find(part), std::string::npos) << "no \"" << part << "\" in: " << message;
  }
}

const topology& eight_allowed_of_sixteen() {
  static const topology machine = topology::synthetic("pack:2 core:4 pu:2", range(0, 7));
  return machine;
}

TEST(placement_errors, smp_zero) {
  expect_mentions(placement_rejection({.smp = 0}, eight_allowed_of_sixteen()),
                  {"--smp 0", "at least one shard", "CPUs allowed: 0-7"});
}

TEST(placement_errors, more_shards_than_cpus) {
  expect_mentions(placement_rejection({.smp = 9}, eight_allowed_of_sixteen()),
                  {"--smp 9", "more shards than the 8 CPUs available", "CPUs allowed: 0-7",
                   "oversubscription"});
}

TEST(placement_errors, more_shards_than_cpus_left_by_cpus_and_no_smt) {
  expect_mentions(
      placement_rejection({.smp = 3, .cpus = "2-5", .no_smt = true}, eight_allowed_of_sixteen()),
      {"--smp 3", "the 2 CPUs available (2,4 after --cpus and --no-smt)", "CPUs allowed: 0-7"});
}

TEST(placement_errors, cpus_outside_the_affinity_mask) {
  expect_mentions(placement_rejection({.cpus = "6-9"}, eight_allowed_of_sixteen()),
                  {"--cpus 6-9", "CPUs 8-9 are outside this process's affinity mask",
                   "CPUs allowed: 0-7"});
  expect_mentions(placement_rejection({.cpus = "0,12"}, eight_allowed_of_sixteen()),
                  {"CPU 12 is outside", "CPUs allowed: 0-7"});
}

TEST(placement_errors, malformed_cpus) {
  for (const char* text : {"1,,2", "3-1", "a", "-", "", "99999999999"}) {
    expect_mentions(placement_rejection({.cpus = text}, eight_allowed_of_sixteen()),
                    {"--cpus", std::string(1, '"').append(text).append(1, '"'),
                     "such as 0-3,8,10-11",
                     "CPUs allowed: 0-7"});
  }
}

TEST(placement_errors, no_smt_leaves_nothing) {
  expect_mentions(
      placement_rejection({.cpus = "1,3", .no_smt = true}, eight_allowed_of_sixteen()),
      {"--no-smt", "--cpus 1,3", "leaves no CPU", "(those are 0,2,4,6)", "CPUs allowed: 0-7"});
}

// --- this machine ---

using testing::affinity_of_this_thread;

TEST(real_machine, detect_sees_the_affinity_mask) {
  const topology machine = topology::detect();
  EXPECT_EQ(machine.cpus(), affinity_of_this_thread());
  for (const processing_unit& unit : machine.units()) EXPECT_GE(unit.numa_node, 0);
}

TEST(real_machine, detect_in_a_process_restricted_to_cpu_0) {
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    cpu_set_t only_cpu_0;
    CPU_ZERO(&only_cpu_0);
    CPU_SET(0, &only_cpu_0);
    if (sched_setaffinity(0, sizeof only_cpu_0, &only_cpu_0) != 0) _exit(2);
    const topology machine = topology::detect();
    const auto plan = plan_placement({}, machine);
    _exit(machine.cpus() == cpus{0} && plan.size() == 1 && plan[0].cpu == 0 ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the child saw more than CPU 0 (or could not restrict)";
}

TEST(real_machine, default_plan_uses_every_allowed_cpu) {
  const topology machine = topology::detect();
  const auto plan = plan_placement({}, machine);
  EXPECT_EQ(cpus_of(plan), machine.cpus());
  EXPECT_EQ(plan[0].cpu, machine.cpus().front());
}

TEST(real_machine, pinned_thread_runs_on_its_cpu) {
  for (unsigned cpu : topology::detect().cpus()) {
    // On a thread of its own, so the test's main thread keeps the whole mask.
    std::thread([cpu] {
      pin_current_thread(cpu);
      EXPECT_EQ(sched_getcpu(), static_cast<int>(cpu));
      EXPECT_EQ(affinity_of_this_thread(), cpus{cpu});
      EXPECT_GE(current_numa_node(), 0);
    }).join();
  }
}

TEST(real_machine, pinning_to_a_missing_cpu_fails) {
  std::thread([] {
    EXPECT_THROW(pin_current_thread(max_cpu_number), std::system_error);
    EXPECT_THROW(pin_current_thread(max_cpu_number + 1), std::system_error);
  }).join();
}

struct mapped_region {
  explicit mapped_region(std::size_t size)
      : length(size),
        address(mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) {}
  ~mapped_region() { munmap(address, length); }
  std::size_t length;
  void* address;
};

TEST(real_machine, memory_binds_to_the_node_of_the_cpu) {
  const mapped_region region(1 << 20);
  ASSERT_NE(region.address, MAP_FAILED);
  const int node = current_numa_node();
  EXPECT_NO_THROW(bind_memory_to_node(region.address, region.length, node));
  std::fill_n(static_cast<char*>(region.address), region.length, 1);
  EXPECT_NO_THROW(bind_memory_to_node(region.address, region.length, -1));
  const int nodes[] = {node};
  EXPECT_NO_THROW(interleave_memory(region.address, region.length, nodes));
}

TEST(real_machine, binding_to_a_missing_node_fails) {
  const mapped_region region(1 << 16);
  ASSERT_NE(region.address, MAP_FAILED);
  try {
    bind_memory_to_node(region.address, region.length, 4096);
    FAIL() << "bound to node 4096";
  } catch (const std::system_error& error) {
    EXPECT_NE(std::string(error.what()).find("NUMA node 4096 does not exist"), std::string::npos)
        << error.what();
  }
  EXPECT_THROW(interleave_memory(region.address, region.length, {}), std::system_error);
}

}  // namespace
}  // namespace percore

namespace percore {
namespace {

TEST(thread_memory_policy, local_and_interleave_are_accepted_and_a_missing_node_is_named) {
  const int node = current_numa_node();
  const std::vector<int> nodes{node};
  EXPECT_NO_THROW(set_thread_memory_policy(numa_policy::local, node, nodes));
  EXPECT_NO_THROW(set_thread_memory_policy(numa_policy::interleave, node, nodes));
  EXPECT_NO_THROW(set_thread_memory_policy(numa_policy::none, 4096, nodes));
  try {
    set_thread_memory_policy(numa_policy::local, 4096, nodes);
    FAIL() << "accepted node 4096";
  } catch (const std::system_error& error) {
    EXPECT_NE(std::string(error.what()).find("NUMA node 4096"), std::string::npos) << error.what();
  }
  EXPECT_NO_THROW(set_thread_memory_policy(numa_policy::local, -1, nodes));  // no local node
}

}  // namespace
}  // namespace percore
