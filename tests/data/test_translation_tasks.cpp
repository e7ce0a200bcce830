// Translation tasks derived from labelled images: Sobel edge maps, block-mean downsampling,
// and the unpaired split into disjoint halves, against hand-computed values.
#include <gancraft/data/image_transforms.hpp>
#include <gancraft/data/paired_image_folder.hpp>
#include <gancraft/data/unpaired_image_folder.hpp>
#include <gancraft/data/translation_tasks.hpp>
#include <gancraft/io/png.hpp>

#include "../support/catch.hpp"

#include "../support/test_support.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>
#include <vector>
#include <set>

namespace gc = gancraft;

TEST_CASE("sobel_edges of a vertical step is +1 on the two columns beside the step and -1 elsewhere", "[data][tasks]") {
  // Columns 0-2 are -1, columns 3-5 are +1. With borders replicated, gx = (1 + 2 + 1) · 2 = 8
  // on columns 2 and 3 and 0 elsewhere; gy = 0. Scaled by the peak, then to [-1, 1].
  torch::Tensor step = torch::full({1, 1, 6, 6}, -1.0);
  step.narrow(3, 3, 3).fill_(1.0);
  torch::Tensor expected = torch::full({1, 1, 6, 6}, -1.0);
  expected.narrow(3, 2, 2).fill_(1.0);
  CHECK(torch::equal(gc::data::sobel_edges(step), expected));
  // Channels are averaged before scaling: a second, flat channel halves the magnitude, and
  // scaling by the peak gives the same map.
  CHECK(torch::equal(gc::data::sobel_edges(torch::cat({step, torch::zeros_like(step)}, 1)), expected));
  // A horizontal step gives the transposed map; a flat image has no edges.
  CHECK(torch::equal(gc::data::sobel_edges(step.transpose(2, 3).contiguous()), expected.transpose(2, 3)));
  CHECK(torch::equal(gc::data::sobel_edges(torch::full({2, 1, 5, 5}, 0.3)), torch::full({2, 1, 5, 5}, -1.0)));
  // A diagonal ramp 0.1 (x + y): gx = gy = (1 + 2 + 1) · 0.2 inside, so the magnitude is the same
  // everywhere away from the border, and that is the peak.
  const torch::Tensor ramp = (torch::arange(6).reshape({1, 6}) + torch::arange(6).reshape({6, 1})).to(torch::kFloat) * 0.1;
  const torch::Tensor e = gc::data::sobel_edges(ramp.reshape({1, 1, 6, 6}));
  CHECK(torch::allclose(e.narrow(2, 1, 4).narrow(3, 1, 4), torch::ones({1, 1, 4, 4})));
  CHECK(e.min().item<double>() >= -1.0);
  CHECK_THAT(gc::test::error_message([&] { gc::data::sobel_edges(torch::zeros({6, 6})); }),
             ContainsText("expected floating-point images [N, C, H, W]"));
}

TEST_CASE("downsample averages blocks, and the derived tasks pair sources with their images", "[data][tasks]") {
  const torch::Tensor x = torch::arange(16, torch::kFloat).reshape({1, 1, 4, 4});
  CHECK(torch::equal(gc::data::downsample(x, 2), torch::tensor({2.5f, 4.5f, 10.5f, 12.5f}).reshape({1, 1, 2, 2})));
  CHECK(torch::equal(gc::data::downsample(x, 1), x));
  CHECK_THAT(gc::test::error_message([&] { gc::data::downsample(x, 3); }),
             ContainsText("factor 3 must be >= 1 and divide the image size 4x4"));

  const torch::Tensor images = torch::rand({7, 1, 8, 8}, gc::make_generator(1)) * 2 - 1;
  const torch::Tensor labels = torch::arange(7);
  const auto sr = gc::data::low_to_high_resolution(images, labels);
  CHECK(sr.source.sizes() == c10::IntArrayRef{7, 1, 4, 4});
  CHECK(torch::equal(sr.target, images));
  CHECK(torch::equal(sr.source[3], gc::data::downsample(images, 2)[3]));
  const auto edges = gc::data::edges_to_images(images, labels);
  CHECK(torch::equal(edges.source, gc::data::sobel_edges(images)));
  CHECK(torch::equal(edges.labels, labels));
}

TEST_CASE("images_and_edges draws its two domains from disjoint halves", "[data][tasks]") {
  const torch::Tensor images = torch::rand({7, 1, 8, 8}, gc::make_generator(2)) * 2 - 1;
  const torch::Tensor labels = torch::arange(7) * 10;
  const auto u = gc::data::images_and_edges(images, labels, /*seed=*/5);
  REQUIRE(u.a.size(0) == 4);
  REQUIRE(u.b.size(0) == 3);
  const torch::Tensor all_edges = gc::data::sobel_edges(images);
  std::set<int64_t> in_a, in_b;
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t j = 0; j < 7; ++j)
      if (torch::equal(u.a[i], images[j])) {
        in_a.insert(j);
        CHECK(u.a_labels[i].item<int64_t>() == 10 * j);
      }
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 7; ++j)
      if (torch::equal(u.b[i], all_edges[j])) {
        in_b.insert(j);
        CHECK(u.b_labels[i].item<int64_t>() == 10 * j);
      }
  CHECK(in_a.size() == 4);
  CHECK(in_b.size() == 3);
  for (int64_t j : in_b) CHECK(in_a.count(j) == 0);  // no edge map of an image in A
  // The same seed gives the same split, another seed another.
  CHECK(torch::equal(gc::data::images_and_edges(images, labels, 5).a, u.a));
  CHECK_FALSE(torch::equal(gc::data::images_and_edges(images, labels, 6).a, u.a));
}

