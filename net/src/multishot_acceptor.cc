// multishot_acceptor: queueing accepted descriptors, handing them to parked accept() calls in
// order, re-arming when the kernel ends the request, and freeing itself once released.
#include <percore/net/multishot_acceptor.hh>

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <new>

#include <percore/engine/frame_pool.hh>
#include <percore/engine/operations.hh>

namespace percore::net::detail {

multishot_acceptor::multishot_acceptor(int listening_fd) noexcept {
  request_.op = io::opcode::accept;
  request_.fd = listening_fd;
  request_.flags = SOCK_CLOEXEC;
  request_.multishot = true;
  request_.owner = this;
  request_.complete = &on_complete;
}

multishot_acceptor::~multishot_acceptor() {
  while (queued_ > 0) close_now(take());
}

void* multishot_acceptor::operator new(std::size_t size) {
  return frame_pool::local().allocate(size);
}

void multishot_acceptor::operator delete(void* block, std::size_t size) noexcept {
  frame_pool::local().deallocate(block, size);
}

void multishot_acceptor::release() noexcept {
  // A task still parked here would wait for ever: it ends as if cancelled.
  while (head_ != nullptr) resolve_first(-ECANCELED);
  if (!armed_) {
    delete this;
    return;
  }
  released_ = true;
  while (queued_ > 0) close_now(take());
  percore::detail::local_backend->cancel(request_);
}

void multishot_acceptor::arm() {
  request_.more = false;
  percore::detail::local_backend->submit(request_);
  armed_ = true;
}

int multishot_acceptor::take() noexcept {
  const int fd = ring_[first_];
  first_ = (first_ + 1) % ring_.size();
  --queued_;
  return fd;
}

void multishot_acceptor::queue(int fd) {
  if (queued_ == ring_.size()) {
    std::vector<int> larger(ring_.empty() ? 16 : ring_.size() * 2);
    for (std::size_t i = 0; i < queued_; ++i) larger[i] = ring_[(first_ + i) % ring_.size()];
    ring_.swap(larger);
    first_ = 0;
  }
  ring_[(first_ + queued_) % ring_.size()] = fd;
  ++queued_;
}

bool multishot_acceptor::park(accept_waiter& waiter, std::coroutine_handle<> self) {
  percore::detail::promise_base& root = percore::detail::current_task();
  if (percore::detail::cancel_pending(root)) {
    waiter.resolved = true;
    waiter.outcome = -ECANCELED;
    return false;
  }
  if (!armed_) arm();
  waiter.owner = this;
  waiter.next = nullptr;
  waiter.root = &root;
  percore::detail::park(root, self, &waiter);
  if (tail_ != nullptr) {
    tail_->next = &waiter;
  } else {
    head_ = &waiter;
  }
  tail_ = &waiter;
  return true;
}

void multishot_acceptor::withdraw(accept_waiter& waiter) noexcept {
  accept_waiter* previous = nullptr;
  for (accept_waiter* current = head_; current != nullptr; current = current->next) {
    if (current != &waiter) {
      previous = current;
      continue;
    }
    (previous != nullptr ? previous->next : head_) = current->next;
    if (tail_ == current) tail_ = previous;
    return;
  }
}

void multishot_acceptor::resolve_first(int outcome) noexcept {
  accept_waiter& first = *head_;
  head_ = first.next;
  if (head_ == nullptr) tail_ = nullptr;
  first.resolved = true;
  first.outcome = outcome;
  percore::detail::wake(*first.root);
}

void accept_waiter::on_cancel(percore::detail::cancel_hook& hook) noexcept {
  auto& waiter = static_cast<accept_waiter&>(hook);
  waiter.owner->withdraw(waiter);
  waiter.resolved = true;
  waiter.outcome = -ECANCELED;
  percore::detail::wake(*waiter.root, true);
}

void multishot_acceptor::on_complete(io::request& request) noexcept {
  auto& self = *static_cast<multishot_acceptor*>(request.owner);
  if (request.result >= 0) {
    if (self.released_) {
      ::close(request.result);  // never seen by a backend: nothing to forget
    } else if (self.head_ != nullptr) {
      self.resolve_first(request.result);
    } else {
      try {
        self.queue(request.result);
      } catch (const std::bad_alloc&) {
        // Out of memory for the queue: refusing this one connection costs only that peer.
        ::close(request.result);
      }
    }
  }
  if (request.more) return;
  self.armed_ = false;
  if (self.released_) {
    delete &self;
    return;
  }
  const bool stopping = request.result == -ECANCELED ||
                        (percore::detail::local_executor != nullptr &&
                         percore::detail::local_executor->stopping());
  if (stopping) {
    while (self.head_ != nullptr) self.resolve_first(-ECANCELED);
    return;
  }
  // A failure (EMFILE, ...) goes to the first waiter, as a single accept would report it; the
  // others keep waiting on a fresh request.
  if (request.result < 0 && self.head_ != nullptr) self.resolve_first(request.result);
  if (self.head_ != nullptr) self.arm();
}

}  // namespace percore::net::detail
