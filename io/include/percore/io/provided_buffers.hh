// provided_buffers: a group of equal buffers a backend picks from when data arrives for a
// receive (io_uring's provided buffer ring), so an idle connection holds no buffer of its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace percore::io {

class provided_buffers {
 public:
  virtual ~provided_buffers() = default;
  provided_buffers(const provided_buffers&) = delete;
  provided_buffers& operator=(const provided_buffers&) = delete;

  std::uint16_t count() const noexcept { return count_; }
  std::uint32_t buffer_size() const noexcept { return size_; }
  // Buffers handed out by completions and not recycled yet.
  std::uint32_t in_use() const noexcept { return in_use_; }

  std::span<std::byte> buffer(std::uint16_t id) const noexcept {
    return {memory_.get() + static_cast<std::size_t>(id) * size_, size_};
  }

  // Gives back a buffer a completion handed out, once its bytes are consumed.
  void recycle(std::uint16_t id) noexcept {
    --in_use_;
    give_back(id);
  }

  // The buffers one consumer holds, filled and not yet consumed, in arrival order. Linked
  // through the group's per-buffer slots: holding many buffers allocates nothing.
  class held_queue {
   public:
    bool empty() const noexcept { return head_ == none; }
    std::uint16_t front() const noexcept { return head_; }
    void push_back(provided_buffers& group, std::uint16_t id, std::uint32_t length) noexcept;
    std::uint16_t pop_front(provided_buffers& group) noexcept;

   private:
    static constexpr std::uint16_t none = 0xffff;
    std::uint16_t head_ = none;
    std::uint16_t tail_ = none;
  };

  // The bytes a held buffer received (set by held_queue::push_back).
  std::uint32_t filled(std::uint16_t id) const noexcept { return slots_[id].filled; }

  // The backend calls this when a completion hands buffer `id` to a consumer.
  void note_handed_out() noexcept { ++in_use_; }

 protected:
  // `count` is a power of two from 1 to 32768 (io_uring's limit); throws std::invalid_argument
  // otherwise. Allocates the memory of every buffer now, once.
  provided_buffers(std::uint16_t count, std::uint32_t size);

  // Makes buffer `id` available to the kernel or the readiness backend again.
  virtual void give_back(std::uint16_t id) noexcept = 0;

 private:
  struct slot {
    std::uint32_t filled = 0;
    std::uint16_t next = 0;
  };

  std::uint16_t count_;
  std::uint32_t size_;
  std::uint32_t in_use_ = 0;
  std::unique_ptr<std::byte[]> memory_;
  std::unique_ptr<slot[]> slots_;
};

}  // namespace percore::io
