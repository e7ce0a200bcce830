#pragma once
#include <string>
// Catch2 v2 (Debian 12's catch2) and v3 (Debian 13's) behind one include: the tests use
// TEST_CASE, SECTION, CHECK/REQUIRE, Approx and the substring matcher `ContainsText`.
#if __has_include(<catch2/catch_all.hpp>)
#include <catch2/catch_all.hpp>
using Catch::Approx;
/// Matches a string that contains `text`.
inline auto ContainsText(const std::string& text) { return Catch::Matchers::ContainsSubstring(text); }
/// The base of the tests' own matchers.
template <class T>
using MatcherBaseOf = Catch::Matchers::MatcherBase<T>;
#else
#include <catch2/catch.hpp>
/// Matches a string that contains `text`.
inline auto ContainsText(const std::string& text) { return Catch::Matchers::Contains(text); }
/// The base of the tests' own matchers.
template <class T>
using MatcherBaseOf = Catch::MatcherBase<T>;
#endif
