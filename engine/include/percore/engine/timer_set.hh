// timer_set: a shard's pending deadlines, ordered (an intrusive red-black tree, so arming and
// disarming never allocate); the engine fires what is due once per loop turn.
#pragma once

#include <chrono>
#include <optional>

#include <boost/intrusive/set.hpp>

namespace percore {

namespace detail {

using timer_clock = std::chrono::steady_clock;

// One pending deadline. Whoever embeds it says what firing means.
struct timer_entry
    : boost::intrusive::set_base_hook<boost::intrusive::link_mode<boost::intrusive::normal_link>,
                                      boost::intrusive::optimize_size<true>> {
  timer_clock::time_point deadline;
  void (*fire)(timer_entry&) noexcept = nullptr;
  bool armed = false;
  // A task sleeps on it: when the engine stops, it is fired early rather than dropped.
  bool wakes_task = false;

  friend bool operator<(const timer_entry& left, const timer_entry& right) noexcept {
    return left.deadline < right.deadline;
  }
};

}  // namespace detail

class timer_set {
 public:
  using clock = detail::timer_clock;

  void arm(detail::timer_entry& entry) noexcept {
    entry.armed = true;
    entries_.insert(entry);
  }
  void disarm(detail::timer_entry& entry) noexcept {
    if (!entry.armed) return;
    entries_.erase(entries_.iterator_to(entry));
    entry.armed = false;
  }
  bool empty() const noexcept { return entries_.empty(); }
  std::size_t size() const noexcept { return entries_.size(); }
  std::optional<clock::time_point> next_deadline() const noexcept {
    if (entries_.empty()) return std::nullopt;
    return entries_.begin()->deadline;
  }

  // The time the engine last read, at most one loop turn old: for deadlines of seconds, which
  // per-request code pushes back at every request, a clock read each time would cost more than
  // the deadline's precision is worth.
  clock::time_point recent_now() const noexcept { return recent_now_; }

  // Fires, in deadline order (equal deadlines in arming order), every entry due at `now`.
  std::size_t fire_due(clock::time_point now) noexcept {
    recent_now_ = now;
    std::size_t fired = 0;
    while (!entries_.empty() && entries_.begin()->deadline <= now) {
      detail::timer_entry& entry = *entries_.begin();
      entries_.erase(entries_.begin());
      entry.armed = false;
      entry.fire(entry);
      ++fired;
    }
    return fired;
  }

  // For an engine that stops: wakes every sleeping task now and drops plain callbacks.
  void wake_all_sleepers() noexcept {
    while (!entries_.empty()) {
      detail::timer_entry& entry = *entries_.begin();
      entries_.erase(entries_.begin());
      entry.armed = false;
      if (entry.wakes_task) entry.fire(entry);
    }
  }

 private:
  boost::intrusive::multiset<detail::timer_entry> entries_;
  clock::time_point recent_now_ = clock::now();
};

}  // namespace percore
