// release_owner: the deleter of objects that may outlive their owner until the kernel is done
// with their requests (multishot receivers and acceptors): it asks them to release themselves.
#pragma once

namespace percore::net::detail {

struct release_owner {
  template <class Owned>
  void operator()(Owned* owned) const noexcept {
    owned->release();
  }
};

}  // namespace percore::net::detail
