/// libFuzzer target: gancraft::io::parse_idx_images / parse_idx_labels, after
/// gunzip when the input is gzip (as read_maybe_gzipped does).
#include <gancraft/detail/gzip.hpp>
#include <gancraft/io/idx_format.hpp>

#include "fuzz_common.hpp"

// Small enough that the fuzzer keeps its speed; the limit's code path is the same.
constexpr std::size_t kFuzzMaxGunzipBytes = std::size_t{1} << 26;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  gancraft::fuzz::expect_only_gancraft_errors([&] {
    std::span<const std::uint8_t> input(data, size);
    std::vector<std::uint8_t> inflated;
    if (gancraft::detail::is_gzip(input)) {
      inflated = gancraft::detail::gunzip(input, "fuzz.gz", kFuzzMaxGunzipBytes);
      input = inflated;
    }
    try {
      const auto images = gancraft::io::parse_idx_images(input, "fuzz-images");
      gancraft::fuzz::touch(images.pixels, images.count * images.rows * images.cols);
    } catch (const gancraft::Error&) {
    }
    const auto labels = gancraft::io::parse_idx_labels(input, "fuzz-labels", 10);
    for (std::uint64_t i = 0; i < labels.count; ++i) {
      if (labels.labels[i] >= 10) __builtin_trap();  // the parser promised labels < 10
    }
  });
  return 0;
}
