// event: a one-shard flag tasks can wait on. set() wakes every waiter; a cancelled waiter
// leaves with operation_canceled. Not thread-safe: cross-shard signalling uses the mesh.
#pragma once

#include <coroutine>
#include <system_error>

#include <percore/engine/executor.hh>
#include <percore/io/result.hh>

namespace percore {

class event : detail::parked_waiters {
 public:
  event() noexcept { this->cancel_all = &cancel_every_waiter; }
  event(const event&) = delete;
  event& operator=(const event&) = delete;
  ~event() {
    if (waiters_ != nullptr) detail::local_executor->unregister_parked(*this);
  }

  bool is_set() const noexcept { return set_; }
  void reset() noexcept { set_ = false; }

  // Wakes every waiting task, in the order they started waiting.
  void set() noexcept {
    set_ = true;
    wake_all(false);
  }

  class awaiter : detail::cancel_hook {
   public:
    explicit awaiter(event& owner) noexcept : detail::cancel_hook{&on_cancel}, owner_(&owner) {}
    bool await_ready() const noexcept {
      if (!owner_->set_) return false;
      // Not suspending: a cancellation that woke an earlier wait must not be read as this one's.
      if (auto* root = detail::local_executor ? detail::local_executor->current() : nullptr) {
        root->flags &= static_cast<std::uint16_t>(~detail::woken_by_cancel);
      }
      return true;
    }
    bool await_suspend(std::coroutine_handle<> self) {
      detail::promise_base& root = detail::current_task();
      if (detail::cancel_pending(root)) {
        root.flags |= detail::woken_by_cancel;
        return false;
      }
      detail::park(root, self, this);
      owner_->enqueue(root);
      return true;
    }
    result<void> await_resume() const noexcept {
      detail::promise_base* root = detail::local_executor->current();
      if (root != nullptr && root->has(detail::woken_by_cancel)) {
        return std::make_error_code(std::errc::operation_canceled);
      }
      return {};
    }

   private:
    static void on_cancel(detail::cancel_hook& hook) noexcept {
      auto& self = static_cast<awaiter&>(hook);
      detail::promise_base& root = self.owner_->remove_cancelled();
      detail::wake(root, true);
    }
    event* owner_;
  };

  // co_await ev.wait(): returns at once if set, else when set() is called.
  awaiter wait() noexcept { return awaiter(*this); }

 private:
  void wake_all(bool by_cancel) noexcept {
    detail::promise_base* waiter = std::exchange(waiters_, nullptr);
    if (waiter != nullptr) detail::local_executor->unregister_parked(*this);
    while (waiter != nullptr) {
      detail::promise_base* next = waiter->next;
      detail::wake(*waiter, by_cancel);
      waiter = next;
    }
  }
  static void cancel_every_waiter(detail::parked_waiters& waiters) noexcept {
    static_cast<event&>(waiters).wake_all(true);
  }

  // Waiters are linked through the roots themselves: a parked task costs the event nothing.
  void enqueue(detail::promise_base& root) noexcept {
    root.next = nullptr;
    if (waiters_ == nullptr) {
      waiters_ = &root;
      detail::local_executor->register_parked(*this);
    } else {
      waiters_tail_->next = &root;
    }
    waiters_tail_ = &root;
  }
  // Cancellation clears the cancelled root's waiting_on just before it calls on_cancel, so the
  // root to remove is the one that is no longer waiting on its own awaiter.
  detail::promise_base& remove_cancelled() noexcept {
    detail::promise_base* previous = nullptr;
    detail::promise_base* current = waiters_;
    while (current->waiting_on != nullptr) {
      previous = current;
      current = current->next;
    }
    unlink(previous, current);
    if (waiters_ == nullptr) detail::local_executor->unregister_parked(*this);
    return *current;
  }
  void unlink(detail::promise_base* previous, detail::promise_base* current) noexcept {
    if (previous == nullptr) {
      waiters_ = current->next;
    } else {
      previous->next = current->next;
    }
    if (waiters_tail_ == current) waiters_tail_ = previous;
  }

  detail::promise_base* waiters_ = nullptr;
  detail::promise_base* waiters_tail_ = nullptr;
  bool set_ = false;
};

}  // namespace percore
