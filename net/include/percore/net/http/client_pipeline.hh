// The requests a client connection has sent and not yet read the response of, oldest first,
// with what reading each response needs to know: whether it answers HEAD, whether it closes.
#pragma once

#include <cstddef>
#include <vector>

namespace percore::net::http::detail {

class client_pipeline {
 public:
  struct request {
    bool head_only = false;  // HEAD: the response has no body, whatever its framing says
    bool closes = false;     // sent with "Connection: close": the server closes after answering
  };

  client_pipeline() { ring_.resize(initial_capacity); }

  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }
  const request& front() const noexcept { return ring_[first_]; }

  // Grows only when more requests are in flight than ever before on this connection.
  void push(request sent) {
    if (size_ == ring_.size()) grow();
    ring_[(first_ + size_) % ring_.size()] = sent;
    ++size_;
  }
  void pop() noexcept {
    first_ = (first_ + 1) % ring_.size();
    --size_;
  }

 private:
  static constexpr std::size_t initial_capacity = 16;

  void grow() {
    std::vector<request> larger(ring_.size() * 2);
    for (std::size_t index = 0; index < size_; ++index) {
      larger[index] = ring_[(first_ + index) % ring_.size()];
    }
    ring_.swap(larger);
    first_ = 0;
  }

  std::vector<request> ring_;
  std::size_t first_ = 0;
  std::size_t size_ = 0;
};

}  // namespace percore::net::http::detail
