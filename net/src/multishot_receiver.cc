// multishot_receiver: filling the held-buffer queue from completions, serving reads from it,
// falling back to a direct recv when the group is exhausted, and freeing itself once released.
#include <percore/net/multishot_receiver.hh>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

#include <percore/engine/frame_pool.hh>
#include <percore/engine/operations.hh>

namespace percore::net::detail {

multishot_receiver::multishot_receiver(int fd, io::provided_buffers& group) noexcept
    : group_(group) {
  multishot_.op = io::opcode::recv_provided;
  multishot_.fd = fd;
  multishot_.buffers = &group;
  multishot_.multishot = true;
  multishot_.owner = this;
  multishot_.complete = &on_complete;
  direct_.op = io::opcode::recv;
  direct_.fd = fd;
  direct_.owner = this;
  direct_.complete = &on_direct_complete;
}

multishot_receiver::~multishot_receiver() {
  while (!held_.empty()) group_.recycle(held_.pop_front(group_));
}

void* multishot_receiver::operator new(std::size_t size) {
  return frame_pool::local().allocate(size);
}

void multishot_receiver::operator delete(void* block, std::size_t size) noexcept {
  frame_pool::local().deallocate(block, size);
}

void multishot_receiver::release() noexcept {
  if (idle()) {
    delete this;
    return;
  }
  released_ = true;
  while (!held_.empty()) group_.recycle(held_.pop_front(group_));
  if (armed_) percore::detail::local_backend->cancel(multishot_);
  if (direct_in_flight_) {
    // Its completion ends the wait of the read whose buffer it fills.
    percore::detail::local_backend->cancel(direct_);
  } else if (waiter_ != nullptr) {
    resolve(-ECANCELED);
  }
}

void multishot_receiver::arm() {
  multishot_.more = false;
  percore::detail::local_backend->submit(multishot_);
  armed_ = true;
}

// True when the direct recv is in flight; false when it finished at once (the waiter has it).
bool multishot_receiver::start_direct() {
  direct_.buffer = waiter_->buffer.data();
  direct_.length = percore::detail::clamp_length(waiter_->buffer.size());
  if (percore::detail::local_backend->submit(direct_)) {
    waiter_->resolved = true;
    waiter_->outcome = direct_.result;
    return false;
  }
  direct_in_flight_ = true;
  return true;
}

std::int32_t multishot_receiver::take(std::span<std::byte> buffer) noexcept {
  if (held_.empty()) {
    const std::int32_t end = end_;
    if (end_ < 0) end_ = 1;
    return end;
  }
  std::size_t copied = 0;
  while (!held_.empty() && copied < buffer.size()) {
    const std::uint16_t id = held_.front();
    const std::size_t available = group_.filled(id) - consumed_;
    const std::size_t count = std::min(available, buffer.size() - copied);
    std::memcpy(buffer.data() + copied, group_.buffer(id).data() + consumed_, count);
    copied += count;
    consumed_ += static_cast<std::uint32_t>(count);
    if (consumed_ == group_.filled(id)) {
      group_.recycle(held_.pop_front(group_));
      consumed_ = 0;
    }
  }
  return static_cast<std::int32_t>(copied);
}

bool multishot_receiver::park(read_waiter& waiter, std::coroutine_handle<> self) {
  percore::detail::promise_base& root = percore::detail::current_task();
  if (percore::detail::cancel_pending(root)) {
    waiter.resolved = true;
    waiter.outcome = -ECANCELED;
    return false;
  }
  if (waiter_ != nullptr) throw std::logic_error("percore: two reads at once on one stream");
  waiter.owner = this;
  waiter.root = &root;
  waiter_ = &waiter;
  if (!armed_ && !serve_waiter()) {
    waiter_ = nullptr;
    return false;
  }
  percore::detail::park(root, self, &waiter);
  return true;
}

bool multishot_receiver::serve_waiter() {
  // With every buffer held (by this stream or others), a multishot receive would end at once
  // with ENOBUFS: read straight into the caller's buffer instead.
  if (group_.in_use() < group_.count()) {
    arm();
    return true;
  }
  return start_direct();
}

void multishot_receiver::resolve(std::int32_t outcome, bool by_cancel) noexcept {
  read_waiter& waiter = *std::exchange(waiter_, nullptr);
  waiter.resolved = true;
  waiter.outcome = outcome;
  percore::detail::wake(*waiter.root, by_cancel);
}

void multishot_receiver::wake_waiter() noexcept {
  percore::detail::wake(*std::exchange(waiter_, nullptr)->root);
}

void read_waiter::on_cancel(percore::detail::cancel_hook& hook) noexcept {
  auto& waiter = static_cast<read_waiter&>(hook);
  multishot_receiver& receiver = *waiter.owner;
  if (receiver.direct_in_flight_) {
    // The direct recv writes into the caller's buffer: its completion ends the wait.
    percore::detail::local_backend->cancel(receiver.direct_);
    return;
  }
  // The multishot receive goes on for the next read; only this wait ends.
  receiver.resolve(-ECANCELED, true);
}

void multishot_receiver::on_complete(io::request& request) noexcept {
  auto& self = *static_cast<multishot_receiver*>(request.owner);
  const std::int32_t outcome = request.result;
  if (!request.more) self.armed_ = false;
  if (self.released_) {
    if (outcome > 0) self.group_.recycle(request.buffer_id);
    if (self.idle()) delete &self;
    return;
  }
  if (outcome > 0) {
    self.held_.push_back(self.group_, request.buffer_id, static_cast<std::uint32_t>(outcome));
  } else if (outcome == 0 || (outcome != -ENOBUFS && outcome != -ECANCELED)) {
    self.end_ = outcome;
  }
  if (self.waiter_ == nullptr || self.direct_in_flight_) return;
  if (self.readable()) {
    self.wake_waiter();
    return;
  }
  if (self.armed_) return;
  // Ended with nothing to give: cancelled, or the group ran dry. A stopping engine must not see
  // new requests, which nothing would cancel.
  const bool stopping = outcome == -ECANCELED ||
                        (percore::detail::local_executor != nullptr &&
                         percore::detail::local_executor->stopping());
  if (stopping) {
    self.resolve(-ECANCELED);
  } else if (!self.serve_waiter()) {
    self.resolve(self.waiter_->outcome);
  }
}

void multishot_receiver::on_direct_complete(io::request& request) noexcept {
  auto& self = *static_cast<multishot_receiver*>(request.owner);
  self.direct_in_flight_ = false;
  if (self.waiter_ != nullptr) self.resolve(request.result);
  if (self.released_ && self.idle()) delete &self;
}

}  // namespace percore::net::detail
