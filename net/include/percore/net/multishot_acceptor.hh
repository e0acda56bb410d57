// multishot_acceptor: one multishot accept request per listener that keeps accepting as
// connections arrive; accept() takes the connections it queued, or waits for the next one.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <percore/engine/executor.hh>
#include <percore/io/request.hh>

namespace percore::net::detail {

class multishot_acceptor;

// One accept() parked on a multishot acceptor, linked in its FIFO while it waits.
struct accept_waiter : percore::detail::cancel_hook {
  accept_waiter() noexcept : cancel_hook{&on_cancel} {}
  static void on_cancel(percore::detail::cancel_hook& hook) noexcept;

  multishot_acceptor* owner = nullptr;
  accept_waiter* next = nullptr;
  percore::detail::promise_base* root = nullptr;
  bool resolved = false;
  int outcome = 0;  // the descriptor, or -errno
};

class multishot_acceptor {
 public:
  explicit multishot_acceptor(int listening_fd) noexcept;
  multishot_acceptor(const multishot_acceptor&) = delete;
  multishot_acceptor& operator=(const multishot_acceptor&) = delete;

  // Cancels the request and frees the acceptor, closing the connections it holds, with the
  // request's last completion (at once if it is not in flight).
  void release() noexcept;

  bool has_queued() const noexcept { return queued_ > 0; }
  int take() noexcept;
  // Parks the task in `waiter` (arming the request if needed); false when it ends at once.
  bool park(accept_waiter& waiter, std::coroutine_handle<> self);
  void withdraw(accept_waiter& waiter) noexcept;

  static void* operator new(std::size_t size);
  static void operator delete(void* block, std::size_t size) noexcept;

 private:
  ~multishot_acceptor();
  static void on_complete(io::request& request) noexcept;
  void arm();
  void queue(int fd);
  void resolve_first(int outcome) noexcept;

  io::request request_;
  // Accepted descriptors no accept() has taken: a ring that grows and never shrinks, so a
  // steady stream of connections allocates nothing.
  std::vector<int> ring_;
  std::size_t first_ = 0;
  std::size_t queued_ = 0;
  accept_waiter* head_ = nullptr;
  accept_waiter* tail_ = nullptr;
  bool armed_ = false;
  bool released_ = false;
};

}  // namespace percore::net::detail
