// uring_zero_copy: the io_uring backend's bookkeeping of zero-copy sends, from submission to the
// notification that gives the buffer back: copies where the kernel refuses, resets on cancel.
#pragma once

#include <liburing.h>

#include <cstdint>

#include <percore/io/request.hh>

#include "request_list.hh"

namespace percore::io::detail {

class uring_zero_copy {
 public:
  explicit uring_zero_copy(io_uring& ring) noexcept : ring_(ring) {}

  // Whether this kernel has the opcode (asked of it once, at the first zero-copy send). When it
  // has not, the backend sends a copy instead.
  bool kernel_supports(opcode op);

  // `r` is about to be submitted as a zero-copy send.
  void started(request& r) noexcept;

  enum class next_step {
    deliver,      // call r.complete (r.result and r.more are set)
    wait,         // nothing for the owner yet: the notification will follow
    send_a_copy,  // the socket refused zero copy and the kernel is done with r: resubmit r as
                  // its copying form
  };
  // A completion (CQE result and flags) of the zero-copy send `r`.
  next_step completed(request& r, std::int32_t result, std::uint32_t flags) noexcept;

  // Cancels `r`; false when the kernel holds nothing of it left to cancel (only the
  // notification is to come), so that no cancel request needs to be submitted.
  bool cancel(request& r) noexcept;

  // Cancels every zero-copy send in flight (an ASYNC_CANCEL for all is the backend's part).
  void cancel_all() noexcept;

 private:
  void give_up_connection(request& r) noexcept;
  next_step refused(request& r) noexcept;

  io_uring& ring_;
  request_list in_flight_;
  // The kernel is asked once which of the two opcodes it has (SEND_ZC: 6.0; SENDMSG_ZC: 6.1).
  bool probed_ = false;
  bool has_send_ = false;
  bool has_sendmsg_ = false;
};

}  // namespace percore::io::detail
