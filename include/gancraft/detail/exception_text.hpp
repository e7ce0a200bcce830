#pragma once
/// @file gancraft/detail/exception_text.hpp

#include <c10/util/Exception.h>

#include <exception>
#include <string>

namespace gancraft::detail {

/// The first line of an exception's message, without LibTorch's backtrace: what error messages
/// quote from a LibTorch or c10d failure.
inline std::string short_what(const std::exception& e) {
  std::string s;
  if (const auto* c10 = dynamic_cast<const c10::Error*>(&e))
    s = c10->what_without_backtrace();
  else
    s = e.what();
  return s.substr(0, s.find('\n'));
}

}  // namespace gancraft::detail
