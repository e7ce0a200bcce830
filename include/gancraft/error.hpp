#pragma once
/// @file gancraft/error.hpp
/// The one exception family gancraft throws. Every message names the thing
/// (file, key, tensor, module) and the problem.

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace gancraft {

/// Base of every exception gancraft throws on bad input or a failed run.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A file could not be read or written, or its contents are malformed.
class IoError : public Error {
 public:
  using Error::Error;
};

/// Tensors or modules whose shapes do not fit together.
class ShapeError : public Error {
 public:
  using Error::Error;
};

/// Invalid options or configuration values.
class OptionError : public Error {
 public:
  using Error::Error;
};

/// Training produced a non-finite loss or parameter.
class DivergenceError : public Error {
 public:
  using Error::Error;
};

namespace detail {
/// Concatenates the streamable arguments into one message.
template <class... Args>
std::string str(Args&&... args) {
  std::ostringstream out;
  (out << ... << std::forward<Args>(args));
  return out.str();
}
}  // namespace detail

}  // namespace gancraft

/// Throws `gancraft::Kind` with the concatenated message when `cond` is false.
#define GANCRAFT_CHECK(cond, Kind, ...)                                 \
  do {                                                                  \
    if (!(cond)) throw ::gancraft::Kind(::gancraft::detail::str(__VA_ARGS__)); \
  } while (false)
