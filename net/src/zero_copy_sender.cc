// zero_copy_sender: lending the parts of a write to the kernel one after the other through a few
// request slots, and getting every part back (by resetting the connection, if cancelled).
#include "zero_copy_sender.hh"

#include <limits.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include <percore/engine/operations.hh>

namespace percore::net::detail {

zero_copy_sender::zero_copy_sender(int fd) noexcept
    : percore::detail::cancel_hook{&on_cancel}, fd_(fd) {
  for (slot& s : slots_) s.owner = this;
}

zero_copy_sender::sending zero_copy_sender::send(std::span<const std::byte> bytes) noexcept {
  next_bytes_ = bytes;
  next_is_vector_ = false;
  return sending(*this);
}

zero_copy_sender::sending zero_copy_sender::send(std::span<const iovec> parts) noexcept {
  next_parts_ = parts;
  next_is_vector_ = true;
  return sending(*this);
}

result<std::size_t> zero_copy_sender::sending::await_resume() const {
  return percore::detail::convert_result<std::size_t>(owner_.outcome_);
}

bool zero_copy_sender::start_send(std::coroutine_handle<> self) {
  if (percore::detail::cancel_pending(percore::detail::current_task())) {
    outcome_ = -ECANCELED;
    return false;
  }
  const auto free =
      std::find_if(slots_.begin(), slots_.end(), [](const slot& s) { return !s.lent; });
  if (free == slots_.end()) {
    park(self, waiting::for_slot);
    return true;
  }
  if (submit(*free)) {
    // Sent at once (a readiness backend copied it): go on, unless the slice is used up, so
    // that a socket that keeps taking bytes cannot monopolise the shard.
    if (!percore::detail::local_executor->need_preempt()) return false;
    percore::detail::local_executor->schedule(percore::detail::park(self, nullptr));
    return true;
  }
  sending_ = &*free;
  park(self, waiting::for_taken);
  return true;
}

// True when the send finished at once (a readiness backend sent a copy): outcome_ holds it.
bool zero_copy_sender::submit(slot& free) {
  free.request = io::request{};
  io::request& r = free.request;
  r.fd = fd_;
  r.owner = &free;
  r.complete = &on_complete;
  if (next_is_vector_) {
    free.message = msghdr{};
    free.message.msg_iov = const_cast<iovec*>(next_parts_.data());
    // More than IOV_MAX parts is EMSGSIZE: send the first IOV_MAX, as a short write.
    free.message.msg_iovlen = std::min<std::size_t>(next_parts_.size(), IOV_MAX);
    r.op = io::opcode::sendmsg_zero_copy;
    r.buffer = &free.message;
  } else {
    r.op = io::opcode::send_zero_copy;
    r.buffer = const_cast<std::byte*>(next_bytes_.data());
    r.length = percore::detail::clamp_length(next_bytes_.size());
  }
  free.lent = true;
  free.taken = false;
  ++lent_;
  if (!percore::detail::local_backend->submit(r)) return false;
  free.lent = false;
  --lent_;
  outcome_ = r.result;
  return true;
}

void zero_copy_sender::park(std::coroutine_handle<> self, waiting reason) {
  waiter_ = &percore::detail::park(self, this);
  waiting_ = reason;
}

void zero_copy_sender::wake() noexcept {
  waiting_ = waiting::none;
  percore::detail::wake(*std::exchange(waiter_, nullptr));
}

void zero_copy_sender::cancel_lent() noexcept {
  if (cancelled_) return;
  cancelled_ = true;
  for (slot& s : slots_) {
    if (s.lent) percore::detail::local_backend->cancel(s.request);
  }
}

void zero_copy_sender::on_complete(io::request& r) noexcept {
  slot& s = *static_cast<slot*>(r.owner);
  zero_copy_sender& self = *s.owner;
  if (!s.taken) self.on_first_completion(s, r);
  if (!r.more) self.on_last_completion(s, r);
}

void zero_copy_sender::on_first_completion(slot& s, const io::request& r) noexcept {
  s.taken = r.more;
  s.taken_result = r.result;
  if (waiting_ == waiting::for_taken && sending_ == &s) {
    sending_ = nullptr;
    outcome_ = r.result;
    wake();
  }
}

void zero_copy_sender::on_last_completion(slot& s, const io::request& r) noexcept {
  s.lent = false;
  s.taken = false;
  --lent_;
  if (r.result < 0 && s.taken_result >= 0) lost_ = r.result;
  if (waiting_ == waiting::for_slot) {
    // A stopping engine must not see new requests, which nothing would cancel.
    if (percore::detail::cancel_pending(*waiter_)) {
      outcome_ = -ECANCELED;
      wake();
    } else if (submit(s)) {
      wake();
    } else {
      sending_ = &s;
      waiting_ = waiting::for_taken;
    }
  } else if (waiting_ == waiting::for_release && lent_ == 0) {
    wake();
  }
}

void zero_copy_sender::on_cancel(percore::detail::cancel_hook& hook) noexcept {
  auto& self = static_cast<zero_copy_sender&>(hook);
  self.cancel_lent();
  // Nothing of the next send was submitted: it ends now. A send or a release the kernel holds
  // ends with its completions, which the cancellations hasten.
  if (self.waiting_ == waiting::for_slot) {
    self.outcome_ = -ECANCELED;
    self.wake();
  }
}

bool zero_copy_sender::releasing::await_suspend(std::coroutine_handle<> self) {
  if (percore::detail::cancel_pending(percore::detail::current_task())) owner_.cancel_lent();
  owner_.park(self, waiting::for_release);
  return true;
}

result<void> zero_copy_sender::releasing::await_resume() const {
  if (owner_.lost_ < 0) return percore::error_from_errno(-owner_.lost_);
  return {};
}

}  // namespace percore::net::detail
