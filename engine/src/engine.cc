// engine: configuration checks, backend choice, the loop turn and the orderly stop.
#include <percore/engine/engine.hh>
#include <percore/engine/operations.hh>
#include <percore/engine/timer.hh>

#include <bit>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace percore {
namespace {

constinit thread_local engine* local_engine = nullptr;

io::backend_options backend_options_of(const engine_config& config) {
  return io::backend_options{.ring_entries = config.ring_entries,
                             .blocking_threads = config.blocking_threads};
}

std::unique_ptr<io::backend> choose_backend(const engine_config& config) {
  std::optional<io::backend_kind> kind = config.backend;
  if (!kind) {
    if (const char* name = std::getenv("PERCORE_BACKEND"); name != nullptr && *name != '\0') {
      kind = io::parse_backend_kind(name);
    }
  }
  if (kind) return io::make_backend(*kind, backend_options_of(config));
  return io::make_default_backend(backend_options_of(config));
}

}  // namespace

void engine_config::validate() const {
  if (ring_entries == 0 || ring_entries > 32768 || !std::has_single_bit(ring_entries)) {
    throw std::invalid_argument("percore: ring_entries " + std::to_string(ring_entries) +
                                " is invalid (accepted: a power of two from 1 to 32768)");
  }
  if (time_slice < std::chrono::microseconds(1) || time_slice > std::chrono::seconds(1)) {
    throw std::invalid_argument("percore: time_slice " + std::to_string(time_slice.count()) +
                                "us is invalid (accepted: 1us to 1s)");
  }
  if (blocking_threads == 0 || blocking_threads > 256) {
    throw std::invalid_argument("percore: blocking_threads " + std::to_string(blocking_threads) +
                                " is invalid (accepted: 1 to 256)");
  }
  if (!backend) {
    if (const char* name = std::getenv("PERCORE_BACKEND"); name != nullptr && *name != '\0') {
      io::parse_backend_kind(name);
    }
  }
}

engine::engine(engine_config config)
    : config_((config.validate(), std::move(config))),
      backend_(choose_backend(config_)),
      executor_(config_.time_slice) {}

engine::~engine() = default;

engine* engine::current() noexcept { return local_engine; }

engine::activation::activation(engine& active)
    : previous_engine_(local_engine),
      previous_executor_(detail::local_executor),
      previous_backend_(detail::local_backend) {
  if (local_engine != nullptr) {
    throw std::logic_error("percore: an engine is already running on this thread");
  }
  local_engine = &active;
  detail::local_executor = &active.executor_;
  detail::local_backend = active.backend_.get();
  active.executor_.set_stopping(false);
}

engine::activation::~activation() {
  local_engine = previous_engine_;
  detail::local_executor = previous_executor_;
  detail::local_backend = previous_backend_;
}

void engine::react() {
  std::optional<std::chrono::nanoseconds> wait;
  if ((inbox_ != nullptr && inbox_->drain()) || executor_.has_ready() || config_.poll) {
    wait = std::chrono::nanoseconds::zero();
  }
  if (!timers_.empty()) {
    const auto now = timer_set::clock::now();
    timers_.fire_due(now);
    if (executor_.has_ready()) {
      wait = std::chrono::nanoseconds::zero();
    } else if (auto next = timers_.next_deadline(); next && !wait) {
      wait = std::max(std::chrono::nanoseconds::zero(),
                      std::chrono::duration_cast<std::chrono::nanoseconds>(*next - now));
    }
  }
  const bool may_sleep = !wait || wait->count() > 0;
  if (may_sleep && inbox_ != nullptr && !inbox_->prepare_to_sleep()) {
    wait = std::chrono::nanoseconds::zero();
    backend_->poll(wait);
  } else {
    backend_->poll(wait);
    if (may_sleep && inbox_ != nullptr) inbox_->woke_up();
  }
  // Always, so that recent_now() is never older than this turn.
  timers_.fire_due(timer_set::clock::now());
}

void engine::stop_and_drain() {
  executor_.set_stopping(true);
  timers_.wake_all_sleepers();
  executor_.cancel_parked();
  backend_->cancel_all();
  while (executor_.has_ready() || backend_->in_flight() > 0 ||
         (inbox_ != nullptr && inbox_->drain())) {
    executor_.run_ready();
    timers_.wake_all_sleepers();
    executor_.cancel_parked();
    if (executor_.has_ready()) {
      backend_->poll(std::chrono::nanoseconds::zero());
    } else if (backend_->in_flight() > 0) {
      backend_->cancel_all();
      backend_->poll(std::nullopt);
    }
  }
}

io::backend& current_backend() {
  if (local_engine == nullptr) {
    throw std::logic_error("percore: no engine runs on this thread (I/O needs one)");
  }
  return local_engine->backend();
}

timer_set& detail::current_timers() {
  if (local_engine == nullptr) {
    throw std::logic_error("percore: no engine runs on this thread (timers need one)");
  }
  return local_engine->timers();
}

}  // namespace percore
