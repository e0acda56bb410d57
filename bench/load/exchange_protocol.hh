// exchange_protocol: what a protocol (echo, HTTP) offers the connection loop that drives it: the
// bytes of a request to send and a place for the answer's bytes, with no I/O of its own.
#pragma once

#include <concepts>
#include <cstddef>
#include <span>

#include <percore/io/result.hh>

namespace percore::load {

// Where an exchange stands after the bytes received so far.
enum class exchange_state {
  // More bytes of the answer are needed.
  waiting,
  // The answer is complete and right.
  answered,
  // The answer is complete but says the request failed (a non-2xx status): an error, yet the
  // connection stays in step and can carry the next request.
  rejected,
};

// A protocol keeps the state of one connection's current exchange. The loop calls begin(), then
// writes what to_send() offers (reporting it with sent()) and reads into receive_space()
// (reporting it with received()) until an answer is complete; to_send() may be empty while
// earlier bytes must be answered first. An error means the connection is out of step: the loop
// closes it and opens another. Nothing here may allocate: it runs once per request.
template <class Protocol>
concept exchange_protocol = requires(Protocol& protocol, const Protocol& constant,
                                     std::size_t count) {
  protocol.begin();
  { constant.to_send() } -> std::same_as<std::span<const std::byte>>;
  protocol.sent(count);
  { protocol.receive_space() } -> std::same_as<std::span<std::byte>>;
  { protocol.received(count) } -> std::same_as<result<exchange_state>>;
  // The peer closed the connection: that may complete an answer (an HTTP body delimited by
  // the close) or cut one short.
  { protocol.end_of_stream() } -> std::same_as<result<exchange_state>>;
  // After an answer: whether the connection may carry another request.
  { constant.reusable() } -> std::same_as<bool>;
};

}  // namespace percore::load
