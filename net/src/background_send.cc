// background_send: the write-behind send's life: started, continued from each completion until
// all is sent, awaited by whoever needs the buffer back, and freed by its last event.
#include <percore/net/background_send.hh>

#include <cerrno>
#include <new>

#include <percore/engine/frame_pool.hh>
#include <percore/engine/operations.hh>

namespace percore::net::detail {

background_send* background_send::create(std::size_t capacity) {
  void* block = frame_pool::local().allocate(sizeof(background_send) + capacity);
  return new (block) background_send(capacity);
}

void background_send::release() noexcept {
  if (sending_) {
    released_ = true;
    cancel();
    return;
  }
  const std::size_t size = sizeof(background_send) + capacity_;
  this->~background_send();
  frame_pool::local().deallocate(this, size);
}

void background_send::start(int fd, std::size_t size) {
  progress_.begin(fd, {data(), size});
  cancelled_ = false;
  sending_ = !progress_.send_rest(this, &on_complete);
}

void background_send::cancel() noexcept {
  if (cancelled_) return;
  cancelled_ = true;
  percore::detail::local_backend->cancel(progress_.request);
}

void background_send::on_complete(io::request& request) noexcept {
  auto* self = static_cast<background_send*>(request.owner);
  if (self->progress_.took(request.result)) {
    if (self->cancelled_) {
      self->progress_.outcome = -ECANCELED;
    } else if (!self->progress_.send_rest(self, &on_complete)) {
      return;  // the next piece waits in the kernel
    }
  }
  self->sending_ = false;
  if (self->released_) {
    self->release();
    return;
  }
  if (self->waiter_ != nullptr) {
    percore::detail::promise_base* waiter = self->waiter_;
    self->waiter_ = nullptr;
    percore::detail::wake(*waiter);
  }
}

result<void> background_send::take_outcome() noexcept {
  const result<void> outcome = progress_.value();
  progress_.outcome = 0;
  return outcome;
}

void background_send::settle_operation::await_suspend(std::coroutine_handle<> self) {
  percore::detail::promise_base& root = percore::detail::current_task();
  send_.waiter_ = &root;
  // Cancelled already: the send must still end before the buffer can go, so wait for it, but
  // cut it short.
  if (percore::detail::cancel_pending(root)) {
    send_.cancel();
    percore::detail::park(root, self, nullptr);
    return;
  }
  percore::detail::park(root, self, this);
}

void background_send::settle_operation::on_cancel(percore::detail::cancel_hook& hook) noexcept {
  static_cast<settle_operation&>(hook).send_.cancel();
}

}  // namespace percore::net::detail
