// plan_placement: candidate CPUs from the affinity mask, narrowed by --cpus and --no-smt, then
// spread over packages and NUMA nodes; and the pinning and memory-binding system calls.
#include <percore/shards/cpu_list.hh>
#include <percore/shards/placement.hh>

#include <linux/mempolicy.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include "sysfs_file.hh"

namespace percore {
namespace {

using unit_list = std::vector<processing_unit>;

constexpr std::string_view error_prefix = "percore: ";

std::vector<unsigned> cpus_of(const unit_list& units) {
  std::vector<unsigned> cpus;
  for (const processing_unit& unit : units) cpus.push_back(unit.cpu);
  return cpus;
}

std::string allowed_cpus_note(const topology& machine) {
  return "; CPUs allowed: " + format_cpu_list(machine.cpus());
}

unit_list units_named_by_cpus_option(const std::string& text, const topology& machine) {
  std::vector<unsigned> named;
  try {
    named = parse_cpu_list(text);
  } catch (const std::invalid_argument& error) {
    std::string_view problem = error.what();
    if (problem.starts_with(error_prefix)) problem.remove_prefix(error_prefix.size());
    throw std::invalid_argument(std::string(error_prefix) + "--cpus: " + std::string(problem) +
                                allowed_cpus_note(machine));
  }
  unit_list units;
  std::vector<unsigned> outside;
  for (unsigned cpu : named) {
    if (const processing_unit* unit = machine.find(cpu)) {
      units.push_back(*unit);
    } else {
      outside.push_back(cpu);
    }
  }
  if (!outside.empty()) {
    throw std::invalid_argument("percore: --cpus " + text + ": " +
                                (outside.size() == 1 ? "CPU " : "CPUs ") +
                                format_cpu_list(outside) + (outside.size() == 1 ? " is" : " are") +
                                " outside this process's affinity mask" +
                                allowed_cpus_note(machine));
  }
  return units;
}

// The first allowed hardware thread of each core, taken from the whole affinity mask rather
// than from --cpus so that --no-smt means the same CPUs whatever else is asked for.
std::vector<unsigned> first_threads_of_cores(const topology& machine) {
  std::vector<unsigned> seen_cores;
  std::vector<unsigned> first_threads;
  for (const processing_unit& unit : machine.units()) {  // ascending CPU numbers
    if (std::find(seen_cores.begin(), seen_cores.end(), unit.core) == seen_cores.end()) {
      seen_cores.push_back(unit.core);
      first_threads.push_back(unit.cpu);
    }
  }
  return first_threads;
}

unit_list without_smt_siblings(const unit_list& candidates, const topology& machine,
                               const placement_options& options) {
  const std::vector<unsigned> first_threads = first_threads_of_cores(machine);
  unit_list kept;
  for (const processing_unit& unit : candidates) {
    if (std::binary_search(first_threads.begin(), first_threads.end(), unit.cpu)) {
      kept.push_back(unit);
    }
  }
  // Only possible with --cpus: the whole mask holds the first thread of every core.
  if (kept.empty()) {
    throw std::invalid_argument("percore: --no-smt with --cpus " + options.cpus.value_or("") +
                                " leaves no CPU: none is the first hardware thread of its core"
                                " (those are " + format_cpu_list(first_threads) + ")" +
                                allowed_cpus_note(machine));
  }
  return kept;
}

using level_key = std::int64_t (*)(const processing_unit&);
constexpr level_key spread_levels[] = {
    [](const processing_unit& unit) -> std::int64_t { return unit.package; },
    [](const processing_unit& unit) -> std::int64_t { return unit.numa_node; },
    [](const processing_unit& unit) -> std::int64_t { return unit.core; },
};

// Groups in order of first appearance, so the group holding the lowest CPU comes first.
std::vector<unit_list> group_by(const unit_list& units, level_key key) {
  std::vector<unit_list> groups;
  for (const processing_unit& unit : units) {
    auto group = std::find_if(groups.begin(), groups.end(), [&](const unit_list& members) {
      return key(members.front()) == key(unit);
    });
    if (group == groups.end()) {
      groups.push_back({unit});
    } else {
      group->push_back(unit);
    }
  }
  return groups;
}

// One from each list in turn until all are used up.
unit_list interleave(const std::vector<unit_list>& lists) {
  unit_list merged;
  for (std::size_t round = 0;; ++round) {
    const std::size_t before = merged.size();
    for (const unit_list& list : lists) {
      if (round < list.size()) merged.push_back(list[round]);
    }
    if (merged.size() == before) return merged;
  }
}

// The order in which CPUs are taken: round-robin over packages, within a package over its
// NUMA nodes, within a node over its cores, so any prefix is as even as it can be at every
// level: first threads of cores come before second threads.
unit_list spread_order(const unit_list& units, std::span<const level_key> levels) {
  if (levels.empty()) return units;
  std::vector<unit_list> groups = group_by(units, levels.front());
  for (unit_list& group : groups) group = spread_order(group, levels.subspan(1));
  return interleave(groups);
}

// Names what narrowed the CPUs down, when something did.
std::string narrowing_note(const unit_list& candidates, const placement_options& options) {
  if (!options.cpus && !options.no_smt) return "";
  const char* narrowed_by = !options.no_smt ? "--cpus"
                            : options.cpus  ? "--cpus and --no-smt"
                                            : "--no-smt";
  return " (" + format_cpu_list(cpus_of(candidates)) + " after " + narrowed_by + ")";
}

}  // namespace

std::vector<shard_placement> plan_placement(const placement_options& options,
                                            const topology& machine) {
  if (options.smp == 0u) {
    throw std::invalid_argument("percore: --smp 0: at least one shard is needed" +
                                allowed_cpus_note(machine));
  }
  unit_list candidates(machine.units().begin(), machine.units().end());
  if (options.cpus) candidates = units_named_by_cpus_option(*options.cpus, machine);
  if (options.no_smt) candidates = without_smt_siblings(candidates, machine, options);

  const std::size_t shard_count = options.smp.value_or(candidates.size());
  if (shard_count > candidates.size() && !options.oversubscribe) {
    throw std::invalid_argument("percore: --smp " + std::to_string(shard_count) +
                                ": more shards than the " + std::to_string(candidates.size()) +
                                " CPUs available" + narrowing_note(candidates, options) +
                                "; ask for fewer shards or allow oversubscription" +
                                allowed_cpus_note(machine));
  }

  const unit_list order = spread_order(candidates, spread_levels);
  unit_list first_round = order;
  first_round.resize(std::min(shard_count, order.size()));
  std::sort(first_round.begin(), first_round.end(),
            [](const processing_unit& a, const processing_unit& b) { return a.cpu < b.cpu; });

  std::vector<shard_placement> plan;
  plan.reserve(shard_count);
  for (std::size_t shard = 0; shard < shard_count; ++shard) {
    // Shards beyond one per CPU continue in spread order, so sharing stays even across nodes.
    const processing_unit& unit =
        shard < first_round.size() ? first_round[shard] : order[shard % order.size()];
    plan.push_back(shard_placement{.shard = static_cast<unsigned>(shard),
                                   .cpu = unit.cpu,
                                   .core = unit.core,
                                   .package = unit.package,
                                   .numa_node = unit.numa_node});
  }
  return plan;
}

std::vector<int> numa_nodes_of(std::span<const shard_placement> plan) {
  std::vector<int> nodes;
  for (const shard_placement& placement : plan) {
    if (placement.numa_node >= 0) nodes.push_back(placement.numa_node);
  }
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  return nodes;
}

namespace {

[[noreturn]] void throw_errno(int error, const std::string& what) {
  throw std::system_error(error, std::generic_category(), "percore: " + what);
}

struct node_mask {
  std::vector<unsigned long> bits;
  unsigned long max_node;
};

// The online NUMA nodes, read once: libnuma reads the same directory in a constructor that
// runs in every program linking it, which cost 0.13 ms of start-up here. A kernel without
// NUMA support has no node directory and counts as node 0 alone.
const std::vector<unsigned>& online_numa_nodes() {
  static const std::vector<unsigned> nodes =
      sysfs::read_list("/sys/devices/system/node/online").value_or(std::vector<unsigned>{0});
  return nodes;
}

// Checks `nodes` and builds the kernel's node mask for them; nullopt on a single-node machine,
// where every policy is the default one (and skipping the call keeps working where seccomp
// forbids mbind and set_mempolicy).
std::optional<node_mask> node_mask_of(std::span<const int> nodes, const std::string& what) {
  constexpr std::size_t bits_per_word = 8 * sizeof(unsigned long);
  const std::vector<unsigned>& online = online_numa_nodes();
  const unsigned highest = online.empty() ? 0 : online.back();
  std::vector<unsigned long> bits(highest / bits_per_word + 1);
  for (int node : nodes) {
    if (node < 0 || !std::binary_search(online.begin(), online.end(), static_cast<unsigned>(node))) {
      throw_errno(EINVAL, what + ": NUMA node " + std::to_string(node) +
                              " does not exist (nodes here: " + format_cpu_list(online) + ")");
    }
    bits[static_cast<std::size_t>(node) / bits_per_word] |= 1UL << (node % bits_per_word);
  }
  if (online.size() <= 1) return std::nullopt;
  // The kernel reads one bit fewer than maxnode says (a historical off-by-one).
  const unsigned long max_node = bits.size() * bits_per_word + 1;
  return node_mask{std::move(bits), max_node};
}

// The system calls libnuma's mbind and set_mempolicy wrap, called directly so that libnuma
// need not be loaded at all.
long memory_bind(void* address, std::size_t length, int mode, const unsigned long* mask,
                 unsigned long max_node, unsigned flags) {
  return syscall(SYS_mbind, address, length, mode, mask, max_node, flags);
}

long set_memory_policy_of_thread(int mode, const unsigned long* mask, unsigned long max_node) {
  return syscall(SYS_set_mempolicy, mode, mask, max_node);
}

void set_memory_policy(void* address, std::size_t length, int mode, std::span<const int> nodes,
                       const std::string& what) {
  const auto mask = node_mask_of(nodes, what);
  if (!mask) return;
  if (memory_bind(address, length, mode, mask->bits.data(), mask->max_node, MPOL_MF_MOVE) != 0) {
    throw_errno(errno, what + " failed");
  }
}

std::string range_text(void* address, std::size_t length) {
  char text[64];
  std::snprintf(text, sizeof text, "%p+%zu", address, length);
  return text;
}

}  // namespace

void pin_current_thread(unsigned cpu) {
  const std::string what = "pin_current_thread(" + std::to_string(cpu) + ")";
  if (cpu > max_cpu_number) throw_errno(EINVAL, what + ": no such CPU");
  const std::unique_ptr<cpu_set_t, void (*)(cpu_set_t*)> mask(CPU_ALLOC(cpu + 1),
                                                              [](cpu_set_t* m) { CPU_FREE(m); });
  if (!mask) throw std::bad_alloc();
  const std::size_t size = CPU_ALLOC_SIZE(cpu + 1);
  CPU_ZERO_S(size, mask.get());
  CPU_SET_S(cpu, size, mask.get());
  if (const int error = pthread_setaffinity_np(pthread_self(), size, mask.get()); error != 0) {
    throw_errno(error, what + " failed");
  }
}

void bind_memory_to_node(void* address, std::size_t length, int numa_node) {
  if (numa_node < 0) return;
  const int nodes[] = {numa_node};
  set_memory_policy(address, length, MPOL_BIND, nodes,
                    "bind_memory_to_node(" + range_text(address, length) + ", node " +
                        std::to_string(numa_node) + ")");
}

void interleave_memory(void* address, std::size_t length, std::span<const int> numa_nodes) {
  const std::string what = "interleave_memory(" + range_text(address, length) + ")";
  if (numa_nodes.empty()) throw_errno(EINVAL, what + ": no NUMA node given");
  set_memory_policy(address, length, MPOL_INTERLEAVE, numa_nodes, what);
}

void set_thread_memory_policy(numa_policy policy, int numa_node,
                              std::span<const int> plan_nodes) {
  const std::string what = "set_thread_memory_policy";
  int mode = MPOL_DEFAULT;
  std::optional<node_mask> mask;
  switch (policy) {
    case numa_policy::none: return;
    case numa_policy::local:
      if (numa_node < 0) return;  // a CPU without local memory: leave the default
      mode = MPOL_PREFERRED;
      mask = node_mask_of(std::span(&numa_node, 1), what);
      break;
    case numa_policy::interleave:
      if (plan_nodes.empty()) return;
      mode = MPOL_INTERLEAVE;
      mask = node_mask_of(plan_nodes, what);
      break;
  }
  if (!mask) return;
  if (set_memory_policy_of_thread(mode, mask->bits.data(), mask->max_node) != 0) {
    throw_errno(errno, what + " failed");
  }
}

int current_numa_node() {
  unsigned cpu = 0;
  unsigned node = 0;
  if (getcpu(&cpu, &node) != 0) throw_errno(errno, "getcpu failed");
  return static_cast<int>(node);
}

}  // namespace percore
