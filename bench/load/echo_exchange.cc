// echo_exchange: fills the message once, stamps each exchange's sequence number into it, and
// compares the echo with the message as it arrives, so memory stays bounded for large messages.
#include "echo_exchange.hh"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include <percore/net/stream_error.hh>

#include "load_error.hh"

namespace percore::load {

echo_exchange::echo_exchange(std::size_t message_size)
    : message_size_(message_size),
      echo_capacity_(std::min(message_size, most_ahead)),
      message_(new std::byte[message_size]),
      echo_(new std::byte[echo_capacity_]) {
  if (message_size == 0) throw std::invalid_argument("percore-load: an echo message needs a byte");
  // Printable letters, so that a captured exchange reads as text.
  for (std::size_t index = 0; index < message_size_; ++index) {
    message_[index] = static_cast<std::byte>('a' + index % 26);
  }
}

void echo_exchange::begin() noexcept {
  ++sequence_;
  std::memcpy(message_.get(), &sequence_, std::min(sizeof sequence_, message_size_));
  sent_ = 0;
  checked_ = 0;
}

std::span<const std::byte> echo_exchange::to_send() const noexcept {
  const std::size_t limit = std::min(message_size_, checked_ + most_ahead);
  if (sent_ >= limit) return {};
  return {message_.get() + sent_, limit - sent_};
}

std::span<std::byte> echo_exchange::receive_space() noexcept {
  // Never more than the message still owes: bytes beyond it would belong to no exchange.
  return {echo_.get(), std::min(echo_capacity_, message_size_ - checked_)};
}

result<exchange_state> echo_exchange::received(std::size_t count) noexcept {
  if (std::memcmp(echo_.get(), message_.get() + checked_, count) != 0) {
    return make_error_code(load_errc::wrong_echo);
  }
  checked_ += count;
  return checked_ == message_size_ ? exchange_state::answered : exchange_state::waiting;
}

result<exchange_state> echo_exchange::end_of_stream() const noexcept {
  return make_error_code(net::stream_errc::end_of_stream);
}

}  // namespace percore::load
