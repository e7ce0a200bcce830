#pragma once
// Catch2 v2's Contains() matches strings, not exceptions, so CHECK_THROWS_MATCHES cannot take
// it directly (it would not compile); this matcher applies it to the exception's what(),
// which keeps the exception-type check of CHECK_THROWS_MATCHES.

#include "../support/catch.hpp"

#include <exception>
#include <string>
#include <utility>

namespace gancraft::test {

/// Matches a std::exception whose what() contains `needle` (case-sensitive).
class WhatContains : public MatcherBaseOf<std::exception> {
 public:
  explicit WhatContains(std::string needle) : needle_(std::move(needle)) {}
  bool match(const std::exception& e) const override {
    return std::string(e.what()).find(needle_) != std::string::npos;
  }
  std::string describe() const override { return "what() contains \"" + needle_ + "\""; }

 private:
  std::string needle_;
};

}  // namespace gancraft::test
