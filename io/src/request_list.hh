// request_list: an unordered set of requests linked through their backend_next and
// backend_previous fields: joining, leaving and visiting it never allocate, leaving is O(1).
#pragma once

#include <percore/io/request.hh>

namespace percore::io::detail {

class request_list {
 public:
  bool empty() const noexcept { return head_ == nullptr; }

  void insert(request& r) noexcept {
    r.backend_previous = nullptr;
    r.backend_next = head_;
    if (head_ != nullptr) head_->backend_previous = &r;
    head_ = &r;
  }

  void erase(request& r) noexcept {
    if (r.backend_previous != nullptr) {
      r.backend_previous->backend_next = r.backend_next;
    } else {
      head_ = r.backend_next;
    }
    if (r.backend_next != nullptr) r.backend_next->backend_previous = r.backend_previous;
    r.backend_next = r.backend_previous = nullptr;
  }

  // Calls `visit(r)` for every request; `visit` may erase the request it is given.
  template <class Visit>
  void for_each(Visit visit) {
    for (request* r = head_; r != nullptr;) {
      request* next = r->backend_next;
      visit(*r);
      r = next;
    }
  }

 private:
  request* head_ = nullptr;
};

}  // namespace percore::io::detail
