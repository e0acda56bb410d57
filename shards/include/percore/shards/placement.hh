// Shard placement: which CPU each shard runs on and which NUMA node holds its memory, planned
// from the options and the topology before any thread starts; and the binding calls each
// shard's thread makes to carry the plan out.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <percore/shards/topology.hh>

namespace percore {

// Where a shard's memory pool lives.
enum class numa_policy {
  // Bound to the NUMA node of the shard's CPU (bind_memory_to_node): every access the shard
  // makes to its own memory is local. The default, and the point of shared-nothing. The
  // binding is strict: when that node is out of memory, allocation fails there rather than
  // silently using another node.
  local,
  // Spread page by page over the NUMA nodes of all shards (interleave_memory): each shard sees
  // the average latency and the combined bandwidth. For shards that mostly read each other's
  // data, or a pool larger than one node's memory.
  interleave,
  // No policy: the kernel's default, the node of the CPU that first touches a page. As shards
  // are pinned that is usually local, but a full node spills to others without any error.
  // Also the choice where mbind is forbidden (Docker's default seccomp profile).
  none,
};

struct placement_options {
  // Number of shards; default: one per CPU left by `cpus` and `no_smt`.
  std::optional<unsigned> smp = std::nullopt;
  // Only these CPUs, in cpulist syntax ("0-3,8"); default: the whole affinity mask.
  std::optional<std::string> cpus = std::nullopt;
  // Only the first allowed hardware thread of each core (before `cpus` is applied).
  bool no_smt = false;
  // Allows more shards than CPUs; shards then share CPUs round-robin.
  bool oversubscribe = false;
  numa_policy numa = numa_policy::local;
};

struct shard_placement {
  unsigned shard;
  unsigned cpu;
  unsigned core;
  unsigned package;
  int numa_node;  // the node of `cpu` (see processing_unit::numa_node)
};

// One entry per shard, in shard order. Shards are numbered in ascending CPU order, so shard 0
// runs on the lowest chosen CPU. With `smp` below the CPUs available, the chosen CPUs are
// spread round-robin over packages, then NUMA nodes, then cores (4 shards on 2 sockets: 2+2).
// Throws std::invalid_argument, naming the value and the allowed CPUs, for smp 0, more
// shards than CPUs without oversubscribe, a malformed `cpus` or one naming a CPU outside the
// affinity mask, and `no_smt` leaving no CPU.
std::vector<shard_placement> plan_placement(const placement_options& options,
                                            const topology& machine);

// The distinct NUMA nodes of a plan, ascending (the nodes to interleave over).
std::vector<int> numa_nodes_of(std::span<const shard_placement> plan);

// Pins the calling thread to `cpu`. Throws std::system_error when the kernel refuses (a CPU
// outside the process's cpuset, or offline).
void pin_current_thread(unsigned cpu);

// Binds the pages of [address, address + length) to `numa_node` (mbind MPOL_BIND, moving pages
// already touched). `address` must be page-aligned, as mmap returns it. Does nothing when the
// machine has a single node or `numa_node` is negative (a CPU without local memory); throws
// std::system_error when the node does not exist or the kernel refuses.
void bind_memory_to_node(void* address, std::size_t length, int numa_node);

// Interleaves the pages of [address, address + length) over `numa_nodes` (mbind
// MPOL_INTERLEAVE). Same alignment, single-node and error rules as bind_memory_to_node.
void interleave_memory(void* address, std::size_t length, std::span<const int> numa_nodes);

// Sets the calling thread's memory policy, so that everything it maps later (its frame pool
// included) follows `policy`: local prefers `numa_node`, interleave spreads over `plan_nodes`
// (numa_nodes_of the plan), none leaves the default. Does nothing on a single-node machine;
// throws std::system_error when a node does not exist or the kernel refuses.
void set_thread_memory_policy(numa_policy policy, int numa_node, std::span<const int> plan_nodes);

// The NUMA node of the CPU the calling thread is running on now.
int current_numa_node();

}  // namespace percore
