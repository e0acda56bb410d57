// multishot_receiver: one multishot receive per stream into the shard's receive buffers; read()
// copies from the buffers it holds, or waits for the next, or reads directly when they ran out.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <span>

#include <percore/engine/executor.hh>
#include <percore/io/provided_buffers.hh>
#include <percore/io/request.hh>

namespace percore::net::detail {

class multishot_receiver;

// The read() parked on a receiver (one at a time: concurrent reads of a stream would interleave
// its bytes).
struct read_waiter : percore::detail::cancel_hook {
  read_waiter() noexcept : cancel_hook{&on_cancel} {}
  static void on_cancel(percore::detail::cancel_hook& hook) noexcept;

  multishot_receiver* owner = nullptr;
  percore::detail::promise_base* root = nullptr;
  std::span<std::byte> buffer;
  bool resolved = false;
  std::int32_t outcome = 0;  // a count, 0 at end of stream, or -errno
};

class multishot_receiver {
 public:
  multishot_receiver(int fd, io::provided_buffers& group) noexcept;
  multishot_receiver(const multishot_receiver&) = delete;
  multishot_receiver& operator=(const multishot_receiver&) = delete;

  // Cancels what is in flight and frees the receiver, recycling the buffers it holds, with the
  // last completion (at once if nothing is in flight).
  void release() noexcept;

  // Whether a read can be served without waiting: bytes are held, or an end is to be reported.
  bool readable() const noexcept { return !held_.empty() || end_ <= 0; }
  // Copies held bytes into `buffer`, recycling each buffer it empties, or reports the end:
  // a count, 0 at end of stream, or -errno (reported once).
  std::int32_t take(std::span<std::byte> buffer) noexcept;
  // Parks the task in `waiter`; false when the read ended at once (waiter.resolved is set).
  bool park(read_waiter& waiter, std::coroutine_handle<> self);

  static void* operator new(std::size_t size);
  static void operator delete(void* block, std::size_t size) noexcept;

 private:
  friend struct read_waiter;
  ~multishot_receiver();
  static void on_complete(io::request& request) noexcept;
  static void on_direct_complete(io::request& request) noexcept;
  void arm();
  // Starts what ends the waiting read: the multishot receive, or a direct recv. False when the
  // direct recv finished at once (the waiter holds its outcome).
  bool serve_waiter();
  bool start_direct();
  void resolve(std::int32_t outcome, bool by_cancel = false) noexcept;
  void wake_waiter() noexcept;
  bool idle() const noexcept { return !armed_ && !direct_in_flight_; }

  io::provided_buffers& group_;
  io::request multishot_;
  // A plain recv into the waiting read's own buffer, for when every buffer of the group is held.
  io::request direct_;
  io::provided_buffers::held_queue held_;
  std::uint32_t consumed_ = 0;  // bytes of the front held buffer already read
  std::int32_t end_ = 1;        // 0: end of stream; < 0: an error to report; 1: neither
  read_waiter* waiter_ = nullptr;
  bool armed_ = false;
  bool direct_in_flight_ = false;
  bool released_ = false;
};

}  // namespace percore::net::detail
