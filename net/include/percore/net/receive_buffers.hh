// receive_buffers: a shard's group of buffers that multishot receives fill as data arrives (a
// provided buffer ring on io_uring), so idle connections hold no receive buffer of their own.
#pragma once

#include <cstdint>

#include <percore/engine/operations.hh>
#include <percore/io/provided_buffers.hh>

namespace percore::net {

// A handle, cheap to copy. The group belongs to the engine's backend and lives as long as it:
// make one per shard at start-up, not one per connection.
class receive_buffers {
 public:
  // `count` buffers (a power of two up to 32768) of `size` bytes each, on the engine running on
  // this thread. Throws std::invalid_argument for a bad shape, std::system_error if the kernel
  // refuses to register the ring.
  receive_buffers(std::uint16_t count, std::uint32_t size)
      : group_(&current_backend().create_buffer_group(count, size)) {}

  std::uint16_t count() const noexcept { return group_->count(); }
  std::uint32_t buffer_size() const noexcept { return group_->buffer_size(); }
  // Buffers holding received bytes that no read has taken yet.
  std::uint32_t in_use() const noexcept { return group_->in_use(); }

  io::provided_buffers& group() const noexcept { return *group_; }

 private:
  io::provided_buffers* group_;
};

}  // namespace percore::net
