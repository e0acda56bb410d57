// Reading the small text files of sysfs (CPU and node lists, single numbers) with plain
// syscalls: start-up reads a dozen of them, and iostreams would cost more than the reads.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace percore::sysfs {

// The text of the file without its trailing newline; nullopt when it does not exist.
// Throws std::system_error when it exists but cannot be read.
std::optional<std::string> read_file(const std::filesystem::path& path);

// A file in the cpulist syntax ("0-3,8"), for CPUs or NUMA nodes; an empty file is an empty
// list. nullopt when it does not exist; std::system_error naming the file when malformed.
std::optional<std::vector<unsigned>> read_list(const std::filesystem::path& path);

}  // namespace percore::sysfs
