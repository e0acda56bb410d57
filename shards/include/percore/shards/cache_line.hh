// cache_line: the line size that state written by different threads is padded to, so that one
// thread's stores never invalidate the line another thread is reading (false sharing).
#pragma once

#include <cstddef>

namespace percore {

// A constant rather than std::hardware_destructive_interference_size: g++ warns that the
// latter may change between compiler versions and flags, and it sizes types in public headers.
// 64 bytes is the line on every x86-64 and on most AArch64 parts.
inline constexpr std::size_t cache_line_size = 64;

}  // namespace percore
