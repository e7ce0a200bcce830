// Regression tests for robustness findings (see docs/robustness.md): each input that crashed,
// hung or exhausted memory in a fuzzer (fuzz/), or that a guard exists for, is fed to the
// torch-facing reader, which must answer with gancraft::IoError naming the file.

#include "../support/catch.hpp"

#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gancraft/data/cifar10.hpp>
#include <gancraft/data/image_folder.hpp>
#include <gancraft/data/mnist.hpp>
#include <gancraft/detail/gzip.hpp>
#include <gancraft/io/image_decode.hpp>
#include <gancraft/io/png.hpp>

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;
inline auto Contains(const std::string& text) { return ContainsText(text); }

namespace {

fs::path fuzz_dir(const std::string& name) {
  const fs::path dir = fs::path(GANCRAFT_TEST_TMP) / ("fuzz_regressions_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

fs::path write_file(const fs::path& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
  return path;
}

Bytes read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

template <class F>
std::string io_error_message(F&& f) {
  try {
    f();
  } catch (const gancraft::IoError& e) {
    return e.what();
  }
  FAIL("expected gancraft::IoError");
  return {};
}

void put_be32(Bytes& b, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(v >> s));
}

/// Appends a PNG chunk with its CRC.
void put_chunk(Bytes& png, const char* type, const Bytes& data) {
  put_be32(png, static_cast<std::uint32_t>(data.size()));
  const std::size_t start = png.size();
  png.insert(png.end(), type, type + 4);
  png.insert(png.end(), data.begin(), data.end());
  put_be32(png, static_cast<std::uint32_t>(
                    crc32(0, png.data() + start, static_cast<uInt>(png.size() - start))));
}

/// A PNG whose IHDR declares `width` x `height` RGB, with an empty IDAT: a few
/// dozen bytes that ask for width * height * 3 bytes of pixels.
Bytes png_declaring(std::uint32_t width, std::uint32_t height) {
  Bytes png{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  Bytes ihdr;
  put_be32(ihdr, width);
  put_be32(ihdr, height);
  ihdr.insert(ihdr.end(), {8, 2, 0, 0, 0});  // 8-bit RGB, no interlace
  put_chunk(png, "IHDR", ihdr);
  put_chunk(png, "IDAT", {});
  put_chunk(png, "IEND", {});
  return png;
}

}  // namespace

TEST_CASE("PNG decompression bomb: a tiny file declaring a huge image is refused",
          "[data][fuzz][png]") {
  const fs::path dir = fuzz_dir("png_bomb");
  // 60000 x 60000 RGB = 10.8 GB, within libpng's own 1e6-pixel side limit.
  const fs::path bomb = write_file(dir / "bomb.png", png_declaring(60000, 60000));
  const std::string message = io_error_message([&] { gancraft::io::read_png(bomb); });
  CHECK_THAT(message, Contains(bomb.string()) && Contains("decompression bomb") &&
                          Contains("60000x60000x3"));
  CHECK_THAT(io_error_message([&] { gancraft::detail::read_image_any(bomb); }),
             Contains("decompression bomb"));
  // Just under the limit the header passes and the missing pixel data is the error.
  const fs::path small = write_file(dir / "small.png", png_declaring(64, 64));
  CHECK_THAT(io_error_message([&] { gancraft::io::read_png(small); }),
             Contains(small.string()) && !Contains("decompression bomb"));
}

TEST_CASE("JPEG decompression bomb: a header declaring 65000x65000 is refused before decoding",
          "[data][fuzz][jpeg]") {
  const fs::path dir = fuzz_dir("jpeg_bomb");
  Bytes jpeg = read_file(fs::path(GANCRAFT_SOURCE_DIR) / "fuzz/corpus/jpeg/rgb.jpg");
  // Patch the SOF0 frame header's height and width (big-endian 16-bit each).
  bool patched = false;
  for (std::size_t i = 0; i + 8 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xff && jpeg[i + 1] == 0xc0) {
      jpeg[i + 5] = 0xfd, jpeg[i + 6] = 0xe8;  // height 65000
      jpeg[i + 7] = 0xfd, jpeg[i + 8] = 0xe8;  // width 65000
      patched = true;
      break;
    }
  }
  REQUIRE(patched);
  const fs::path bomb = write_file(dir / "bomb.jpg", jpeg);
  CHECK_THAT(io_error_message([&] { gancraft::detail::read_jpeg(bomb); }),
             Contains(bomb.string()) && Contains("decompression bomb"));
  CHECK_THAT(io_error_message([&] { gancraft::detail::read_image_any(bomb); }),
             Contains("decompression bomb"));
}

TEST_CASE("gzip decompression bomb: gunzip stops at its limit", "[data][fuzz][gzip]") {
  const Bytes zeros(1 << 20, 0);
  z_stream zs{};
  REQUIRE(deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  Bytes gz(deflateBound(&zs, zeros.size()) + 64);
  zs.next_in = const_cast<Bytef*>(zeros.data());
  zs.avail_in = static_cast<uInt>(zeros.size());
  zs.next_out = gz.data();
  zs.avail_out = static_cast<uInt>(gz.size());
  REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
  gz.resize(zs.total_out);
  deflateEnd(&zs);
  CHECK(gancraft::detail::gunzip(gz, "zeros.gz").size() == zeros.size());
  CHECK_THAT(io_error_message([&] { gancraft::detail::gunzip(gz, "zeros.gz", 4096); }),
             Contains("zeros.gz") && Contains("decompression bomb"));
}
