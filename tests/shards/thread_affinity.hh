// Test support: the CPUs the calling thread may run on, read straight from the kernel, to
// compare with what topology and placement report.
#pragma once

#include <gtest/gtest.h>
#include <sched.h>

#include <vector>

namespace percore::testing {

inline std::vector<unsigned> affinity_of_this_thread() {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  EXPECT_EQ(sched_getaffinity(0, sizeof mask, &mask), 0);
  std::vector<unsigned> numbers;
  for (unsigned cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &mask)) numbers.push_back(cpu);
  }
  return numbers;
}

}  // namespace percore::testing
