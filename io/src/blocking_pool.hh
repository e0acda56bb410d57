// The blocking pool: a few threads that run the syscalls a readiness backend cannot wait for
// (regular-file I/O, openat, fsync), handing the finished requests back to the owning thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include <percore/io/request.hh>

namespace percore::io::detail {

// A FIFO of requests linked through request::backend_next: queues and wait lists that never
// allocate. A request is in at most one of them at a time.
class request_fifo {
 public:
  bool empty() const noexcept { return head_ == nullptr; }

  void push_back(request& r) noexcept {
    r.backend_next = nullptr;
    if (tail_ != nullptr) {
      tail_->backend_next = &r;
    } else {
      head_ = &r;
    }
    tail_ = &r;
  }

  request* pop_front() noexcept {
    request* first = head_;
    if (first != nullptr) {
      head_ = first->backend_next;
      if (head_ == nullptr) tail_ = nullptr;
    }
    return first;
  }

  // Unlinks every request for which `finished(r)` returns true, keeping the others in order.
  // `finished` may link the request into another list.
  template <class Predicate>
  void remove_if(Predicate finished) {
    request** link = &head_;
    request* kept = nullptr;
    while (request* r = *link) {
      request* next = r->backend_next;
      if (finished(*r)) {
        *link = next;
        if (tail_ == r) tail_ = kept;
      } else {
        kept = r;
        link = &r->backend_next;
      }
    }
  }

  bool remove(request& target) noexcept {
    bool found = false;
    remove_if([&](request& r) {
      if (&r != &target) return false;
      found = true;
      return true;
    });
    return found;
  }

 private:
  request* head_ = nullptr;
  request* tail_ = nullptr;
};

class blocking_pool {
 public:
  // `notify` runs on a pool thread after requests finished while none were waiting to be
  // taken; it must make the owner call take_finished() soon (the backend's wake).
  blocking_pool(unsigned max_threads, std::function<void()> notify);
  ~blocking_pool();
  blocking_pool(const blocking_pool&) = delete;
  blocking_pool& operator=(const blocking_pool&) = delete;

  // Queues `r` for detail::perform_blocking, starting a thread if every started one is busy.
  void push(request& r);

  // Takes `r` out of the queue if no thread has started it yet.
  bool remove_if_queued(request& r);

  // Moves every queued (not started) request to `out`.
  void take_queued(request_fifo& out);

  // Whether take_finished() would find anything; cheap enough to call every loop turn.
  bool has_finished() const noexcept {
    return finished_.load(std::memory_order_relaxed) != nullptr;
  }

  // Moves the requests that finished since the last call to `out`, in the order they finished.
  void take_finished(request_fifo& out) noexcept;

  unsigned max_threads() const noexcept { return max_threads_; }

 private:
  void start_thread();
  void run_worker();
  void publish(request& r) noexcept;

  const unsigned max_threads_;
  const std::function<void()> notify_;

  std::mutex mutex_;
  std::condition_variable work_available_;
  request_fifo queue_;
  std::size_t queued_ = 0;
  std::size_t idle_threads_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;

  // Lock-free stack of finished requests (pushed by pool threads, emptied by the owner).
  std::atomic<request*> finished_{nullptr};
};

}  // namespace percore::io::detail
