// The two sources of topology: sysfs read directly (what detect() uses) and hwloc, checked on
// fake sysfs trees of machines this one is not (2 sockets, SMT, memoryless nodes) and on this one.
#include <percore/shards/topology.hh>

#include <gtest/gtest.h>
#include <sched.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "thread_affinity.hh"

namespace percore {
namespace {

using cpus = std::vector<unsigned>;

std::string list_of(const cpus& numbers) {
  std::string text;
  for (unsigned cpu : numbers) text += (text.empty() ? "" : ",") + std::to_string(cpu);
  return text;
}

std::string mask_of(const cpus& numbers) {
  // The kernel's cpumask files: 32-bit hexadecimal words, most significant first.
  unsigned long long bits = 0;
  for (unsigned cpu : numbers) bits |= 1ULL << cpu;
  char text[32];
  std::snprintf(text, sizeof text, "%llx", bits);
  return text;
}

// A sysfs tree in a temporary directory, for a machine of `packages` sockets with `cores`
// cores of `threads` SMT threads each, numbered as Linux numbers them (the first thread of
// every core, then the second ones), and one NUMA node per socket unless told otherwise.
class fake_sysfs {
 public:
  struct machine {
    unsigned packages = 1;
    unsigned cores = 2;
    unsigned threads = 1;
    bool numa = true;               // false: a kernel built without NUMA (no node directory)
    bool old_names = false;         // thread_siblings_list only, as before Linux 5.1
    int memoryless_package = -1;    // this package's node has CPUs but no memory
  };

  explicit fake_sysfs(const machine& shape) : root_(make_root()) {
    const unsigned per_thread = shape.packages * shape.cores;
    auto cpu_of = [&](unsigned package, unsigned core, unsigned thread) {
      return thread * per_thread + package * shape.cores + core;
    };
    const unsigned count = per_thread * shape.threads;
    write("devices/system/cpu/online", "0-" + std::to_string(count - 1));
    write("devices/system/cpu/possible", "0-" + std::to_string(count - 1));
    for (unsigned package = 0; package < shape.packages; ++package) {
      cpus package_cpus;
      for (unsigned core = 0; core < shape.cores; ++core) {
        for (unsigned thread = 0; thread < shape.threads; ++thread) {
          package_cpus.push_back(cpu_of(package, core, thread));
        }
      }
      std::sort(package_cpus.begin(), package_cpus.end());
      for (unsigned core = 0; core < shape.cores; ++core) {
        cpus siblings;
        for (unsigned thread = 0; thread < shape.threads; ++thread) {
          siblings.push_back(cpu_of(package, core, thread));
        }
        for (unsigned cpu : siblings) {
          const std::string directory = "devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/";
          write(directory + "physical_package_id", std::to_string(package));
          write(directory + "core_id", std::to_string(core));
          write(directory + "thread_siblings_list", list_of(siblings));
          write(directory + "thread_siblings", mask_of(siblings));
          write(directory + "core_siblings_list", list_of(package_cpus));
          write(directory + "core_siblings", mask_of(package_cpus));
          if (!shape.old_names) {
            write(directory + "core_cpus_list", list_of(siblings));
            write(directory + "core_cpus", mask_of(siblings));
            write(directory + "package_cpus_list", list_of(package_cpus));
            write(directory + "package_cpus", mask_of(package_cpus));
          }
        }
      }
      if (shape.numa) {
        const std::string node = "devices/system/node/node" + std::to_string(package) + "/";
        write(node + "cpulist", list_of(package_cpus));
        write(node + "cpumap", mask_of(package_cpus));
        const bool memoryless = static_cast<int>(package) == shape.memoryless_package;
        write(node + "meminfo", "Node " + std::to_string(package) + " MemTotal: " +
                                    (memoryless ? "0" : "1048576") + " kB");
      }
    }
    if (shape.numa) {
      const std::string nodes = "0-" + std::to_string(shape.packages - 1);
      write("devices/system/node/online", nodes);
      write("devices/system/node/possible", nodes);
      write("devices/system/node/has_cpu", nodes);
      std::string with_memory;
      for (unsigned package = 0; package < shape.packages; ++package) {
        if (static_cast<int>(package) == shape.memoryless_package) continue;
        with_memory += (with_memory.empty() ? "" : ",") + std::to_string(package);
      }
      write("devices/system/node/has_memory", with_memory);
    }
  }
  ~fake_sysfs() {
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }
  fake_sysfs(const fake_sysfs&) = delete;

  const std::filesystem::path& root() const { return root_; }
  void remove(const std::string& relative) { std::filesystem::remove(root_ / relative); }

