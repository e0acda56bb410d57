// body_decoder: takes a message body out of the connection's bytes in place, incrementally:
// Content-Length bytes as they are; chunks without their size lines, extensions and trailers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include <percore/io/result.hh>
#include <percore/net/http/body_framing.hh>
#include <percore/net/http/head_scanner.hh>
#include <percore/net/http/header.hh>
#include <percore/net/http/limits.hh>

namespace percore::net::http {

// What one decode() call found at the front of its bytes.
struct body_piece {
  std::size_t consumed = 0;          // bytes to consume now (framing and data)
  std::span<const std::byte> data;   // the body bytes among them, in place (may be empty)
};

class body_decoder {
 public:
  // Throws std::invalid_argument for a zero limit. The trailer table is sized once, here.
  explicit body_decoder(const http::limits& limits = {});

  // Begins a body framed as a parsed head says (request::body, response::body).
  void start(body_framing framing) noexcept;

  // Decodes from the front of `bytes` (the unconsumed bytes after the head, as the request
  // parser takes them). Consume piece.consumed bytes after using piece.data, then call again;
  // a piece that consumes nothing means more bytes are needed, unless done(). Errors:
  // bad_chunk, bad_line_ending, body_too_large, headers_too_large (trailers), ...
  result<body_piece> decode(std::span<const std::byte> bytes);
  result<body_piece> decode(std::string_view bytes) { return decode(std::as_bytes(std::span(bytes))); }

  // The body is complete (and the trailers, if any, are in trailers()).
  bool done() const noexcept { return state_ == state::done; }

  // The stream ended: that completes a body delimited by the close; any other unfinished body
  // is parse_errc::incomplete_body.
  result<void> end_of_stream() noexcept;

  // A chunked body's trailer fields, views into the bytes of the decode() call that completed it.
  std::span<const header> trailers() const noexcept { return {trailers_.data(), trailer_count_}; }

  // Body bytes decoded so far.
  std::uint64_t received() const noexcept { return received_; }

 private:
  enum class state : std::uint8_t { length, size_line, data, data_end, trailers, until_close, done };

  // The bytes of the current chunk or length run that are in `bytes` from `position`.
  body_piece take_data(std::span<const std::byte> bytes, std::size_t position) noexcept;
  // A chunk-size line at `position`: true (and `position` past it) once complete.
  result<bool> read_size_line(std::string_view bytes, std::size_t& position) noexcept;
  result<bool> read_trailers(std::string_view bytes, std::size_t& position) noexcept;

  http::limits limits_;
  detail::head_scanner trailer_scanner_;
  std::vector<header> trailers_;
  std::size_t trailer_count_ = 0;
  std::uint64_t remaining_ = 0;    // of the chunk or the Content-Length
  std::uint64_t received_ = 0;
  std::size_t line_scanned_ = 0;   // of a size line still incomplete
  state state_ = state::done;
};

}  // namespace percore::net::http
