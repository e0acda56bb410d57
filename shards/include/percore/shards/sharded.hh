// sharded<Service>: one instance of a service on every shard, made on its own shard (so its
// memory is local), reached with local() or invoke_on(shard, &Service::method, ...).
#pragma once

#include <concepts>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include <percore/shards/submit_to.hh>

namespace percore {

namespace detail {
// The launch keeps started services so that it can stop them, in reverse order, if the
// program ends without stopping them itself.
void register_service(const void* key, std::function<task<void>()> stop);
void unregister_service(const void* key);

template <class Service>
concept has_stop = requires(Service& service) { service.stop(); };
}  // namespace detail

template <class Service>
class sharded {
 public:
  sharded() = default;
  // A service must be stopped (or left to the launch, living past main) before it is destroyed:
  // destruction cannot wait for the other shards. If it was not, it says so and its instances
  // are leaked rather than destroyed on the wrong shard.
  ~sharded() {
    if (instances_.empty()) return;
    detail::unregister_service(this);
    std::fprintf(stderr, "percore: a sharded service was destroyed without stop(); its %zu "
                         "instances are leaked\n", instances_.size());
  }
  sharded(const sharded&) = delete;
  sharded& operator=(const sharded&) = delete;

  // Constructs Service(arguments...) on every shard, shard 0 first, one after the other. The
  // arguments are copied to each shard.
  template <class... Arguments>
  task<void> start(Arguments... arguments) {
    if (!instances_.empty()) throw std::logic_error("percore: sharded service started twice");
    instances_.assign(shard_count(), nullptr);
    for (unsigned shard = 0; shard < shard_count(); ++shard) {
      // Named before the co_await: g++ 12 destroys a lambda built inside it too early.
      auto construct_here = [this, arguments...] {
        instances_[this_shard_id()] = new Service(arguments...);
      };
      co_await submit_to(shard, construct_here);
    }
    detail::register_service(this, [this] { return stop(); });
  }

  // Calls Service::stop() where it exists (awaiting it when it returns a task), then destroys
  // each instance on its own shard, last shard first.
  task<void> stop() {
    if (instances_.empty()) co_return;
    detail::unregister_service(this);
    for (unsigned shard = shard_count(); shard-- > 0;) {
      auto stop_here = [this]() -> task<void> {
        Service* instance = instances_[this_shard_id()];
        if constexpr (detail::has_stop<Service>) {
          if constexpr (std::is_same_v<decltype(instance->stop()), task<void>>) {
            co_await instance->stop();
          } else {
            instance->stop();
          }
        }
        delete instance;
        instances_[this_shard_id()] = nullptr;
      };
      co_await submit_to(shard, stop_here);
    }
    instances_.clear();
  }

  // This shard's instance; std::logic_error if the service is not started.
  Service& local() {
    if (instances_.empty()) throw std::logic_error("percore: sharded service not started");
    return *instances_[this_shard_id()];
  }

  // Runs (instance.*method)(arguments...) on `shard` and returns its value (awaiting it if it
  // is a task).
  template <class Method, class... Arguments>
  auto invoke_on(unsigned shard, Method method, Arguments... arguments) {
    return submit_to(shard, [this, method, arguments...]() {
      return (local().*method)(arguments...);
    });
  }

 private:
  // Written only before start() returns and after stop() begins; each shard touches its slot.
  std::vector<Service*> instances_;
};

}  // namespace percore
