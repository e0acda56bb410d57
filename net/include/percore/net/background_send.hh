// background_send: an output buffer whose bytes can go to a socket while its owner carries on
// (write-behind). The buffer and the send's state share one block of the shard's pool, so that
// an owner ending mid-send leaves nothing dangling: the block is freed when the send completes.
#pragma once

#include <coroutine>
#include <cstddef>

#include <percore/engine/executor.hh>
#include <percore/io/result.hh>
#include <percore/net/send_progress.hh>

namespace percore::net::detail {

class background_send {
 public:
  // A block of `capacity` buffer bytes from the shard's frame pool.
  static background_send* create(std::size_t capacity);
  // Frees the block now, or, with a send in flight, cancels it and frees on its completion.
  void release() noexcept;

  std::byte* data() noexcept { return reinterpret_cast<std::byte*>(this + 1); }
  bool sending() const noexcept { return sending_; }

  // Starts sending data()[0, size) over `fd`, repeated for what the kernel does not take,
  // without waiting. Not while sending().
  void start(int fd, std::size_t size);

  // Waits for the send in flight, if any. Cancelling the wait cancels the send: the bytes the
  // kernel did not take are lost, as the connection's end is near.
  class settle_operation : percore::detail::cancel_hook {
   public:
    explicit settle_operation(background_send& send) noexcept
        : cancel_hook{&on_cancel}, send_(send) {}
    settle_operation(const settle_operation&) = delete;
    bool await_ready() const noexcept { return !send_.sending_; }
    void await_suspend(std::coroutine_handle<> self);
    result<void> await_resume() noexcept { return send_.take_outcome(); }

   private:
    static void on_cancel(percore::detail::cancel_hook& hook) noexcept;
    background_send& send_;
  };
  settle_operation settled() noexcept { return settle_operation(*this); }

  // The last send's outcome (once it ended), then success until the next send fails.
  result<void> take_outcome() noexcept;

 private:
  explicit background_send(std::size_t capacity) noexcept : capacity_(capacity) {}
  static void on_complete(io::request& request) noexcept;
  void cancel() noexcept;

  send_progress progress_;
  std::size_t capacity_;
  percore::detail::promise_base* waiter_ = nullptr;
  bool sending_ = false;
  bool cancelled_ = false;
  bool released_ = false;
};

}  // namespace percore::net::detail
