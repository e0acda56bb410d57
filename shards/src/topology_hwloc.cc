// topology from hwloc, loaded at run time: the synthetic machines of the tests, and the real
// machine where sysfs lacks CPU topology. One load per call, then a plain vector.
#include <percore/shards/cpu_list.hh>
#include <percore/shards/topology.hh>

#include <dlfcn.h>
#include <hwloc.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>

namespace percore {
namespace {

// The hwloc functions used here, looked up in libhwloc on first use. Linking libhwloc instead
// would load it, and libudev with it, into every program at start-up (about 0.1 ms here) even
// though detect() reads sysfs. Only real functions appear: hwloc.h's inline helpers call
// exported symbols, so this file walks the tree through the object fields instead.
struct hwloc_library {
  decltype(&hwloc_get_api_version) get_api_version;
  decltype(&hwloc_topology_init) topology_init;
  decltype(&hwloc_topology_destroy) topology_destroy;
  decltype(&hwloc_topology_set_flags) topology_set_flags;
  decltype(&hwloc_topology_set_cache_types_filter) topology_set_cache_types_filter;
  decltype(&hwloc_topology_set_icache_types_filter) topology_set_icache_types_filter;
  decltype(&hwloc_topology_set_synthetic) topology_set_synthetic;
  decltype(&hwloc_topology_load) topology_load;
  decltype(&hwloc_get_type_depth) get_type_depth;
  decltype(&hwloc_get_nbobjs_by_depth) get_nbobjs_by_depth;
  decltype(&hwloc_get_obj_by_depth) get_obj_by_depth;
  decltype(&hwloc_bitmap_first) bitmap_first;
};

// The soname of the hwloc 2.x ABI, the one hwloc.h here describes (checked again below with
// hwloc_get_api_version, since the object layout read here depends on it).
constexpr const char* hwloc_soname = "libhwloc.so.15";

[[noreturn]] void throw_unavailable(const std::string& why) {
  throw std::system_error(ENOSYS, std::generic_category(), "percore: hwloc is unavailable: " + why);
}

template <class Function>
void look_up(void* library, const char* name, Function& function) {
  function = reinterpret_cast<Function>(dlsym(library, name));
  if (function == nullptr) throw_unavailable(std::string(hwloc_soname) + " has no " + name);
}

const hwloc_library& hwloc() {
  static hwloc_library functions;
  static std::once_flag loaded;
  std::call_once(loaded, [] {
    // Never closed: the functions stay valid for the rest of the process.
    void* library = dlopen(hwloc_soname, RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) throw_unavailable(dlerror());
    hwloc_library found{};
    look_up(library, "hwloc_get_api_version", found.get_api_version);
    if ((found.get_api_version() >> 16) != (HWLOC_API_VERSION >> 16)) {
      throw_unavailable(std::string(hwloc_soname) + " is not the hwloc 2 this was built for");
    }
    look_up(library, "hwloc_topology_init", found.topology_init);
    look_up(library, "hwloc_topology_destroy", found.topology_destroy);
    look_up(library, "hwloc_topology_set_flags", found.topology_set_flags);
    look_up(library, "hwloc_topology_set_cache_types_filter",
            found.topology_set_cache_types_filter);
    look_up(library, "hwloc_topology_set_icache_types_filter",
            found.topology_set_icache_types_filter);
    look_up(library, "hwloc_topology_set_synthetic", found.topology_set_synthetic);
    look_up(library, "hwloc_topology_load", found.topology_load);
    look_up(library, "hwloc_get_type_depth", found.get_type_depth);
    look_up(library, "hwloc_get_nbobjs_by_depth", found.get_nbobjs_by_depth);
    look_up(library, "hwloc_get_obj_by_depth", found.get_obj_by_depth);
    look_up(library, "hwloc_bitmap_first", found.bitmap_first);
    functions = found;
  });
  return functions;
}

struct hwloc_topology_deleter {
  void operator()(hwloc_topology_t machine) const noexcept { hwloc().topology_destroy(machine); }
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
  if (hwloc().topology_init(&machine) != 0) throw_errno("hwloc_topology_init failed");
  hwloc_topology_ptr owned(machine);
  hwloc().topology_set_cache_types_filter(machine, HWLOC_TYPE_FILTER_KEEP_NONE);
  hwloc().topology_set_icache_types_filter(machine, HWLOC_TYPE_FILTER_KEEP_NONE);
  return owned;
}

void load(hwloc_topology_t machine) {
  if (hwloc().topology_load(machine) != 0) throw_errno("hwloc_topology_load failed");
}

hwloc_obj_t ancestor_of_type(hwloc_obj_t object, hwloc_obj_type_t type) {
  for (hwloc_obj_t ancestor = object->parent; ancestor != nullptr; ancestor = ancestor->parent) {
    if (ancestor->type == type) return ancestor;
  }
  return nullptr;
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

template <class Visit>
void for_each_pu(hwloc_topology_t machine, Visit visit) {
  const int depth = hwloc().get_type_depth(machine, HWLOC_OBJ_PU);
  const unsigned count = hwloc().get_nbobjs_by_depth(machine, depth);
  for (unsigned index = 0; index < count; ++index) {
    visit(hwloc().get_obj_by_depth(machine, depth, index));
  }
}

// The PUs of `machine` whose CPU number is in `allowed` (ascending), ascending by CPU number.
std::vector<processing_unit> units_of(hwloc_topology_t machine,
                                      std::span<const unsigned> allowed) {
  std::vector<processing_unit> units;
  for_each_pu(machine, [&](hwloc_obj_t pu) {
    if (!std::binary_search(allowed.begin(), allowed.end(), pu->os_index)) return;
    const hwloc_obj_t core = ancestor_of_type(pu, HWLOC_OBJ_CORE);
    const hwloc_obj_t package = ancestor_of_type(pu, HWLOC_OBJ_PACKAGE);
    units.push_back(processing_unit{
        .cpu = pu->os_index,
        // Some virtual machines report no cores: each PU is then a core of its own.
        .core = core != nullptr ? static_cast<unsigned>(hwloc().bitmap_first(core->cpuset))
                                : pu->os_index,
        .package = package != nullptr ? package->os_index : 0,
        .numa_node = nearest_numa_node(pu),
    });
  });
  std::sort(units.begin(), units.end(),
            [](const processing_unit& a, const processing_unit& b) { return a.cpu < b.cpu; });
  return units;
}

std::vector<unsigned> all_cpus(hwloc_topology_t machine) {
  std::vector<unsigned> cpus;
  for_each_pu(machine, [&](hwloc_obj_t pu) { cpus.push_back(pu->os_index); });
  std::sort(cpus.begin(), cpus.end());
  return cpus;
}

std::vector<unsigned> sorted_set(std::span<const unsigned> cpus) {
  std::vector<unsigned> sorted(cpus.begin(), cpus.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  return sorted;
}

}  // namespace

topology topology::from_hwloc(std::span<const unsigned> allowed) {
  const std::vector<unsigned> sorted_allowed = sorted_set(allowed);
  const hwloc_topology_ptr machine = new_topology_with_placement_levels();
  // DONT_CHANGE_BINDING turns off the x86 backend, which moves this thread onto every CPU in
  // turn to read cpuid: that doubles the load time and sysfs already has all placement needs.
  // Distances, memory attributes and CPU kinds are not used either.
  hwloc().topology_set_flags(machine.get(), HWLOC_TOPOLOGY_FLAG_DONT_CHANGE_BINDING |
                                                HWLOC_TOPOLOGY_FLAG_NO_DISTANCES |
                                                HWLOC_TOPOLOGY_FLAG_NO_MEMATTRS |
                                                HWLOC_TOPOLOGY_FLAG_NO_CPUKINDS);
  load(machine.get());
  std::vector<processing_unit> units = units_of(machine.get(), sorted_allowed);
  if (units.empty()) {
    throw std::system_error(ENODEV, std::generic_category(),
                            "percore: hwloc sees none of the allowed CPUs (" +
                                format_cpu_list(sorted_allowed) + ")");
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
  if (hwloc().topology_set_synthetic(machine.get(), std::string(description).c_str()) != 0) {
    throw std::invalid_argument("percore: hwloc rejects the synthetic topology " + quoted +
                                " (expected levels with counts, such as \"pack:2 core:8 pu:2\")");
  }
  load(machine.get());
  const std::vector<unsigned> sorted_allowed = sorted_set(allowed);
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

}  // namespace percore
