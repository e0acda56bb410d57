// topology from hwloc: one load per call with only the levels placement reads, then a plain
// vector, so the hwloc topology never outlives detect() or synthetic().
#include <percore/shards/cpu_list.hh>
#include <percore/shards/topology.hh>

#include <hwloc.h>
#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <system_error>

namespace percore {
namespace {

struct hwloc_topology_deleter {
  void operator()(hwloc_topology_t machine) const noexcept { hwloc_topology_destroy(machine); }
};
using hwloc_topology_ptr = std::unique_ptr<hwloc_topology, hwloc_topology_deleter>;

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), "percore: " + what);
}

// Caches are not used for placement; dropping them makes the load cheaper. Groups and dies
// stay: on machines with several NUMA nodes per package they are what the nodes hang from,
// and without them hwloc attaches the nodes higher up and loses which CPUs are local to them.
hwloc_topology_ptr new_topology_with_placement_levels() {
  hwloc_topology_t machine = nullptr;
  if (hwloc_topology_init(&machine) != 0) throw_errno("hwloc_topology_init failed");
  hwloc_topology_ptr owned(machine);
  hwloc_topology_set_cache_types_filter(machine, HWLOC_TYPE_FILTER_KEEP_NONE);
  hwloc_topology_set_icache_types_filter(machine, HWLOC_TYPE_FILTER_KEEP_NONE);
  return owned;
}

void load(hwloc_topology_t machine) {
  if (hwloc_topology_load(machine) != 0) throw_errno("hwloc_topology_load failed");
}

int nearest_numa_node(hwloc_obj_t pu) {
  for (hwloc_obj_t ancestor = pu; ancestor != nullptr; ancestor = ancestor->parent) {
    // Memory-side caches sit between an object and its NUMA node.
    for (hwloc_obj_t memory = ancestor->memory_first_child; memory != nullptr;
         memory = memory->memory_first_child) {
      if (memory->type == HWLOC_OBJ_NUMANODE) return static_cast<int>(memory->os_index);
    }
  }
  return -1;
}

// The PUs of `machine` whose CPU number is in `allowed` (ascending), ascending by CPU number.
std::vector<processing_unit> units_of(hwloc_topology_t machine,
                                      std::span<const unsigned> allowed) {
  const unsigned core_count =
      static_cast<unsigned>(std::max(0, hwloc_get_nbobjs_by_type(machine, HWLOC_OBJ_CORE)));
  std::vector<processing_unit> units;
  for (hwloc_obj_t pu = hwloc_get_next_obj_by_type(machine, HWLOC_OBJ_PU, nullptr); pu != nullptr;
       pu = hwloc_get_next_obj_by_type(machine, HWLOC_OBJ_PU, pu)) {
    if (!std::binary_search(allowed.begin(), allowed.end(), pu->os_index)) continue;
    const hwloc_obj_t core = hwloc_get_ancestor_obj_by_type(machine, HWLOC_OBJ_CORE, pu);
    const hwloc_obj_t package = hwloc_get_ancestor_obj_by_type(machine, HWLOC_OBJ_PACKAGE, pu);
    units.push_back(processing_unit{
        .cpu = pu->os_index,
        // Some virtual machines report no cores: each PU is then a core of its own, numbered
        // after the real cores so the two can never be confused.
        .core = core != nullptr ? core->logical_index : core_count + pu->logical_index,
        .package = package != nullptr ? package->logical_index : 0,
        .numa_node = nearest_numa_node(pu),
    });
  }
  std::sort(units.begin(), units.end(),
            [](const processing_unit& a, const processing_unit& b) { return a.cpu < b.cpu; });
  return units;
}

std::vector<unsigned> all_cpus(hwloc_topology_t machine) {
  std::vector<unsigned> cpus;
  for (hwloc_obj_t pu = hwloc_get_next_obj_by_type(machine, HWLOC_OBJ_PU, nullptr); pu != nullptr;
       pu = hwloc_get_next_obj_by_type(machine, HWLOC_OBJ_PU, pu)) {
    cpus.push_back(pu->os_index);
  }
  return cpus;
}

