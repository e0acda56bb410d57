// CPU lists in the Linux cpulist syntax ("0-3,8,10-11"), as taskset -c, numactl and
// /sys/devices/system/cpu/online use them: parsing with clear errors, and printing.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace percore {

// Larger than any kernel's CPU limit (NR_CPUS is at most 8192 today); the bound keeps a typo
// such as 0-4000000000 from building a list of four billion CPUs.
inline constexpr unsigned max_cpu_number = 65535;

// The CPUs named by `text`, ascending and without repeats ("8,0-2,1" gives 0,1,2,8).
// Throws std::invalid_argument naming the bad text and the expected form when `text` is empty,
// has an empty entry, a character other than digits, ',' and '-', a range running backwards,
// or a number above max_cpu_number.
std::vector<unsigned> parse_cpu_list(std::string_view text);

// The shortest cpulist for `cpus` (any order, repeats allowed): {3,0,1,2,8} gives "0-3,8".
// An empty set gives "".
std::string format_cpu_list(std::span<const unsigned> cpus);

}  // namespace percore
