/// libFuzzer target: gancraft::io::parse_cifar_batch, after gunzip when the
/// input is gzip (as read_maybe_gzipped does).
#include <gancraft/detail/gzip.hpp>
#include <gancraft/io/cifar_format.hpp>

#include "fuzz_common.hpp"

constexpr std::size_t kFuzzMaxGunzipBytes = std::size_t{1} << 26;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  gancraft::fuzz::expect_only_gancraft_errors([&] {
    std::span<const std::uint8_t> input(data, size);
    std::vector<std::uint8_t> inflated;
    if (gancraft::detail::is_gzip(input)) {
      inflated = gancraft::detail::gunzip(input, "fuzz.gz", kFuzzMaxGunzipBytes);
      input = inflated;
    }
    const auto batch = gancraft::io::parse_cifar_batch(input, "fuzz.bin");
    gancraft::fuzz::touch(batch.records, batch.count * gancraft::detail::kCifarRecordBytes);
    for (std::size_t r = 0; r < batch.count; ++r) {
      if (batch.records[r * gancraft::detail::kCifarRecordBytes] >= 10) __builtin_trap();
    }
  });
  return 0;
}
