// uring_buffers: a buffer group registered with an io_uring as a provided buffer ring; the
// kernel picks a buffer when data arrives and recycling one is a store to the shared ring.
#pragma once

#include <liburing.h>

#include <cstdint>

#include <percore/io/provided_buffers.hh>

namespace percore::io::detail {

class uring_buffers final : public provided_buffers {
 public:
  // Registers the ring as group `group`; throws std::system_error if the kernel refuses.
  uring_buffers(io_uring& ring, std::uint16_t group, std::uint16_t count, std::uint32_t size);
  ~uring_buffers() override;

  std::uint16_t group() const noexcept { return group_; }

 private:
  void give_back(std::uint16_t id) noexcept override;

  io_uring& ring_;
  std::uint16_t group_;
  io_uring_buf_ring* shared_ = nullptr;
  std::size_t shared_bytes_ = 0;
};

}  // namespace percore::io::detail
