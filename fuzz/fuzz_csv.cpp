/// libFuzzer target: gancraft::io::parse_csv_matrix (feature files of `gancraft eval`).
#include <cmath>
#include <string_view>

#include <gancraft/io/csv_matrix.hpp>

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  gancraft::fuzz::expect_only_gancraft_errors([&] {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const gancraft::io::CsvMatrix m = gancraft::io::parse_csv_matrix(text, "fuzz.csv");
    // What was accepted is a full, finite, non-empty matrix.
    if (m.rows < 1 || m.cols < 1 || m.values.size() != static_cast<std::size_t>(m.rows * m.cols)) __builtin_trap();
    for (double v : m.values)
      if (!std::isfinite(v)) __builtin_trap();
  });
  return 0;
}
