// What the buffered streams read from and write to: a byte source (read) and a byte sink
// (write, writev), each call awaitable and giving result<std::size_t>, as a socket or a pipe does.
#pragma once

#include <sys/uio.h>

#include <concepts>
#include <cstddef>
#include <span>
#include <type_traits>
#include <utility>

#include <percore/io/result.hh>

namespace percore::net {

namespace detail {

template <class Awaitable>
struct awaiter_of {
  using type = Awaitable;
};
template <class Awaitable>
  requires requires { std::declval<Awaitable>().operator co_await(); }
struct awaiter_of<Awaitable> {
  using type = decltype(std::declval<Awaitable>().operator co_await());
};

}  // namespace detail

// The type `co_await` on an Awaitable prvalue gives (an awaiter itself, or through a member
// operator co_await, as task<T> has).
template <class Awaitable>
using await_result_t = std::remove_cvref_t<
    decltype(std::declval<typename detail::awaiter_of<Awaitable>::type&>().await_resume())>;

// read(buffer): the count read, 0 at the end of the stream.
template <class Source>
concept byte_source = requires(Source& source, std::span<std::byte> buffer) {
  requires std::same_as<await_result_t<decltype(source.read(buffer))>, result<std::size_t>>;
};

// write(bytes) and writev(iovecs): the count written, which may be less than offered.
template <class Sink>
concept byte_sink = requires(Sink& sink, std::span<const std::byte> bytes,
                             std::span<const iovec> parts) {
  requires std::same_as<await_result_t<decltype(sink.write(bytes))>, result<std::size_t>>;
  requires std::same_as<await_result_t<decltype(sink.writev(parts))>, result<std::size_t>>;
};

}  // namespace percore::net