 private:
  static std::filesystem::path make_root() {
    std::string pattern = (std::filesystem::temp_directory_path() / "percore-sysfs-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::system_error(errno, std::generic_category());
    return std::filesystem::path(pattern) / "sys";
  }
  void write(const std::string& relative, const std::string& text) {
    const std::filesystem::path path = root_ / relative;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << text << '\n';
  }

  std::filesystem::path root_;
};

cpus range(unsigned first, unsigned last) {
  cpus numbers;
  for (unsigned cpu = first; cpu <= last; ++cpu) numbers.push_back(cpu);
  return numbers;
}

void expect_same_units(const topology& expected, const topology& actual) {
  ASSERT_EQ(expected.units().size(), actual.units().size());
  for (std::size_t index = 0; index < expected.units().size(); ++index) {
    const processing_unit& want = expected.units()[index];
    const processing_unit& got = actual.units()[index];
    EXPECT_EQ(got.cpu, want.cpu);
    EXPECT_EQ(got.core, want.core) << "CPU " << want.cpu;
    EXPECT_EQ(got.package, want.package) << "CPU " << want.cpu;
    EXPECT_EQ(got.numa_node, want.numa_node) << "CPU " << want.cpu;
  }
}

// hwloc reading the same fake tree (HWLOC_FSROOT), without its x86 backend, which would ask
// this machine's processor instead.
topology hwloc_view_of(const fake_sysfs& tree, const cpus& allowed) {
  setenv("HWLOC_FSROOT", tree.root().parent_path().c_str(), 1);
  setenv("HWLOC_COMPONENTS", "-x86", 1);
  struct restore_environment {
    ~restore_environment() {
      unsetenv("HWLOC_FSROOT");
      unsetenv("HWLOC_COMPONENTS");
    }
  } restore;
  return topology::from_hwloc(allowed);
}

TEST(sysfs_topology, two_sockets_with_smt_and_a_node_each) {
  const fake_sysfs tree({.packages = 2, .cores = 4, .threads = 2});
  const topology machine = topology::from_sysfs(tree.root(), range(0, 15));
  ASSERT_EQ(machine.cpus(), range(0, 15));
  // CPU 9 is the second thread of core 1 of socket 0, whose first thread is CPU 1.
  EXPECT_EQ(machine.find(9)->core, 1u);
  EXPECT_EQ(machine.find(9)->package, 0u);
  EXPECT_EQ(machine.find(9)->numa_node, 0);
  EXPECT_EQ(machine.find(12)->core, 4u);
  EXPECT_EQ(machine.find(12)->package, 1u);
  EXPECT_EQ(machine.find(12)->numa_node, 1);
}

TEST(sysfs_topology, agrees_with_hwloc_on_the_same_tree) {
  const fake_sysfs tree({.packages = 2, .cores = 4, .threads = 2});
  expect_same_units(hwloc_view_of(tree, range(0, 15)),
                    topology::from_sysfs(tree.root(), range(0, 15)));
}

TEST(sysfs_topology, keeps_only_allowed_cpus) {
  const fake_sysfs tree({.packages = 2, .cores = 4, .threads = 2});
  const topology machine = topology::from_sysfs(tree.root(), cpus{13, 2, 2});
  EXPECT_EQ(machine.cpus(), (cpus{2, 13}));
  EXPECT_EQ(machine.find(0), nullptr);
  expect_same_units(hwloc_view_of(tree, cpus{2, 13}), machine);
}

TEST(sysfs_topology, kernel_without_numa_is_node_0) {
  const fake_sysfs tree({.packages = 1, .cores = 2, .threads = 2, .numa = false});
  const topology machine = topology::from_sysfs(tree.root(), range(0, 3));
  for (const processing_unit& unit : machine.units()) EXPECT_EQ(unit.numa_node, 0);
  EXPECT_EQ(machine.find(2)->core, 0u);
}

TEST(sysfs_topology, old_kernel_names) {
  const fake_sysfs tree({.packages = 2, .cores = 2, .threads = 2, .old_names = true});
  const topology machine = topology::from_sysfs(tree.root(), range(0, 7));
  EXPECT_EQ(machine.find(6)->core, 2u);
  EXPECT_EQ(machine.find(6)->package, 1u);
}

TEST(sysfs_topology, cpus_of_a_memoryless_node_have_no_local_memory) {
  const fake_sysfs tree({.packages = 2, .cores = 2, .threads = 1, .memoryless_package = 1});
  const topology machine = topology::from_sysfs(tree.root(), range(0, 3));
  EXPECT_EQ(machine.find(1)->numa_node, 0);
  EXPECT_EQ(machine.find(2)->numa_node, -1);
  EXPECT_EQ(machine.find(3)->numa_node, -1);
}

TEST(sysfs_topology, a_missing_cpu_is_an_error_naming_the_directory) {
  fake_sysfs tree({.packages = 1, .cores = 2});
  tree.remove("devices/system/cpu/cpu1/topology/core_cpus_list");
  tree.remove("devices/system/cpu/cpu1/topology/thread_siblings_list");
  try {
    topology::from_sysfs(tree.root(), range(0, 1));
    FAIL() << "accepted a CPU without topology";
  } catch (const std::system_error& error) {
    EXPECT_EQ(error.code(), std::errc::no_such_file_or_directory);
    EXPECT_NE(std::string(error.what()).find("cpu1/topology"), std::string::npos) << error.what();
  }
  EXPECT_THROW(topology::from_sysfs(tree.root(), cpus{7}), std::system_error);
}

TEST(sysfs_topology, a_malformed_list_is_an_error_naming_the_file) {
  const fake_sysfs tree({.packages = 1, .cores = 2});
  std::ofstream(tree.root() / "devices/system/cpu/cpu0/topology/core_cpus_list") << "0-x\n";
  try {
    topology::from_sysfs(tree.root(), range(0, 1));
    FAIL() << "accepted a malformed list";
  } catch (const std::system_error& error) {
    EXPECT_NE(std::string(error.what()).find("core_cpus_list is not a list"), std::string::npos)
        << error.what();
  }
}

using testing::affinity_of_this_thread;

TEST(real_machine, sysfs_and_hwloc_agree_here) {
  const cpus allowed = affinity_of_this_thread();
  expect_same_units(topology::from_hwloc(allowed), topology::from_sysfs("/sys", allowed));
}

TEST(real_machine, detect_reads_sysfs) {
  expect_same_units(topology::from_sysfs("/sys", affinity_of_this_thread()), topology::detect());
}

}  // namespace
}  // namespace percore
