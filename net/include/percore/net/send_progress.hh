// send_progress: the part of a buffer still to send over a socket, and the request sending the
// next piece: each completion either ends the transfer or starts the send of what is left.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include <percore/io/request.hh>
#include <percore/io/result.hh>

namespace percore::net::detail {

struct send_progress {
  // A send that took nothing of a non-empty buffer: waiting would not help.
  static constexpr std::int32_t stalled = 1;

  int fd = -1;
  std::span<const std::byte> rest;
  std::int32_t outcome = 0;  // 0 (sent, or under way), -errno, or stalled
  io::request request;

  // Submits sends of `rest` until one waits in the kernel (false) or all is sent or one failed
  // (true). Completions go to `complete` with `owner` in the request.
  bool send_rest(void* owner, void (*complete)(io::request&) noexcept);
  // Records what one send did; true when more is left to send.
  bool took(std::int32_t sent) noexcept;
  result<void> value() const noexcept;
};

}  // namespace percore::net::detail
