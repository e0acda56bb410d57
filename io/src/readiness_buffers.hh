// readiness_buffers: a buffer group for readiness backends, which pick the buffer themselves
// when a socket is readable, from a stack of free ids (the last freed is the warmest in cache).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include <percore/io/provided_buffers.hh>

namespace percore::io::detail {

class readiness_buffers final : public provided_buffers {
 public:
  readiness_buffers(std::uint16_t count, std::uint32_t size)
      : provided_buffers(count, size), free_(std::make_unique<std::uint16_t[]>(count)) {
    for (std::uint32_t slot = 0; slot < count; ++slot) {
      free_[slot] = static_cast<std::uint16_t>(count - 1 - slot);
    }
    free_count_ = count;
  }

  // A free buffer for a receive about to be attempted, or nullopt when all are held (ENOBUFS).
  std::optional<std::uint16_t> take() noexcept {
    if (free_count_ == 0) return std::nullopt;
    return free_[--free_count_];
  }

  // A buffer from take() that received nothing: free again, never having been handed out.
  void put_back(std::uint16_t id) noexcept { give_back(id); }

 private:
  void give_back(std::uint16_t id) noexcept override { free_[free_count_++] = id; }

  std::unique_ptr<std::uint16_t[]> free_;
  std::uint32_t free_count_ = 0;
};

}  // namespace percore::io::detail
