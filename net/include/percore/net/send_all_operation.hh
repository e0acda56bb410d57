// send_all_operation: a stream's write_all as one awaiter: a send, then, from each completion,
// a send of what the kernel did not take yet; the task resumes once, when all is sent.
#pragma once

#include <cerrno>
#include <coroutine>
#include <cstddef>
#include <span>
#include <utility>

#include <percore/engine/operations.hh>
#include <percore/engine/task.hh>
#include <percore/io/result.hh>
#include <percore/net/send_progress.hh>

namespace percore::net {

class [[nodiscard]] send_all_operation : percore::detail::cancel_hook {
 public:
  // Copying sends of `buffer` over `fd`.
  send_all_operation(int fd, std::span<const std::byte> buffer) noexcept
      : cancel_hook{&on_cancel} {
    progress_.fd = fd;
    progress_.rest = buffer;
  }
  // Zero-copy writes, which wait for the kernel's notifications: a coroutine does those.
  explicit send_all_operation(task<result<void>> lent) noexcept
      : cancel_hook{&on_cancel}, lent_(std::move(lent)) {}
  send_all_operation(const send_all_operation&) = delete;

  bool await_ready() const noexcept { return !lent_ && progress_.rest.empty(); }

  std::coroutine_handle<> await_suspend(std::coroutine_handle<> self) {
    if (lent_) return lent_.await_suspend(self);
    percore::detail::promise_base& root = percore::detail::current_task();
    if (percore::detail::cancel_pending(root)) {
      progress_.outcome = -ECANCELED;
      return self;
    }
    root_ = &root;
    if (!progress_.send_rest(this, &on_complete)) {
      percore::detail::park(root, self, this);
      return std::noop_coroutine();
    }
    // Sent at once (a readiness backend with room in the socket). Keep going unless the slice
    // is used up, so a stream of writable sockets cannot monopolise the shard.
    if (!percore::detail::local_executor->need_preempt()) return self;
    percore::detail::park(root, self, nullptr);
    percore::detail::local_executor->schedule(root);
    return std::noop_coroutine();
  }

  [[nodiscard]] result<void> await_resume() {
    if (lent_) return lent_.await_resume();
    return progress_.value();
  }

 private:
  static void on_complete(io::request& request) noexcept {
    auto* self = static_cast<send_all_operation*>(request.owner);
    if (self->progress_.took(request.result)) {
      if (percore::detail::cancel_pending(*self->root_)) {
        self->progress_.outcome = -ECANCELED;
      } else if (!self->progress_.send_rest(self, &on_complete)) {
        return;  // the next send waits in the kernel
      }
    }
    percore::detail::wake(*self->root_);
  }

  static void on_cancel(percore::detail::cancel_hook& hook) noexcept {
    // The send in flight still completes (cancelled, or with what the kernel took first); its
    // completion sees the cancellation and sends no more.
    auto& self = static_cast<send_all_operation&>(hook);
    percore::detail::local_backend->cancel(self.progress_.request);
  }

  percore::detail::promise_base* root_ = nullptr;
  // The zero-copy form's coroutine, or empty: one word in the copying form's awaiter, which
  // every write_all of a connection's frame holds.
  percore::detail::awaited_child<result<void>> lent_;
  detail::send_progress progress_;
};

}  // namespace percore::net
