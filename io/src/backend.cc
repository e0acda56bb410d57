// Backend selection: parse names, create a backend by kind, and fall back from io_uring to
// epoll (saying so once) when the kernel, a seccomp profile or a sysctl refuses io_uring.
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <system_error>

#include "epoll_backend.hh"
#if PERCORE_HAVE_IO_URING
#include "uring_backend.hh"
#endif

namespace percore::io {

std::string_view to_string(backend_kind kind) noexcept {
  switch (kind) {
    case backend_kind::io_uring: return "io_uring";
    case backend_kind::epoll: return "epoll";
  }
  return "unknown";
}

backend_kind parse_backend_kind(std::string_view name) {
  if (name == "io_uring") return backend_kind::io_uring;
  if (name == "epoll") return backend_kind::epoll;
  throw std::invalid_argument("percore: unknown backend '" + std::string(name) +
                              "' (accepted: io_uring, epoll)");
}

std::unique_ptr<backend> make_backend(backend_kind kind, const backend_options& options) {
  switch (kind) {
    case backend_kind::io_uring:
#if PERCORE_HAVE_IO_URING
      return std::make_unique<uring_backend>(options);
#else
      throw std::system_error(std::make_error_code(std::errc::function_not_supported),
                              "percore: this build has no io_uring backend (-Dio_uring=disabled)");
#endif
    case backend_kind::epoll: return std::make_unique<epoll_backend>(options);
  }
  throw std::invalid_argument("percore: unknown backend kind");
}

std::unique_ptr<backend> make_default_backend(const backend_options& options) {
#if PERCORE_HAVE_IO_URING
  try {
    return make_backend(backend_kind::io_uring, options);
  } catch (const std::system_error& refused) {
    static std::once_flag said_once;
    std::call_once(said_once, [&] {
      std::fprintf(stderr, "percore: io_uring unavailable (%s); falling back to epoll\n",
                   refused.what());
    });
  }
#endif
  return make_backend(backend_kind::epoll, options);
}

std::vector<backend_kind> available_backends() {
  std::vector<backend_kind> kinds;
#if PERCORE_HAVE_IO_URING
  try {
    make_backend(backend_kind::io_uring, backend_options{.ring_entries = 4});
    kinds.push_back(backend_kind::io_uring);
  } catch (const std::system_error&) {
  }
#endif
  kinds.push_back(backend_kind::epoll);
  return kinds;
}

}  // namespace percore::io
