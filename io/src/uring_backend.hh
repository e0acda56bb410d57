// The io_uring backend: one ring per engine, set up with the best flags the kernel accepts,
// submitting everything prepared in one kernel entry per loop turn and reaping in the same one.
#pragma once

#include <liburing.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include <percore/io/backend.hh>

#include "operations.hh"
#include "uring_buffers.hh"
#include "uring_zero_copy.hh"

namespace percore::io {

class uring_backend final : public backend {
 public:
  explicit uring_backend(const backend_options& options);
  ~uring_backend() override;

  backend_kind kind() const noexcept override { return backend_kind::io_uring; }
  std::string describe() const override;
  bool submit(request& r) override;
  void cancel(request& r) override;
  void cancel_all() override;
  std::size_t poll(std::optional<std::chrono::nanoseconds> timeout) override;
  void wake() override;
  void wake_peer(backend& peer) override;
  provided_buffers& create_buffer_group(std::uint16_t count, std::uint32_t size) override;
  std::size_t in_flight() const noexcept override { return in_flight_; }
  bool wants_nonblocking_fds() const noexcept override { return false; }

  unsigned setup_flags() const noexcept { return setup_flags_; }

 private:
  // A free submission entry; when the ring is full, submits the batch first. Inline: every
  // operation takes one.
  io_uring_sqe* next_sqe() {
    io_uring_sq& sq = ring_.sq;
    // Never SQPOLL nor SQE128: khead moves only inside our own io_uring_enter.
    if (sq.sqe_tail - *sq.khead < sq.ring_entries) [[likely]] {
      return &sq.sqes[sq.sqe_tail++ & sq.ring_mask];
    }
    return next_sqe_after_submit();
  }
  io_uring_sqe* next_sqe_after_submit();
  void prepare(request& r) {
    io_uring_sqe* sqe = next_sqe();
    detail::prepare_uring(r, sqe);
    // A stream's next read mostly waits for the peer (a request after the last answer): arm
    // the wait at once instead of first trying a recv that fails. Echo at 1,000 connections:
    // 0.092 -> 0.071 us of user CPU per request, system time unchanged (docs/net.md).
    if (r.op == opcode::recv && poll_first_) sqe->ioprio |= IORING_RECVSEND_POLL_FIRST;
    io_uring_sqe_set_data(sqe, &r);
    ++in_flight_;
  }
  void arm_wake_read();
  // Delivers up to delivery_batch completions. A turn then runs the tasks they woke while
  // their frames are still in the cache: with 1,000 connections, delivering the whole ring at
  // once and then running it evicted each frame between the two, for half as much user CPU per
  // echo again. 16 and 32 were slower than 64, 128 no better (docs/net.md).
  static constexpr std::size_t delivery_batch = 64;
  // How many completions ahead reap() prefetches the request of, and how much of it: an
  // io::request (80 bytes) spans two cache lines.
  static constexpr int prefetch_distance = 8;
  static constexpr int cache_line = 64;
  std::size_t reap();
  bool kernel_has_work_for_us() const noexcept;

  io_uring ring_{};
  unsigned setup_flags_ = 0;
  // IORING_RECVSEND_POLL_FIRST (5.19) is known to every kernel that took DEFER_TASKRUN (6.1);
  // an older one would fail the recv with EINVAL.
  bool poll_first_ = false;
  bool registered_ring_fd_ = false;
  std::size_t in_flight_ = 0;
  // Another thread writes to this eventfd to interrupt a wait; a read on it is always queued.
  int wake_fd_ = -1;
  std::uint64_t wake_counter_ = 0;
  request wake_read_;
  detail::uring_zero_copy zero_copy_{ring_};
  // Registered with ring_: unregistered (destroyed) before the ring is torn down.
  std::vector<std::unique_ptr<detail::uring_buffers>> buffer_groups_;
};

}  // namespace percore::io
