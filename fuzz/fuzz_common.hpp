#pragma once
/// @file fuzz/fuzz_common.hpp
/// Shared by the libFuzzer targets: gancraft::Error is the documented way to
/// reject bad input and is swallowed; anything else (another exception, a
/// sanitizer report, a timeout, an out-of-memory) is a finding.

#include <cstddef>
#include <cstdint>
#include <span>

#include <gancraft/error.hpp>

namespace gancraft::fuzz {

/// Reads every byte of `view` so that ASan checks the whole claimed range.
inline std::uint32_t touch(const std::uint8_t* data, std::size_t size) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < size; ++i) sum += data[i];
  return sum;
}

/// Runs `parse` and swallows gancraft::Error only.
template <class Parse>
void expect_only_gancraft_errors(Parse&& parse) {
  try {
    parse();
  } catch (const gancraft::Error&) {
  }
}

}  // namespace gancraft::fuzz
