// io::backend: the one interface every kernel I/O mechanism (io_uring, epoll) sits behind;
// the engine drives it once per loop turn and never knows which one it has.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <percore/io/provided_buffers.hh>
#include <percore/io/request.hh>

namespace percore::io {

enum class backend_kind { io_uring, epoll };

std::string_view to_string(backend_kind kind) noexcept;
// Throws std::invalid_argument naming the value and the accepted names.
backend_kind parse_backend_kind(std::string_view name);

struct backend_options {
  // Submission ring size for io_uring (a power of two, 1..32768); the completion ring gets
  // twice as many entries. Also bounds how many events epoll collects per wait.
  unsigned ring_entries = 256;
  // Threads of the blocking pool that the epoll backend runs regular-file I/O on.
  unsigned blocking_threads = 4;
};

class backend {
 public:
  virtual ~backend() = default;
  backend(const backend&) = delete;
  backend& operator=(const backend&) = delete;

  virtual backend_kind kind() const noexcept = 0;
  // Human-readable description: kind and the features in use (setup flags, ...).
  virtual std::string describe() const = 0;

  // Starts `r`. Returns true when the operation already finished (r.result is set, `complete`
  // will not be called); otherwise `complete` runs later from poll(). The request must stay at
  // the same address, with everything it points to alive, until then. A multishot request
  // never finishes at once: its results all come through `complete`.
  virtual bool submit(request& r) = 0;

  // Asks for an in-flight request to end early. Its completion still comes through poll(),
  // with -ECANCELED or, if the kernel finished first, the real result.
  virtual void cancel(request& r) = 0;

  // Asks every in-flight request to end early (used when an engine shuts down).
  virtual void cancel_all() = 0;

  // Pushes prepared work to the kernel and delivers completions. Waits at most `timeout` for
  // the first completion (nullopt: until one comes or wake() is called; zero: does not wait).
  // Returns the number of completions delivered.
  virtual std::size_t poll(std::optional<std::chrono::nanoseconds> timeout) = 0;

  // Thread-safe: makes a poll() that is waiting, or the next one, return promptly.
  virtual void wake() = 0;

  // Called on this backend's thread: wakes `peer` (another thread's backend). io_uring sends a
  // message to the peer's ring (IORING_OP_MSG_RING) instead of writing its eventfd.
  virtual void wake_peer(backend& peer) { peer.wake(); }

  // `fd` is being closed outside the backend (a synchronous close in a destructor, which cannot
  // await): the kernel may hand the number out again, so what the backend knows under it, such
  // as an epoll registration that died with the old file, must be dropped. Requests still
  // waiting on it end with -EBADF.
  virtual void forget_fd(int fd) noexcept { static_cast<void>(fd); }

  // A group of `count` buffers of `size` bytes for recv_provided requests (count a power of two
  // up to 32768, else std::invalid_argument). The backend owns it and frees it when it is
  // destroyed, after every request: meant to be made once per shard, at start-up.
  virtual provided_buffers& create_buffer_group(std::uint16_t count, std::uint32_t size) = 0;

  // Requests submitted and not yet completed.
  virtual std::size_t in_flight() const noexcept = 0;

  // Whether file descriptors this engine creates should be O_NONBLOCK (readiness backends).
  virtual bool wants_nonblocking_fds() const noexcept = 0;

 protected:
  backend() = default;
};

// The backends this build has and this kernel lets us set up, in order of preference.
std::vector<backend_kind> available_backends();

// Creates a backend of the given kind; throws std::system_error if the kernel refuses it.
std::unique_ptr<backend> make_backend(backend_kind kind, const backend_options& options);

// Creates the preferred backend: io_uring, or epoll when io_uring cannot be set up, in which
// case it says why, once per process, on stderr.
std::unique_ptr<backend> make_default_backend(const backend_options& options);

}  // namespace percore::io
