/// libFuzzer target: gancraft::io::decode_png (libpng from memory).
#include <gancraft/io/image_decode.hpp>

#include "fuzz_common.hpp"

// 2^24 bytes instead of the default 2^28 keeps each input fast; the limit's
// code path is the same.
constexpr std::uint64_t kFuzzMaxImageBytes = std::uint64_t{1} << 24;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  gancraft::fuzz::expect_only_gancraft_errors([&] {
    const gancraft::io::DecodedImage image =
        gancraft::io::decode_png(std::span<const std::uint8_t>(data, size), "fuzz.png",
                                   kFuzzMaxImageBytes);
    if (image.pixels.size() != image.shape.bytes() || image.shape.bytes() > kFuzzMaxImageBytes ||
        (image.shape.channels != 1 && image.shape.channels != 3))
      __builtin_trap();  // the decoder broke its promise
    gancraft::fuzz::touch(image.pixels.data(), image.pixels.size());
  });
  return 0;
}
