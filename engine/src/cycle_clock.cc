// cycle_clock calibration: two samples of (counter, steady_clock) at least a few milliseconds
// apart give the counter's rate; until then, and without an invariant counter, steady_clock.
#include <percore/engine/cycle_clock.hh>

#include <mutex>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace percore {
namespace {

// Long enough for a rate error well under 0.1 % with a clock read costing tens of nanoseconds.
constexpr auto calibration_span = std::chrono::milliseconds(5);

#if defined(__x86_64__)
bool has_invariant_counter() noexcept {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(0x80000007, &eax, &ebx, &ecx, &edx)) return false;
  return (edx & (1u << 8)) != 0;
}
#endif

}  // namespace

cycle_clock::time_point cycle_clock::calibrating_now() noexcept {
  const auto steady = std::chrono::steady_clock::now().time_since_epoch();
  const auto as_cycle_time = time_point(std::chrono::duration_cast<duration>(steady));
#if defined(__x86_64__)
  if (mode_.load(std::memory_order_relaxed) == mode::steady_only) return as_cycle_time;
  const std::uint64_t ticks = __rdtsc();
  static std::mutex calibration;
  static std::uint64_t first_ticks = 0;
  static rep first_nanoseconds = 0;
  std::lock_guard lock(calibration);
  if (mode_.load(std::memory_order_relaxed) != mode::calibrating) return as_cycle_time;
  const rep nanoseconds = std::chrono::duration_cast<duration>(steady).count();
  if (first_ticks == 0) {
    if (!has_invariant_counter()) {
      mode_.store(mode::steady_only, std::memory_order_release);
      return as_cycle_time;
    }
    first_ticks = ticks;
    first_nanoseconds = nanoseconds;
  } else if (nanoseconds - first_nanoseconds >= duration(calibration_span).count() &&
             ticks > first_ticks) {
    nanoseconds_per_tick_ = static_cast<double>(nanoseconds - first_nanoseconds) /
                            static_cast<double>(ticks - first_ticks);
    base_ticks_ = ticks;
    base_nanoseconds_ = nanoseconds;
    mode_.store(mode::counter, std::memory_order_release);
  }
#endif
  return as_cycle_time;
}

}  // namespace percore
