// zero_copy_sender: the zero-copy sends of one complete write, back to back: the next part goes
// out as soon as the kernel has taken the previous one, while it still reads from it, and the
// write ends once the kernel has given every part back.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <span>

#include <percore/engine/executor.hh>
#include <percore/io/request.hh>
#include <percore/io/result.hh>

namespace percore::net::detail {

class zero_copy_sender : percore::detail::cancel_hook {
 public:
  explicit zero_copy_sender(int fd) noexcept;
  zero_copy_sender(const zero_copy_sender&) = delete;
  zero_copy_sender& operator=(const zero_copy_sender&) = delete;

  // co_await send(...): one zero-copy send (sendmsg for `parts`), possibly short; resumes once
  // the kernel has taken its bytes, with their count or an error. Its buffers stay lent to the
  // kernel until released() says otherwise.
  class [[nodiscard]] sending {
   public:
    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> self) { return owner_.start_send(self); }
    result<std::size_t> await_resume() const;

   private:
    friend class zero_copy_sender;
    explicit sending(zero_copy_sender& owner) noexcept : owner_(owner) {}
    zero_copy_sender& owner_;
  };
  sending send(std::span<const std::byte> bytes) noexcept;
  sending send(std::span<const iovec> parts) noexcept;

  // co_await released(): resumes once the kernel has given back every buffer lent so far, and
  // never earlier, even in a cancelled task. An error if bytes a send had taken were lost after
  // all (the connection was reset to end a cancelled send).
  class [[nodiscard]] releasing {
   public:
    bool await_ready() const noexcept { return owner_.lent_ == 0; }
    bool await_suspend(std::coroutine_handle<> self);
    result<void> await_resume() const;

   private:
    friend class zero_copy_sender;
    explicit releasing(zero_copy_sender& owner) noexcept : owner_(owner) {}
    zero_copy_sender& owner_;
  };
  releasing released() noexcept { return releasing(*this); }

 private:
  // The kernel seldom holds more than two sends of a connection (one sending, one waiting for
  // its acknowledgement); a fifth waits for one of these to come back.
  static constexpr std::size_t slot_count = 4;

  struct slot {
    io::request request;
    msghdr message{};
    zero_copy_sender* owner = nullptr;
    std::int32_t taken_result = 0;
    bool lent = false;   // submitted, and its last completion has not come
    bool taken = false;  // its first completion came: it is waiting for the notification
  };

  enum class waiting : std::uint8_t { none, for_taken, for_slot, for_release };

  bool start_send(std::coroutine_handle<> self);
  bool submit(slot& free);
  void park(std::coroutine_handle<> self, waiting reason);
  void wake() noexcept;
  void cancel_lent() noexcept;
  void on_first_completion(slot& s, const io::request& r) noexcept;
  void on_last_completion(slot& s, const io::request& r) noexcept;
  static void on_complete(io::request& r) noexcept;
  static void on_cancel(percore::detail::cancel_hook& hook) noexcept;

  int fd_;
  std::array<slot, slot_count> slots_;
  unsigned lent_ = 0;
  // The next send, kept until a slot takes it.
  std::span<const std::byte> next_bytes_;
  std::span<const iovec> next_parts_;
  bool next_is_vector_ = false;
  // The send whose first completion the waiting task waits for, and that completion's result.
  slot* sending_ = nullptr;
  std::int32_t outcome_ = 0;
  // A send whose bytes were taken, then lost with the connection (-errno), or 0.
  std::int32_t lost_ = 0;
  percore::detail::promise_base* waiter_ = nullptr;
  waiting waiting_ = waiting::none;
  bool cancelled_ = false;
};

}  // namespace percore::net::detail
