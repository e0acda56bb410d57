// Blocking pool threads: started on demand, signals blocked, finished requests published on a
// lock-free stack so the owner collects a whole batch with one exchange.
#include "blocking_pool.hh"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <utility>

#include "operations.hh"

namespace percore::io::detail {

blocking_pool::blocking_pool(unsigned max_threads, std::function<void()> notify)
    : max_threads_(std::max(1u, max_threads)), notify_(std::move(notify)) {}

blocking_pool::~blocking_pool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_available_.notify_all();
  for (std::thread& thread : threads_) thread.join();
}

void blocking_pool::push(request& r) {
  {
    std::lock_guard lock(mutex_);
    if (queued_ + 1 > idle_threads_ && threads_.size() < max_threads_) {
      try {
        start_thread();
      } catch (...) {
        // Threads already running will get to it; with none, the request would never run.
        if (threads_.empty()) throw;
      }
    }
    queue_.push_back(r);
    ++queued_;
  }
  work_available_.notify_one();
}

void blocking_pool::start_thread() {
  // The thread inherits the signal mask it is created with: block everything around the
  // creation so that no signal is ever delivered to a pool thread, not even before it runs.
  sigset_t all;
  sigset_t previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  try {
    threads_.emplace_back([this] { run_worker(); });
  } catch (...) {
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    throw;
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

bool blocking_pool::remove_if_queued(request& r) {
  std::lock_guard lock(mutex_);
  if (!queue_.remove(r)) return false;
  --queued_;
  return true;
}

void blocking_pool::take_queued(request_fifo& out) {
  std::lock_guard lock(mutex_);
  while (request* r = queue_.pop_front()) out.push_back(*r);
  queued_ = 0;
}

void blocking_pool::run_worker() {
  std::unique_lock lock(mutex_);
  for (;;) {
    ++idle_threads_;
    work_available_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    --idle_threads_;
    if (stopping_) return;
    request& r = *queue_.pop_front();
    --queued_;
    lock.unlock();
    perform_blocking(r);
    publish(r);
    lock.lock();
  }
}

void blocking_pool::publish(request& r) noexcept {
  request* top = finished_.load(std::memory_order_relaxed);
  do {
    r.backend_next = top;
  } while (!finished_.compare_exchange_weak(top, &r, std::memory_order_release,
                                            std::memory_order_relaxed));
  // A non-empty stack means the owner was already notified and has not emptied it yet: it will
  // take this request along with the others.
  if (top == nullptr) notify_();
}

void blocking_pool::take_finished(request_fifo& out) noexcept {
  request* newest_first = finished_.exchange(nullptr, std::memory_order_acquire);
  // The stack holds the newest first; reverse it to deliver in finishing order.
  request* oldest_first = nullptr;
  while (newest_first != nullptr) {
    request* next = newest_first->backend_next;
    newest_first->backend_next = oldest_first;
    oldest_first = newest_first;
    newest_first = next;
  }
  while (oldest_first != nullptr) {
    request* next = oldest_first->backend_next;
    out.push_back(*oldest_first);
    oldest_first = next;
  }
}

}  // namespace percore::io::detail
