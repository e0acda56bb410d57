// result<T>: the value of an operation that can fail in an expected way (ECONNRESET, ENOENT,
// timeouts, cancellation), carrying a std::error_code; .value() throws std::system_error.
#pragma once

#include <cerrno>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace percore {

// The error code for a negative errno as returned by the kernel (io_uring CQEs, raw syscalls).
inline std::error_code error_from_errno(int error_number) noexcept {
  return {error_number, std::system_category()};
}

template <class T>
class [[nodiscard]] result {
 public:
  using value_type = T;

  result(T value) : storage_(std::in_place_index<0>, std::move(value)) {}
  result(std::error_code error) : storage_(std::in_place_index<1>, error) {}
  result(std::errc error) : result(std::make_error_code(error)) {}

  bool has_value() const noexcept { return storage_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  // get_if after the check: std::get would check the index a second time, on every access.
  T& value() & { throw_if_error(); return *std::get_if<0>(&storage_); }
  const T& value() const& { throw_if_error(); return *std::get_if<0>(&storage_); }
  T&& value() && { throw_if_error(); return std::move(*std::get_if<0>(&storage_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // The error, or a default (no error) code when the result holds a value.
  std::error_code error() const noexcept {
    return has_value() ? std::error_code{} : std::get<1>(storage_);
  }

  template <class U>
  T value_or(U&& fallback) const& {
    return has_value() ? std::get<0>(storage_) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  void throw_if_error() const {
    if (!has_value()) [[unlikely]] throw std::system_error(*std::get_if<1>(&storage_));
  }
  std::variant<T, std::error_code> storage_;
};

// Not [[nodiscard]] as a type: a sleep or a wait may be ignored on purpose. Operations whose
// failure must be looked at mark their own await_resume [[nodiscard]].
template <>
class result<void> {
 public:
  using value_type = void;

  result() = default;
  result(std::error_code error) noexcept : value_(error.value()), category_(&error.category()) {}
  result(std::errc error) : result(std::make_error_code(error)) {}

  bool has_value() const noexcept { return value_ == 0; }
  explicit operator bool() const noexcept { return has_value(); }
  void value() const {
    if (!has_value()) [[unlikely]] throw std::system_error(error());
  }
  std::error_code error() const noexcept {
    return has_value() ? std::error_code() : std::error_code(value_, *category_);
  }

 private:
  // The code in parts, not a std::error_code: a success (the hot path) is then built without
  // the out-of-line call that error_code's default constructor makes for its category.
  int value_ = 0;
  const std::error_category* category_ = nullptr;
};

template <class T>
struct is_result : std::false_type {};
template <class T>
struct is_result<result<T>> : std::true_type {};
template <class T>
inline constexpr bool is_result_v = is_result<T>::value;

}  // namespace percore
