// topology from sysfs: per allowed CPU its core and package siblings, per NUMA node its CPUs;
// the files hwloc's Linux backend reads too, without the few hundred others it reads.
#include <percore/shards/topology.hh>

#include <cstdlib>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>

#include "sysfs_file.hh"

namespace percore {
namespace {

// The first file of `names` (newer kernels' name first) present in `directory`, as a list.
std::optional<std::vector<unsigned>> read_first_list(const std::filesystem::path& directory,
                                                     std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (auto list = sysfs::read_list(directory / name)) return list;
  }
  return std::nullopt;
}

struct node_of_cpu {
  unsigned cpu;
  int node;
};

// Which NUMA node each CPU's memory is on.
struct numa_layout {
  // The node of every CPU on a machine with one node; a kernel without NUMA counts as node 0,
  // as hwloc also reports it.
  std::optional<int> only_node;
  // Otherwise, ascending by CPU; -1 for the CPUs of a memoryless node.
  std::vector<node_of_cpu> by_cpu;

  int node_of(unsigned cpu) const {
    if (only_node) return *only_node;
    const auto found = std::lower_bound(
        by_cpu.begin(), by_cpu.end(), cpu,
        [](const node_of_cpu& entry, unsigned number) { return entry.cpu < number; });
    return found != by_cpu.end() && found->cpu == cpu ? found->node : -1;
  }
};

numa_layout read_numa_layout(const std::filesystem::path& nodes) {
  const std::optional<std::vector<unsigned>> online = sysfs::read_list(nodes / "online");
  if (!online || online->empty()) return {.only_node = 0, .by_cpu = {}};
  // One node has the memory and every CPU: two more reads would only say so.
  if (online->size() == 1) return {.only_node = static_cast<int>(online->front()), .by_cpu = {}};
  const std::optional<std::vector<unsigned>> with_memory = sysfs::read_list(nodes / "has_memory");
  numa_layout layout;
  for (unsigned node : *online) {
    const bool has_memory = !with_memory || std::binary_search(with_memory->begin(),
                                                               with_memory->end(), node);
    const std::optional<std::vector<unsigned>> cpus =
        sysfs::read_list(nodes / ("node" + std::to_string(node)) / "cpulist");
    if (!cpus) continue;
    for (unsigned cpu : *cpus) {
      layout.by_cpu.push_back({cpu, has_memory ? static_cast<int>(node) : -1});
    }
  }
  std::sort(layout.by_cpu.begin(), layout.by_cpu.end(),
            [](const node_of_cpu& a, const node_of_cpu& b) { return a.cpu < b.cpu; });
  return layout;
}

}  // namespace

topology topology::from_sysfs(const std::filesystem::path& root,
                              std::span<const unsigned> allowed) {
  std::vector<unsigned> sorted_allowed(allowed.begin(), allowed.end());
  std::sort(sorted_allowed.begin(), sorted_allowed.end());
  sorted_allowed.erase(std::unique(sorted_allowed.begin(), sorted_allowed.end()),
                       sorted_allowed.end());
  if (sorted_allowed.empty()) {
    throw std::system_error(EINVAL, std::generic_category(),
                            "percore: topology from " + root.string() + ": no allowed CPU");
  }
  const std::filesystem::path nodes = root / "devices/system/node";
  const numa_layout numa = read_numa_layout(nodes);

  std::vector<processing_unit> units;
  units.reserve(sorted_allowed.size());
  for (unsigned cpu : sorted_allowed) {
    const std::filesystem::path topology_directory =
        root / ("devices/system/cpu/cpu" + std::to_string(cpu)) / "topology";
    // core_cpus_list since Linux 5.1; thread_siblings_list, its older name, means the same.
    const auto core = read_first_list(topology_directory, {"core_cpus_list", "thread_siblings_list"});
    const auto package_number = sysfs::read_file(topology_directory / "physical_package_id");
    if (!core || core->empty() || !package_number) {
      throw std::system_error(ENOENT, std::generic_category(),
                              "percore: " + topology_directory.string() +
                                  " lacks core_cpus_list or physical_package_id");
    }
    // Some virtual machines report package -1; they have one package.
    const long package = std::strtol(package_number->c_str(), nullptr, 10);
    units.push_back(processing_unit{
        .cpu = cpu,
        .core = core->front(),
        .package = package < 0 ? 0u : static_cast<unsigned>(package),
        .numa_node = numa.node_of(cpu),
    });
  }
  return topology(std::move(units));
}

}  // namespace percore
