// The machine as hwloc sees it, reduced to what shard placement needs: for each CPU this
// process may run on, its core, its package (socket) and its NUMA node.
#pragma once

#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace percore {

struct processing_unit {
  unsigned cpu;      // OS number, as taskset, sched_setaffinity and /proc/cpuinfo use it
  unsigned core;     // machine-wide core number (hwloc logical index): SMT siblings share it
  unsigned package;  // machine-wide package (socket) number (hwloc logical index)
  // OS number of the nearest NUMA node, as mbind and numactl take it; -1 for a CPU without
  // local memory (a memoryless node, as on some POWER machines).
  int numa_node;
};

class topology {
 public:
  // The real machine, restricted to the calling thread's affinity mask (taskset, cpuset
  // cgroups, numactl --physcpubind). Call it before pinning the thread: at start-up that mask
  // is the process's. Throws std::system_error if hwloc or the kernel refuses.
  static topology detect();

  // A machine described by an hwloc synthetic string such as "pack:2 core:8 pu:2" or
  // "pack:2 numa:1 core:4 pu:2" (CPUs numbered in that order unless the string gives
  // indexes), with `allowed` standing for the affinity mask. Throws std::invalid_argument when
  // hwloc rejects the description, or `allowed` is empty or names a CPU the machine lacks.
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
