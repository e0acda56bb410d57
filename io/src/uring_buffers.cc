// uring_buffers: the shared ring's memory (page-aligned, as the kernel requires), registration,
// and recycling one buffer at a time with a release store of the ring's tail.
#include "uring_buffers.hh"

#include <sys/mman.h>

#include <cerrno>
#include <system_error>

namespace percore::io::detail {

uring_buffers::uring_buffers(io_uring& ring, std::uint16_t group, std::uint16_t count,
                             std::uint32_t size)
    : provided_buffers(count, size), ring_(ring), group_(group) {
  shared_bytes_ = sizeof(io_uring_buf) * count;
  void* memory = ::mmap(nullptr, shared_bytes_, PROT_READ | PROT_WRITE,
                        MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (memory == MAP_FAILED) {
    throw std::system_error(errno, std::system_category(), "mmap(provided buffer ring)");
  }
  shared_ = static_cast<io_uring_buf_ring*>(memory);
  io_uring_buf_ring_init(shared_);
  io_uring_buf_reg registration{};
  registration.ring_addr = reinterpret_cast<std::uintptr_t>(shared_);
  registration.ring_entries = count;
  registration.bgid = group;
  if (const int error = io_uring_register_buf_ring(&ring_, &registration, 0); error < 0) {
    ::munmap(shared_, shared_bytes_);
    throw std::system_error(-error, std::system_category(), "io_uring_register_buf_ring");
  }
  const int mask = io_uring_buf_ring_mask(count);
  for (std::uint16_t id = 0; id < count; ++id) {
    io_uring_buf_ring_add(shared_, buffer(id).data(), size, id, mask, id);
  }
  io_uring_buf_ring_advance(shared_, count);
}

uring_buffers::~uring_buffers() {
  io_uring_unregister_buf_ring(&ring_, group_);
  ::munmap(shared_, shared_bytes_);
}

void uring_buffers::give_back(std::uint16_t id) noexcept {
  io_uring_buf_ring_add(shared_, buffer(id).data(), buffer_size(), id,
                        io_uring_buf_ring_mask(count()), 0);
  io_uring_buf_ring_advance(shared_, 1);
}

}  // namespace percore::io::detail
