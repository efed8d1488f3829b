// Status and Result<T>: expected failures (bad file, bad request) as values with a message that says
// what was wrong and where. Assertions are for programmer errors only.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace greenllm {

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status ok() { return Status(); }
  static Status error(std::string message) { return Status(std::move(message), true); }

  bool is_ok() const { return !failed_; }
  explicit operator bool() const { return !failed_; }
  const std::string& message() const { return message_; }
  // Lets GREENLLM_TRY treat Status and Result<T> alike.
  const Status& status() const { return *this; }

 private:
  Status(std::string message, bool failed) : message_(std::move(message)), failed_(failed) {}
  std::string message_;
  bool failed_ = false;
};

// Holds either a value or a failed Status.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) { assert(!status_.is_ok()); }  // NOLINT

  bool is_ok() const { return value_.has_value(); }
  explicit operator bool() const { return is_ok(); }
  const Status& status() const { return status_; }
  const std::string& message() const { return status_.message(); }

  T& value() & { assert(value_); return *value_; }
  const T& value() const& { assert(value_); return *value_; }
  T&& value() && { assert(value_); return std::move(*value_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace greenllm

// Returns early from a function returning Status or Result<T> when `expr` failed.
#define GREENLLM_TRY(expr)                                            \
  do {                                                                \
    const auto& greenllm_try_ = (expr);                               \
    if (!greenllm_try_.is_ok()) return greenllm_try_.status();        \
  } while (0)
