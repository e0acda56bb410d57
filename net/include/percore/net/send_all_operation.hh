// send_all_operation: a stream's write_all as one awaiter: a send, then, from each completion,
// a send of what the kernel did not take yet; the task resumes once, when all is sent.
#pragma once

#include <cerrno>
#include <coroutine>
#include <cstddef>
#include <optional>
#include <span>

#include <percore/engine/operations.hh>
#include <percore/engine/task.hh>
#include <percore/io/result.hh>
#include <percore/net/stream_error.hh>

namespace percore::net {

class [[nodiscard]] send_all_operation : percore::detail::cancel_hook {
 public:
  // Copying sends of `buffer` over `fd`.
  send_all_operation(int fd, std::span<const std::byte> buffer) noexcept
      : cancel_hook{&on_cancel}, fd_(fd), rest_(buffer) {}
  // Zero-copy writes, which wait for the kernel's notifications: a coroutine does those.
  explicit send_all_operation(task<result<void>> lent) noexcept
      : cancel_hook{&on_cancel}, lent_(std::move(lent).operator co_await()) {}
  send_all_operation(const send_all_operation&) = delete;

  bool await_ready() const noexcept { return !lent_ && rest_.empty(); }

  std::coroutine_handle<> await_suspend(std::coroutine_handle<> self) {
    if (lent_) {
      (void)lent_->await_ready();
      return lent_->await_suspend(self);
    }
    percore::detail::promise_base& root = percore::detail::current_task();
    if (percore::detail::cancel_pending(root)) {
      outcome_ = -ECANCELED;
      return self;
    }
    root_ = &root;
    if (!send_rest()) {
      percore::detail::park(self, this);
      return std::noop_coroutine();
    }
    // Sent at once (a readiness backend with room in the socket). Keep going unless the slice
    // is used up, so a stream of writable sockets cannot monopolise the shard.
    if (!percore::detail::local_executor->need_preempt()) return self;
    percore::detail::park(self, nullptr);
    percore::detail::local_executor->schedule(root);
    return std::noop_coroutine();
  }

  [[nodiscard]] result<void> await_resume() {
    if (lent_) return lent_->await_resume();
    if (outcome_ == stalled) return make_error_code(stream_errc::sink_stalled);
    if (outcome_ < 0) return error_from_errno(-outcome_);
    return {};
  }

 private:
  // A send that took nothing of a non-empty buffer: waiting would not help.
  static constexpr std::int32_t stalled = 1;

  // Sends until a send waits in the kernel (false) or all is sent or failed (true).
  bool send_rest() {
    for (;;) {
      request_ = io::request{};
      request_.op = io::opcode::send;
      request_.fd = fd_;
      request_.buffer = const_cast<std::byte*>(rest_.data());
      request_.length = percore::detail::clamp_length(rest_.size());
      request_.owner = this;
      request_.complete = &on_complete;
      if (!percore::detail::local_backend->submit(request_)) return false;
      if (!took(request_.result)) return true;
    }
  }

  // Records what one send did; true when more is left to send.
  bool took(std::int32_t sent) noexcept {
    if (sent < 0) {
      outcome_ = sent;
      return false;
    }
    if (sent == 0) {
      outcome_ = stalled;
      return false;
    }
    rest_ = rest_.subspan(static_cast<std::size_t>(sent));
    return !rest_.empty();
  }

  static void on_complete(io::request& request) noexcept {
    auto* self = static_cast<send_all_operation*>(request.owner);
    if (self->took(request.result)) {
      if (percore::detail::cancel_pending(*self->root_)) {
        self->outcome_ = -ECANCELED;
      } else if (!self->send_rest()) {
        return;  // the next send waits in the kernel
      }
    }
    percore::detail::wake(*self->root_);
  }

  static void on_cancel(percore::detail::cancel_hook& hook) noexcept {
    // The send in flight still completes (cancelled, or with what the kernel took first); its
    // completion sees the cancellation and sends no more.
    auto& self = static_cast<send_all_operation&>(hook);
    percore::detail::local_backend->cancel(self.request_);
  }

  int fd_ = -1;
  std::span<const std::byte> rest_;
  std::int32_t outcome_ = 0;
  percore::detail::promise_base* root_ = nullptr;
  std::optional<task<result<void>>::awaiter> lent_;
  io::request request_;
};

}  // namespace percore::net
