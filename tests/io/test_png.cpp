// Tests for gancraft/io/png.hpp and gancraft/io/image_grid.hpp.

#include "../support/catch.hpp"

#include "../support/test_support.hpp"

#include <png.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gancraft/io/image_grid.hpp>
#include <gancraft/io/png.hpp>

namespace fs = std::filesystem;
inline auto Contains(const std::string& text) { return ContainsText(text); }

namespace {

fs::path fresh_dir(const std::string& name) { return gancraft::test::fresh_dir("io_png_" + name); }

std::vector<char> slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void spit(const fs::path& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

template <class Fn>
std::string io_error_message(Fn&& fn) { return gancraft::test::error_message<gancraft::IoError>(fn); }

}  // namespace

TEST_CASE("write_png/read_png round-trip gray and RGB bytes exactly", "[io][png]") {
  const fs::path dir = fresh_dir("roundtrip");
  torch::manual_seed(3);

  const torch::Tensor gray = torch::randint(256, {5, 7}, torch::kUInt8);
  gancraft::io::write_png(dir / "gray.png", gray);
  const torch::Tensor gray_back = gancraft::io::read_png(dir / "gray.png");
  REQUIRE(gray_back.sizes() == torch::IntArrayRef({5, 7, 1}));
  REQUIRE(gray_back.scalar_type() == torch::kUInt8);
  CHECK(torch::equal(gray_back.squeeze(2), gray));

  const torch::Tensor gray1 = torch::randint(256, {3, 4, 1}, torch::kUInt8);
  gancraft::io::write_png(dir / "gray1.png", gray1);
  CHECK(torch::equal(gancraft::io::read_png(dir / "gray1.png"), gray1));

  const torch::Tensor rgb = torch::randint(256, {6, 9, 3}, torch::kUInt8);
  gancraft::io::write_png(dir / "rgb.png", rgb);
  const torch::Tensor rgb_back = gancraft::io::read_png(dir / "rgb.png");
  REQUIRE(rgb_back.sizes() == torch::IntArrayRef({6, 9, 3}));
  CHECK(torch::equal(rgb_back, rgb));

  // Non-contiguous input is written as its logical layout.
  const torch::Tensor chw = torch::randint(256, {3, 4, 5}, torch::kUInt8);
  gancraft::io::write_png(dir / "permuted.png", chw.permute({1, 2, 0}));
  CHECK(torch::equal(gancraft::io::read_png(dir / "permuted.png"), chw.permute({1, 2, 0})));

  // RGBA is written; reading drops the alpha channel.
  const torch::Tensor rgba = torch::randint(256, {4, 4, 4}, torch::kUInt8);
  gancraft::io::write_png(dir / "rgba.png", rgba);
  CHECK(torch::equal(gancraft::io::read_png(dir / "rgba.png"), rgba.narrow(2, 0, 3).contiguous()));
}

TEST_CASE("read_png expands palette, 16-bit and gray+alpha images to 8-bit gray or RGB",
          "[io][png]") {
  const fs::path dir = fresh_dir("formats");

  // Palette image (written with libpng's simplified API), 4 colours.
  const std::vector<png_byte> colormap = {10, 20, 30, 200, 0, 0, 0, 255, 0, 7, 7, 250};
  const std::vector<png_byte> indices = {0, 1, 2, 3, 3, 2, 1, 0};  // 4 x 2
  png_image palette{};
  palette.version = PNG_IMAGE_VERSION;
  palette.width = 4;
  palette.height = 2;
  palette.format = PNG_FORMAT_RGB_COLORMAP;
  palette.colormap_entries = 4;
  REQUIRE(png_image_write_to_file(&palette, (dir / "palette.png").c_str(), 0, indices.data(), 0,
                                  colormap.data()) != 0);
  const torch::Tensor rgb = gancraft::io::read_png(dir / "palette.png");
  REQUIRE(rgb.sizes() == torch::IntArrayRef({2, 4, 3}));
  for (int i = 0; i < 8; ++i)
    for (int c = 0; c < 3; ++c)
      CHECK(rgb[i / 4][i % 4][c].item<int>() == colormap[indices[i] * 3 + c]);

  // 16-bit gray with alpha: alpha dropped, samples reduced to their high byte.
  const std::vector<png_uint_16> ga = {0xABCD, 0xFFFF, 0x1234, 0x0000, 0xFFFF, 0x8000};  // 3 x 1
  png_image wide{};
  wide.version = PNG_IMAGE_VERSION;
  wide.width = 3;
  wide.height = 1;
  wide.format = PNG_FORMAT_LINEAR_Y_ALPHA;
  REQUIRE(png_image_write_to_file(&wide, (dir / "wide.png").c_str(), 0, ga.data(), 0, nullptr) !=
          0);
  const torch::Tensor gray = gancraft::io::read_png(dir / "wide.png");
  REQUIRE(gray.sizes() == torch::IntArrayRef({1, 3, 1}));
  CHECK(gray.scalar_type() == torch::kUInt8);
}

TEST_CASE("write_png creates parent directories, replaces atomically, leaves no temp file",
          "[io][png]") {
  const fs::path dir = fresh_dir("atomic");
  const fs::path target = dir / "a" / "b" / "img.png";
  gancraft::io::write_png(target, torch::zeros({2, 2}, torch::kUInt8));
  gancraft::io::write_png(target, torch::full({2, 3}, 200, torch::kUInt8));
  CHECK(torch::equal(gancraft::io::read_png(target).squeeze(2),
                     torch::full({2, 3}, 200, torch::kUInt8)));
  int entries = 0;
  for (const auto& entry : fs::directory_iterator(target.parent_path())) {
    (void)entry;
    ++entries;
  }
  CHECK(entries == 1);
}

TEST_CASE("write_png rejects tensors it cannot encode", "[io][png]") {
  const fs::path dir = fresh_dir("reject");
  CHECK_THROWS_AS(gancraft::io::write_png(dir / "f.png", torch::zeros({4, 4, 3})),
                  gancraft::ShapeError);
  CHECK_THROWS_AS(gancraft::io::write_png(dir / "f.png", torch::zeros({4, 4, 2}, torch::kUInt8)),
                  gancraft::ShapeError);
  CHECK_THROWS_AS(gancraft::io::write_png(dir / "f.png", torch::zeros({4}, torch::kUInt8)),
                  gancraft::ShapeError);
  CHECK_FALSE(fs::exists(dir / "f.png"));
}

TEST_CASE("read_png reports truncated, non-PNG and missing files by name", "[io][png]") {
  const fs::path dir = fresh_dir("errors");
  torch::manual_seed(5);
  gancraft::io::write_png(dir / "good.png", torch::randint(256, {32, 32, 3}, torch::kUInt8));
  std::vector<char> bytes = slurp(dir / "good.png");
  REQUIRE(bytes.size() > 100);

  bytes.resize(bytes.size() / 2);
  spit(dir / "truncated.png", bytes);
  const std::string truncated =
      io_error_message([&] { gancraft::io::read_png(dir / "truncated.png"); });
  CHECK_THAT(truncated, Contains((dir / "truncated.png").string()));

  bytes.resize(20);  // signature and part of IHDR only
  spit(dir / "header_only.png", bytes);
  CHECK_THAT(io_error_message([&] { gancraft::io::read_png(dir / "header_only.png"); }),
             Contains((dir / "header_only.png").string()));

  spit(dir / "text.png", {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', '\n'});
  const std::string not_png = io_error_message([&] { gancraft::io::read_png(dir / "text.png"); });
  CHECK_THAT(not_png, Contains((dir / "text.png").string()) && Contains("not a PNG"));

  CHECK_THAT(io_error_message([&] { gancraft::io::read_png(dir / "missing.png"); }),
             Contains((dir / "missing.png").string()));
}

TEST_CASE("make_grid lays out images torchvision-style with exact pixel values", "[io][grid]") {
  // Three 1x2x2 images, filled with -1, 0.5 and 1 (-> 0, 191, 255); nrow 2, padding 1.
  const torch::Tensor images = torch::stack(
      {torch::full({1, 2, 2}, -1.0), torch::full({1, 2, 2}, 0.5), torch::full({1, 2, 2}, 1.0)});
  const torch::Tensor grid = gancraft::io::make_grid(images, /*nrow=*/2, /*padding=*/1);
  REQUIRE(grid.scalar_type() == torch::kUInt8);
  REQUIRE(grid.sizes() == torch::IntArrayRef({7, 7, 1}));
  // clang-format off
  const std::vector<uint8_t> expected = {
      0,   0,   0,   0,   0,   0,   0,
      0,   0,   0,   0, 191, 191,   0,
      0,   0,   0,   0, 191, 191,   0,
      0,   0,   0,   0,   0,   0,   0,
      0, 255, 255,   0,   0,   0,   0,
      0, 255, 255,   0,   0,   0,   0,
      0,   0,   0,   0,   0,   0,   0};
  // clang-format on
  const torch::Tensor want = torch::tensor(expected, torch::kUInt8).reshape({7, 7, 1});
  CHECK(torch::equal(grid, want));

  // White padding and out-of-range values clamp; 0 maps to 128 (127.5 rounds to even).
  const torch::Tensor one = torch::tensor({0.0f, 3.0f, -7.0f, 0.0f}).reshape({1, 1, 2, 2});
  const torch::Tensor white =
      gancraft::io::make_grid(one, gancraft::io::GridOptions().padding(1).pad_value(1.0));
  REQUIRE(white.sizes() == torch::IntArrayRef({4, 4, 1}));
  CHECK(white[0][0][0].item<int>() == 255);
  CHECK(white[1][1][0].item<int>() == 128);
  CHECK(white[1][2][0].item<int>() == 255);
  CHECK(white[2][1][0].item<int>() == 0);
}

TEST_CASE("make_grid keeps RGB channel order and save_grid writes it", "[io][grid]") {
  const fs::path dir = fresh_dir("grid");
  const torch::Tensor pixel = torch::tensor({1.0f, -1.0f, 0.5f}).reshape({1, 3, 1, 1});
  const torch::Tensor grid = gancraft::io::make_grid(pixel, 8, 1);
  REQUIRE(grid.sizes() == torch::IntArrayRef({3, 3, 3}));
  CHECK(grid[1][1][0].item<int>() == 255);
  CHECK(grid[1][1][1].item<int>() == 0);
  CHECK(grid[1][1][2].item<int>() == 191);
  CHECK(grid[0][0][0].item<int>() == 0);

  gancraft::io::save_grid(dir / "grid.png", torch::rand({5, 3, 4, 4}) * 2 - 1, 2, 2);
  const torch::Tensor back = gancraft::io::read_png(dir / "grid.png");
  CHECK(back.sizes() == torch::IntArrayRef({3 * 6 + 2, 2 * 6 + 2, 3}));

  CHECK_THROWS_AS(gancraft::io::make_grid(torch::zeros({2, 2, 4, 4})), gancraft::ShapeError);
  CHECK_THROWS_AS(gancraft::io::make_grid(torch::zeros({2, 1, 4, 4}), 0), gancraft::OptionError);
}
