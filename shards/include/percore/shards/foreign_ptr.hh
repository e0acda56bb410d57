// foreign_ptr<T>: an owning pointer that may travel between shards but always destroys its
// object on the shard that made it, so that memory and state never cross shards by accident.
#pragma once

#include <memory>
#include <utility>

#include <percore/shards/mesh.hh>
#include <percore/shards/shard_id.hh>

namespace percore {

template <class T>
class foreign_ptr {
 public:
  foreign_ptr() noexcept = default;
  // Takes ownership on the calling shard, which becomes the owner.
  explicit foreign_ptr(std::unique_ptr<T> owned)
      : pointer_(std::move(owned)), owner_(this_shard_id()) {}
  foreign_ptr(foreign_ptr&& other) noexcept
      : pointer_(std::move(other.pointer_)), owner_(other.owner_) {}
  foreign_ptr& operator=(foreign_ptr&& other) noexcept {
    if (this != &other) {
      reset();
      pointer_ = std::move(other.pointer_);
      owner_ = other.owner_;
    }
    return *this;
  }
  ~foreign_ptr() { reset(); }

  T* get() const noexcept { return pointer_.get(); }
  T& operator*() const noexcept { return *pointer_; }
  T* operator->() const noexcept { return pointer_.get(); }
  explicit operator bool() const noexcept { return static_cast<bool>(pointer_); }
  unsigned owner_shard() const noexcept { return owner_; }

  // Destroys the object now on its owner, or sends it home to be destroyed there. Never
  // blocks: if the ring home is full, a task of this shard waits for room.
  void reset() noexcept {
    if (!pointer_) return;
    if (detail::local_endpoint == nullptr || this_shard_id() == owner_) {
      pointer_.reset();
      return;
    }
    detail::local_endpoint->post(owner_, detail::mesh_message{&destroy_at_home, pointer_.release()});
  }

 private:
  static void destroy_at_home(void* object) { delete static_cast<T*>(object); }

  std::unique_ptr<T> pointer_;
  unsigned owner_ = 0;
};

template <class T, class... Arguments>
foreign_ptr<T> make_foreign(Arguments&&... arguments) {
  return foreign_ptr<T>(std::make_unique<T>(std::forward<Arguments>(arguments)...));
}

}  // namespace percore