TEST_CASE("PairedImageFolder pairs A/name with B/name, each side at its own size, and names a file without a partner", "[data][tasks]") {
  namespace fs = std::filesystem;
  const fs::path root = gc::test::fresh_dir("paired_folder");
  // Constant grey images: value v reads back as v / 127.5 - 1. A at 8 px, B at 16 px.
  auto write = [&](const fs::path& file, int v, int64_t side) {
    fs::create_directories(file.parent_path());
    gc::io::write_png(file, torch::full({side, side}, v, torch::kUInt8));
  };
  write(root / "A" / "tops" / "shirt.png", 51, 8);
  write(root / "A" / "tops" / "coat.png", 102, 8);
  write(root / "A" / "bags" / "bag.png", 153, 8);
  write(root / "B" / "tops" / "coat.png", 204, 16);
  write(root / "B" / "tops" / "shirt.png", 0, 16);
  write(root / "B" / "bags" / "bag.png", 255, 16);
  gc::data::PairedImageFolder pairs(root / "A", root / "B", gc::data::ImageFolderOptions().channels(1).image_size(8),
                                    gc::data::ImageFolderOptions().channels(1).image_size(16));
  REQUIRE(pairs.size() == 3u);
  // A's sorted order: bags/bag, tops/coat, tops/shirt.
  const int a_values[] = {153, 102, 51}, b_values[] = {255, 204, 0};
  for (size_t i = 0; i < 3; ++i) {
    const auto ex = pairs.get(i);
    CHECK(ex.data.sizes() == c10::IntArrayRef{1, 8, 8});
    CHECK(ex.target.sizes() == c10::IntArrayRef{1, 16, 16});
    CHECK(ex.data.mean().item<double>() == Approx(a_values[i] / 127.5 - 1).margin(1e-6));
    CHECK(ex.target.mean().item<double>() == Approx(b_values[i] / 127.5 - 1).margin(1e-6));
  }
  // A file with no partner, on either side, is named with the count.
  write(root / "A" / "tops" / "hat.png", 1, 8);
  CHECK_THAT(gc::test::error_message([&] { gc::data::PairedImageFolder(root / "A", root / "B"); }),
             ContainsText("hat.png: has no partner in"));
  fs::remove(root / "A" / "tops" / "hat.png");
  write(root / "B" / "tops" / "sock.png", 1, 16);
  CHECK_THAT(gc::test::error_message([&] { gc::data::PairedImageFolder(root / "A", root / "B"); }),
             ContainsText("sock.png: has no partner in"));
  CHECK_THAT(gc::test::error_message([&] { gc::data::PairedImageFolder(root / "A", root / "B"); }),
             ContainsText("(1 of 4 images in"));
}

TEST_CASE("UnpairedImageFolder cycles the smaller domain and visits B in a seeded shuffle", "[data][tasks]") {
  namespace fs = std::filesystem;
  const fs::path root = gc::test::fresh_dir("unpaired_folder");
  auto write = [&](const fs::path& file, int v, int64_t side) {
    fs::create_directories(file.parent_path());
    gc::io::write_png(file, torch::full({side, side}, v, torch::kUInt8));
  };
  // Three images in A, five in B (at another size); grey levels tell them apart.
  for (int i = 0; i < 3; ++i) write(root / "A" / gc::detail::str("a", i, ".png"), 10 * i, 8);
  for (int i = 0; i < 5; ++i) write(root / "B" / gc::detail::str("b", i, ".png"), 100 + 10 * i, 12);
  const auto options = gc::data::ImageFolderOptions().channels(1).image_size(8);
  gc::data::UnpairedImageFolder domains(root / "A", root / "B", options, std::nullopt, 3);
  REQUIRE(domains.size() == 5u);
  auto grey = [](const torch::Tensor& x) { return static_cast<int>(std::lround((x.mean().item<double>() + 1) * 127.5)); };
  std::vector<int> b_seen;
  for (size_t i = 0; i < 5; ++i) {
    const auto ex = domains.get(i);
    CHECK(ex.data.sizes() == c10::IntArrayRef{1, 8, 8});
    CHECK(ex.target.sizes() == c10::IntArrayRef{1, 8, 8});  // B resized with A's options
    CHECK(grey(ex.data) == 10 * static_cast<int>(i % 3));  // A cycled in sorted order
    b_seen.push_back(grey(ex.target));
  }
  // Every image of B once per pass, in an order that the seed fixes.
  std::vector<int> sorted = b_seen;
  std::sort(sorted.begin(), sorted.end());
  CHECK(sorted == std::vector<int>{100, 110, 120, 130, 140});
  CHECK(b_seen != sorted);
  gc::data::UnpairedImageFolder again(root / "A", root / "B", options, std::nullopt, 3);
  for (size_t i = 0; i < 5; ++i) CHECK(grey(again.get(i).target) == b_seen[i]);
  CHECK_THROWS_AS(domains.get(5), gc::OptionError);
  CHECK_THAT(gc::test::error_message([&] { gc::data::UnpairedImageFolder(root / "A", root / "missing"); }),
             ContainsText("missing") && ContainsText("not a directory"));
}
