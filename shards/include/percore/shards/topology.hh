// The machine reduced to what shard placement needs: for each CPU this process may run on,
// its core, its package (socket) and its NUMA node, read from sysfs or from hwloc.
#pragma once

#include <filesystem>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace percore {

struct processing_unit {
  unsigned cpu;      // OS number, as taskset, sched_setaffinity and /proc/cpuinfo use it
  // The lowest CPU number of the core: SMT siblings share it, and it names the core
  // machine-wide (the kernel's core_id is only unique within a package).
  unsigned core;
  unsigned package;  // OS package (socket) number, the "physical id" of /proc/cpuinfo
  // OS number of the nearest NUMA node, as mbind and numactl take it; -1 for a CPU without
  // local memory (a memoryless node, as on some POWER machines).
  int numa_node;
};

class topology {
 public:
  // The real machine, restricted to the calling thread's affinity mask (taskset, cpuset
  // cgroups, numactl --physcpubind). Call it before pinning the thread: at start-up that mask
  // is the process's. Reads the few sysfs files placement needs (a dozen reads on a small
  // machine, where hwloc makes a few hundred); where sysfs has no CPU topology (an old or
  // unusual kernel, /sys not mounted), it asks hwloc. Throws std::system_error if both fail.
  static topology detect();

  // The machine described by the sysfs tree under `root` (normally "/sys"), restricted to
  // `allowed`. Throws std::system_error naming the file when the tree lacks the CPU topology
  // of an allowed CPU.
  static topology from_sysfs(const std::filesystem::path& root, std::span<const unsigned> allowed);

  // The machine as hwloc discovers it (honouring hwloc's environment, such as HWLOC_FSROOT),
  // restricted to `allowed`. libhwloc is loaded on first use, so programs that never call this
  // do not pay for loading it. Throws std::system_error when libhwloc cannot be loaded or fails.
  static topology from_hwloc(std::span<const unsigned> allowed);

  // A machine described by an hwloc synthetic string such as "pack:2 core:8 pu:2" or
  // "pack:2 numa:1 core:4 pu:2" (CPUs numbered in that order unless the string gives
  // indexes), with `allowed` standing for the affinity mask. Throws std::invalid_argument when
  // hwloc rejects the description, or `allowed` is empty or names a CPU the machine lacks;
  // std::system_error when libhwloc cannot be loaded.
  static topology synthetic(std::string_view description, std::span<const unsigned> allowed);

  // The allowed CPUs, ascending by CPU number; never empty.
  std::span<const processing_unit> units() const noexcept { return units_; }
  std::vector<unsigned> cpus() const;
  // The unit of `cpu`, or nullptr when the process may not run there.
  const processing_unit* find(unsigned cpu) const noexcept;

 private:
  explicit topology(std::vector<processing_unit> units) : units_(std::move(units)) {}

  std::vector<processing_unit> units_;
};

}  // namespace percore
