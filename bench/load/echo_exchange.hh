// echo_exchange: the echo protocol of one connection: send a message of --message-size bytes,
// read the same count back and check every byte, a little at a time for large messages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include <percore/io/result.hh>

#include "exchange_protocol.hh"

namespace percore::load {

class echo_exchange {
 public:
  // Bytes sent ahead of their echo. The echo server cannot write back while our receive buffer
  // is full, and then stops reading; with at most this much unechoed, everything in flight fits
  // the loopback socket buffers, so neither side ever waits for the other to read.
  static constexpr std::size_t most_ahead = 64 * 1024;

  // Throws std::invalid_argument for a zero size. Buffers are allocated here, once.
  explicit echo_exchange(std::size_t message_size);

  // Starts the next message; its first bytes carry the exchange's sequence number, so that an
  // echo of an earlier message is caught as well as a corrupted one.
  void begin() noexcept;
  std::span<const std::byte> to_send() const noexcept;
  void sent(std::size_t count) noexcept { sent_ += count; }
  std::span<std::byte> receive_space() noexcept;
  // Checks the `count` bytes received into receive_space(): load_errc::wrong_echo on the first
  // byte that differs from what was sent.
  result<exchange_state> received(std::size_t count) noexcept;
  // The server closed before the whole message came back: stream_errc::end_of_stream.
  result<exchange_state> end_of_stream() const noexcept;
  bool reusable() const noexcept { return true; }

 private:
  std::size_t message_size_;
  std::size_t echo_capacity_;
  std::unique_ptr<std::byte[]> message_;
  std::unique_ptr<std::byte[]> echo_;
  std::uint64_t sequence_ = 0;
  std::size_t sent_ = 0;
  std::size_t checked_ = 0;
};

static_assert(exchange_protocol<echo_exchange>);

}  // namespace percore::load
