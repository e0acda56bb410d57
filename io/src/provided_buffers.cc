// provided_buffers: the memory of a buffer group and the per-buffer slots that queue held
// buffers, shared by every backend's implementation.
#include <percore/io/provided_buffers.hh>

#include <bit>
#include <stdexcept>
#include <string>

namespace percore::io {

provided_buffers::provided_buffers(std::uint16_t count, std::uint32_t size)
    : count_(count), size_(size) {
  if (count == 0 || count > 32768 || !std::has_single_bit(count) || size == 0) {
    throw std::invalid_argument("percore: a buffer group of " + std::to_string(count) + " x " +
                                std::to_string(size) +
                                " bytes is invalid (accepted: a power of two from 1 to 32768 "
                                "buffers of at least one byte)");
  }
  memory_ = std::make_unique<std::byte[]>(static_cast<std::size_t>(count) * size);
  slots_ = std::make_unique<slot[]>(count);
}

void provided_buffers::held_queue::push_back(provided_buffers& group, std::uint16_t id,
                                             std::uint32_t length) noexcept {
  group.slots_[id] = slot{length, none};
  if (tail_ == none) {
    head_ = id;
  } else {
    group.slots_[tail_].next = id;
  }
  tail_ = id;
}

std::uint16_t provided_buffers::held_queue::pop_front(provided_buffers& group) noexcept {
  const std::uint16_t id = head_;
  head_ = group.slots_[id].next;
  if (head_ == none) tail_ = none;
  return id;
}

}  // namespace percore::io
