// topology: the calling thread's allowed CPUs, and the choice of source (sysfs, else hwloc)
// for what placement needs to know about them.
#include <percore/shards/cpu_list.hh>
#include <percore/shards/topology.hh>

#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <new>
#include <string>
#include <system_error>

namespace percore {
namespace {

std::vector<unsigned> affinity_of_calling_thread() {
  // The kernel refuses a mask smaller than its own CPU count with EINVAL; grow until it fits.
  for (std::size_t capacity = CPU_SETSIZE; capacity <= max_cpu_number + 1; capacity *= 2) {
    const std::unique_ptr<cpu_set_t, void (*)(cpu_set_t*)> mask(CPU_ALLOC(capacity),
                                                                [](cpu_set_t* m) { CPU_FREE(m); });
    if (!mask) throw std::bad_alloc();
    const std::size_t size = CPU_ALLOC_SIZE(capacity);
    if (sched_getaffinity(0, size, mask.get()) != 0) {
      if (errno == EINVAL) continue;
      throw std::system_error(errno, std::generic_category(),
                              "percore: sched_getaffinity failed");
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
  try {
    return from_sysfs("/sys", allowed);
  } catch (const std::system_error& missing) {
    if (missing.code() != std::errc::no_such_file_or_directory) throw;
  }
  return from_hwloc(allowed);
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