std::vector<unsigned> affinity_of_calling_thread() {
  // The kernel refuses a mask smaller than its own CPU count with EINVAL; grow until it fits.
  for (std::size_t capacity = CPU_SETSIZE; capacity <= max_cpu_number + 1; capacity *= 2) {
    const std::unique_ptr<cpu_set_t, void (*)(cpu_set_t*)> mask(CPU_ALLOC(capacity),
                                                                [](cpu_set_t* m) { CPU_FREE(m); });
    if (!mask) throw std::bad_alloc();
    const std::size_t size = CPU_ALLOC_SIZE(capacity);
    if (sched_getaffinity(0, size, mask.get()) != 0) {
      if (errno == EINVAL) continue;
      throw_errno("sched_getaffinity failed");
    }
    std::vector<unsigned> cpus;
    for (unsigned cpu = 0; cpu < capacity; ++cpu) {
      if (CPU_ISSET_S(cpu, size, mask.get())) cpus.push_back(cpu);
    }
    return cpus;
  }
  throw std::system_error(EINVAL, std::generic_category(),
                          "percore: sched_getaffinity needs a mask wider than " +
                              std::to_string(max_cpu_number + 1) + " CPUs");
}

}  // namespace

topology topology::detect() {
  const std::vector<unsigned> allowed = affinity_of_calling_thread();
  const hwloc_topology_ptr machine = new_topology_with_placement_levels();
  // DONT_CHANGE_BINDING turns off the x86 backend, which moves this thread onto every CPU in
  // turn to read cpuid: that doubles the load time and sysfs already has all placement needs.
  // Distances, memory attributes and CPU kinds are not used either.
  hwloc_topology_set_flags(machine.get(),
                           HWLOC_TOPOLOGY_FLAG_DONT_CHANGE_BINDING |
                               HWLOC_TOPOLOGY_FLAG_NO_DISTANCES |
                               HWLOC_TOPOLOGY_FLAG_NO_MEMATTRS | HWLOC_TOPOLOGY_FLAG_NO_CPUKINDS);
  load(machine.get());
  std::vector<processing_unit> units = units_of(machine.get(), allowed);
  if (units.empty()) {
    throw std::system_error(ENODEV, std::generic_category(),
                            "percore: hwloc sees none of the CPUs in this thread's affinity mask (" +
                                format_cpu_list(allowed) + ")");
  }
  return topology(std::move(units));
}

topology topology::synthetic(std::string_view description, std::span<const unsigned> allowed) {
  const std::string quoted = std::string(1, '"').append(description).append(1, '"');
  if (allowed.empty()) {
    throw std::invalid_argument("percore: synthetic topology " + quoted +
                                ": the allowed set of CPUs is empty");
  }
  const hwloc_topology_ptr machine = new_topology_with_placement_levels();
  if (hwloc_topology_set_synthetic(machine.get(), std::string(description).c_str()) != 0) {
    throw std::invalid_argument("percore: hwloc rejects the synthetic topology " + quoted +
                                " (expected levels with counts, such as \"pack:2 core:8 pu:2\")");
  }
  load(machine.get());
  std::vector<unsigned> sorted_allowed(allowed.begin(), allowed.end());
  std::sort(sorted_allowed.begin(), sorted_allowed.end());
  sorted_allowed.erase(std::unique(sorted_allowed.begin(), sorted_allowed.end()),
                       sorted_allowed.end());
  std::vector<processing_unit> units = units_of(machine.get(), sorted_allowed);
  if (units.size() != sorted_allowed.size()) {
    std::vector<unsigned> missing;
    for (unsigned cpu : sorted_allowed) {
      if (std::none_of(units.begin(), units.end(),
                       [cpu](const processing_unit& unit) { return unit.cpu == cpu; })) {
        missing.push_back(cpu);
      }
    }
    throw std::invalid_argument("percore: synthetic topology " + quoted + " has no CPU " +
                                format_cpu_list(missing) + " (its CPUs are " +
                                format_cpu_list(all_cpus(machine.get())) + ")");
  }
  return topology(std::move(units));
}

std::vector<unsigned> topology::cpus() const {
  std::vector<unsigned> numbers;
  numbers.reserve(units_.size());
  for (const processing_unit& unit : units_) numbers.push_back(unit.cpu);
  return numbers;
}

const processing_unit* topology::find(unsigned cpu) const noexcept {
  const auto found =
      std::lower_bound(units_.begin(), units_.end(), cpu,
                       [](const processing_unit& unit, unsigned number) { return unit.cpu < number; });
  return found != units_.end() && found->cpu == cpu ? &*found : nullptr;
}

}  // namespace percore
