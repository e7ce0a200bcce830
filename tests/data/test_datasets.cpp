// Tests for gancraft/data/*.hpp and gancraft/detail/gzip.hpp, on small files
// generated here, plus the real Fashion-MNIST when it is installed.

#include "../support/catch.hpp"

#include "../support/test_support.hpp"

#include <cstdio>  // before jpeglib.h, which needs FILE
#include <jpeglib.h>
#include <zlib.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gancraft/data/cifar10.hpp>
#include <gancraft/data/gaussian_mixture.hpp>
#include <gancraft/data/image_folder.hpp>
#include <gancraft/data/mnist.hpp>
#include <gancraft/detail/gzip.hpp>
#include <gancraft/io/png.hpp>

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;
inline auto Contains(const std::string& text) { return ContainsText(text); }
using gancraft::data::Split;

namespace {

fs::path fresh_dir(const std::string& name) { return gancraft::test::fresh_dir("data_" + name); }

void write_bytes(const fs::path& path, const Bytes& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

Bytes gzip_bytes(const Bytes& raw) {
  z_stream zs{};
  REQUIRE(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  Bytes out(deflateBound(&zs, raw.size()) + 64);
  zs.next_in = const_cast<Bytef*>(raw.data());
  zs.avail_in = static_cast<uInt>(raw.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

void put_be32(Bytes& b, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<std::uint8_t>(v >> shift));
}

// Pixel r,c of image i in the generated IDX files; hits 0 and 255.
std::uint8_t idx_pixel(int i, int r, int c) {
  return static_cast<std::uint8_t>((i * 97 + r * 13 + c * 31) * 7);
}

Bytes idx_images(std::uint32_t n, std::uint32_t rows, std::uint32_t cols) {
  Bytes b;
  put_be32(b, 2051);
  put_be32(b, n);
  put_be32(b, rows);
  put_be32(b, cols);
  for (std::uint32_t i = 0; i < n; ++i)
    for (std::uint32_t r = 0; r < rows; ++r)
      for (std::uint32_t c = 0; c < cols; ++c) b.push_back(idx_pixel(i, r, c));
  return b;
}

Bytes idx_labels(const std::vector<std::uint8_t>& labels) {
  Bytes b;
  put_be32(b, 2049);
  put_be32(b, static_cast<std::uint32_t>(labels.size()));
  b.insert(b.end(), labels.begin(), labels.end());
  return b;
}

float unit(std::uint8_t p) { return static_cast<float>(p / 127.5 - 1.0); }

template <class Fn>
std::string io_error_message(Fn&& fn) { return gancraft::test::error_message<gancraft::IoError>(fn); }

void write_jpeg(const fs::path& path, int width, int height, int channels) {
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr err{};
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = static_cast<JDIMENSION>(width);
  cinfo.image_height = static_cast<JDIMENSION>(height);
  cinfo.input_components = channels;
  cinfo.in_color_space = channels == 3 ? JCS_RGB : JCS_GRAYSCALE;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, 95, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  std::vector<unsigned char> row(static_cast<std::size_t>(width * channels));
  while (cinfo.next_scanline < cinfo.image_height) {
    for (int x = 0; x < width * channels; ++x)
      row[x] = static_cast<unsigned char>((x * 5 + cinfo.next_scanline * 9) % 256);
    JSAMPROW rows[1] = {row.data()};
    jpeg_write_scanlines(&cinfo, rows, 1);
  }
  jpeg_finish_compress(&cinfo);
  write_bytes(path, Bytes(buffer, buffer + size));
  std::free(buffer);
  jpeg_destroy_compress(&cinfo);
}

}  // namespace

TEST_CASE("read_maybe_gzipped passes raw bytes through and gunzips gzip", "[data][gzip]") {
  const fs::path dir = fresh_dir("gzip");
  Bytes raw(100000);
  for (std::size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<std::uint8_t>(i * i % 251);
  write_bytes(dir / "raw.bin", raw);
  write_bytes(dir / "z.gz", gzip_bytes(raw));
  CHECK(gancraft::detail::read_maybe_gzipped(dir / "raw.bin") == raw);
  CHECK(gancraft::detail::read_maybe_gzipped(dir / "z.gz") == raw);

  // Two concatenated members decompress to the concatenation.
  Bytes two = gzip_bytes(raw);
  const Bytes second = gzip_bytes({1, 2, 3});
  two.insert(two.end(), second.begin(), second.end());
  write_bytes(dir / "two.gz", two);
  Bytes want = raw;
  want.insert(want.end(), {1, 2, 3});
  CHECK(gancraft::detail::read_maybe_gzipped(dir / "two.gz") == want);

  Bytes cut = gzip_bytes(raw);
  cut.resize(cut.size() / 2);
  write_bytes(dir / "cut.gz", cut);
  CHECK_THAT(io_error_message([&] { gancraft::detail::read_maybe_gzipped(dir / "cut.gz"); }),
             Contains((dir / "cut.gz").string()) && Contains("truncated gzip"));

  Bytes corrupt = gzip_bytes(raw);
  for (std::size_t i = 20; i < 60; ++i) corrupt[i] ^= 0x5a;
  write_bytes(dir / "corrupt.gz", corrupt);
  CHECK_THAT(io_error_message([&] { gancraft::detail::read_maybe_gzipped(dir / "corrupt.gz"); }),
             Contains((dir / "corrupt.gz").string()));

  CHECK_THAT(io_error_message([&] { gancraft::detail::read_maybe_gzipped(dir / "nope"); }),
             Contains((dir / "nope").string()));
}

TEST_CASE("MNIST reads raw IDX files with exact [-1,1] scaling", "[data][mnist]") {
  const fs::path dir = fresh_dir("mnist_raw");
  write_bytes(dir / "train-images-idx3-ubyte", idx_images(3, 4, 5));
  write_bytes(dir / "train-labels-idx1-ubyte", idx_labels({7, 0, 9}));
  gancraft::data::MNIST mnist(dir);
  REQUIRE(mnist.size().value() == 3);
  REQUIRE(mnist.images().sizes() == torch::IntArrayRef({3, 1, 4, 5}));
  REQUIRE(mnist.images().scalar_type() == torch::kFloat);
  REQUIRE(mnist.labels().scalar_type() == torch::kLong);
  CHECK(torch::equal(mnist.labels(), torch::tensor({7, 0, 9}, torch::kLong)));
  bool exact = true;
  auto px = mnist.images().accessor<float, 4>();
  for (int i = 0; i < 3; ++i)
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 5; ++c) exact = exact && px[i][0][r][c] == unit(idx_pixel(i, r, c));
  CHECK(exact);
  CHECK(unit(0) == -1.0f);
  CHECK(unit(255) == 1.0f);

  const auto example = mnist.get(2);
  CHECK(torch::equal(example.data, mnist.images()[2]));
  CHECK(example.target.item<int64_t>() == 9);
  CHECK_THROWS_AS(mnist.get(3), gancraft::OptionError);
  CHECK(gancraft::data::MNIST::classes().size() == 10);

  // Works with LibTorch's data loader.
  auto loader = torch::data::make_data_loader(
      gancraft::data::MNIST(dir).map(torch::data::transforms::Stack<>()),
      torch::data::DataLoaderOptions().batch_size(2));
  int64_t seen = 0;
  for (auto& batch : *loader) seen += batch.data.size(0);
  CHECK(seen == 3);
}

TEST_CASE("FashionMNIST reads gzip-compressed IDX files", "[data][mnist]") {
  const fs::path dir = fresh_dir("mnist_gz");
  write_bytes(dir / "t10k-images-idx3-ubyte.gz", gzip_bytes(idx_images(2, 28, 28)));
  write_bytes(dir / "t10k-labels-idx1-ubyte.gz", gzip_bytes(idx_labels({3, 4})));
  gancraft::data::FashionMNIST fashion(dir, Split::Test);
  REQUIRE(fashion.images().sizes() == torch::IntArrayRef({2, 1, 28, 28}));
  CHECK(fashion.images()[1][0][27][3].item<float>() == unit(idx_pixel(1, 27, 3)));
  CHECK(torch::equal(fashion.labels(), torch::tensor({3, 4}, torch::kLong)));
  CHECK(gancraft::data::FashionMNIST::classes().at(9) == "Ankle boot");
  CHECK(fashion.split() == Split::Test);
}

TEST_CASE("MNIST errors name the file and the problem", "[data][mnist]") {
  const fs::path dir = fresh_dir("mnist_errors");
  const fs::path images = dir / "train-images-idx3-ubyte";
  const fs::path labels = dir / "train-labels-idx1-ubyte";

  SECTION("missing files") {
    CHECK_THAT(io_error_message([&] { gancraft::data::MNIST m(dir); }),
               Contains("train-images-idx3-ubyte") && Contains(dir.string()));
  }
  SECTION("truncated images") {
    Bytes b = idx_images(3, 4, 5);
    b.resize(16 + 50);
    write_bytes(images, b);
    write_bytes(labels, idx_labels({1, 2, 3}));
    CHECK_THAT(io_error_message([&] { gancraft::data::MNIST m(dir); }),
               Contains(images.string()) && Contains("truncated") &&
                   Contains("3 images of 4x5 (60 bytes)") && Contains("50 bytes"));
  }
  SECTION("truncated gzip images") {
    Bytes z = gzip_bytes(idx_images(3, 4, 5));
    z.resize(z.size() - 10);
    write_bytes(dir / "train-images-idx3-ubyte.gz", z);
    write_bytes(labels, idx_labels({1, 2, 3}));
    CHECK_THAT(io_error_message([&] { gancraft::data::MNIST m(dir); }),
               Contains((dir / "train-images-idx3-ubyte.gz").string()) && Contains("truncated"));
  }
  SECTION("trailing bytes") {
    Bytes b = idx_images(3, 4, 5);
    b.push_back(0);
    write_bytes(images, b);
    write_bytes(labels, idx_labels({1, 2, 3}));
    CHECK_THAT(io_error_message([&] { gancraft::data::MNIST m(dir); }),
               Contains(images.string()) && Contains("trailing"));
  }
  SECTION("wrong magic") {
    write_bytes(images, idx_labels({1, 2, 3}));
    write_bytes(labels, idx_labels({1, 2, 3}));
    CHECK_THAT(io_error_message([&] { gancraft::data::MNIST m(dir); }),
               Contains(images.string()) && Contains("magic") && Contains("2049"));
  }
  SECTION("label count mismatch") {
    write_bytes(images, idx_images(3, 4, 5));
    write_bytes(labels, idx_labels({1, 2}));
    CHECK_THAT(io_error_message([&] { gancraft::data::MNIST m(dir); }),
               Contains(labels.string()) && Contains("2 labels") && Contains("3 images"));
  }
  SECTION("label out of range") {
    write_bytes(images, idx_images(3, 4, 5));
    write_bytes(labels, idx_labels({1, 12, 2}));
    CHECK_THAT(io_error_message([&] { gancraft::data::MNIST m(dir); }),
               Contains(labels.string()) && Contains("label 12"));
  }
}

namespace {

std::uint8_t cifar_pixel(int record, int c, int y, int x) {
  return static_cast<std::uint8_t>(record * 11 + c * 85 + y * 3 + x * 5);
}

Bytes cifar_batch(int first_record, int count) {
  Bytes b;
  for (int r = first_record; r < first_record + count; ++r) {
    b.push_back(static_cast<std::uint8_t>(r % 10));
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 32; ++x) b.push_back(cifar_pixel(r, c, y, x));
  }
  return b;
}

}  // namespace

TEST_CASE("CIFAR10 reads a small binary release from the dir or its parent", "[data][cifar]") {
  const fs::path root = fresh_dir("cifar");
  const fs::path dir = root / "cifar-10-batches-bin";
  for (int i = 1; i <= 5; ++i)
    write_bytes(dir / ("data_batch_" + std::to_string(i) + ".bin"), cifar_batch((i - 1) * 2, 2));
  write_bytes(dir / "test_batch.bin", cifar_batch(100, 3));

  for (const fs::path& where : {root, dir}) {
    gancraft::data::CIFAR10 train(where, Split::Train);
    REQUIRE(train.size().value() == 10);
    REQUIRE(train.images().sizes() == torch::IntArrayRef({10, 3, 32, 32}));
    CHECK(torch::equal(train.labels(), torch::arange(10, torch::kLong)));
    bool exact = true;
    auto px = train.images().accessor<float, 4>();
    for (int r = 0; r < 10; ++r)
      for (int c = 0; c < 3; ++c)
        for (int y = 0; y < 32; ++y)
          for (int x = 0; x < 32; ++x)
            exact = exact && px[r][c][y][x] == unit(cifar_pixel(r, c, y, x));
    CHECK(exact);
  }
  gancraft::data::CIFAR10 test(root, Split::Test);
  REQUIRE(test.size().value() == 3);
  CHECK(test.get(2).target.item<int64_t>() == 102 % 10);
  CHECK(test.get(2).data[1][4][6].item<float>() == unit(cifar_pixel(102, 1, 4, 6)));
  CHECK(gancraft::data::CIFAR10::classes().at(3) == "cat");
  CHECK(test.images().min().item<float>() >= -1.0f);
  CHECK(test.images().max().item<float>() <= 1.0f);
}

TEST_CASE("CIFAR10 errors name the file", "[data][cifar]") {
  const fs::path dir = fresh_dir("cifar_errors");
  write_bytes(dir / "test_batch.bin", [] {
    Bytes b = cifar_batch(0, 2);
    b.resize(b.size() - 7);
    return b;
  }());
  CHECK_THAT(io_error_message([&] { gancraft::data::CIFAR10 c(dir, Split::Test); }),
             Contains((dir / "test_batch.bin").string()) && Contains("wrong size"));
  write_bytes(dir / "data_batch_1.bin", cifar_batch(0, 1));
  write_bytes(dir / "data_batch_2.bin", cifar_batch(0, 1));
  CHECK_THAT(io_error_message([&] { gancraft::data::CIFAR10 c(dir, Split::Train); }),
             Contains((dir / "data_batch_3.bin").string()) && Contains("not found"));
  write_bytes(dir / "test_batch.bin", [] {
    Bytes b = cifar_batch(0, 1);
    b[0] = 10;
    return b;
  }());
  CHECK_THAT(io_error_message([&] { gancraft::data::CIFAR10 c(dir, Split::Test); }),
             Contains((dir / "test_batch.bin").string()) && Contains("label 10"));
}

TEST_CASE("ImageFolder loads PNG and JPEG files with sub-directory labels", "[data][folder]") {
  const fs::path root = fresh_dir("folder");
  torch::manual_seed(11);
  gancraft::io::write_png(root / "cats" / "a.png", torch::randint(256, {8, 8, 3}, torch::kUInt8));
  write_jpeg(root / "cats" / "b.JPG", 16, 12, 3);
  gancraft::io::write_png(root / "dogs" / "deep" / "c.png",
                          torch::randint(256, {10, 10}, torch::kUInt8));
  write_jpeg(root / "dogs" / "d.jpeg", 9, 9, 1);
  write_bytes(root / "dogs" / "notes.txt", {'h', 'i'});
  gancraft::io::write_png(root / ".hidden" / "x.png", torch::zeros({4, 4}, torch::kUInt8));

  gancraft::data::ImageFolder rgb(root, gancraft::data::ImageFolderOptions().image_size(6));
  REQUIRE(rgb.size().value() == 4);
  CHECK(rgb.classes() == std::vector<std::string>{"cats", "dogs"});
  CHECK(rgb.labels() == std::vector<int64_t>{0, 0, 1, 1});
  CHECK(rgb.paths().at(2) == root / "dogs" / "d.jpeg");  // sorted: "d.jpeg" < "deep/c.png"
  for (std::size_t i = 0; i < 4; ++i) {
    const auto example = rgb.get(i);
    REQUIRE(example.data.sizes() == torch::IntArrayRef({3, 6, 6}));
    CHECK(example.data.scalar_type() == torch::kFloat);
    CHECK(example.data.min().item<float>() >= -1.0f);
    CHECK(example.data.max().item<float>() <= 1.0f);
    CHECK(example.target.item<int64_t>() == rgb.labels()[i]);
  }
  // A gray JPEG is replicated to three equal channels.
  const torch::Tensor gray_as_rgb = rgb.get(2).data;
  CHECK(torch::equal(gray_as_rgb[0], gray_as_rgb[1]));

  gancraft::data::ImageFolder gray(root,
                                   gancraft::data::ImageFolderOptions().image_size(8).channels(1));
  CHECK(gray.get(1).data.sizes() == torch::IntArrayRef({1, 8, 8}));

  // Without resizing, PNG pixels map exactly: p / 127.5 - 1.
  const fs::path flat = fresh_dir("folder_flat");
  const torch::Tensor pixels = torch::randint(256, {5, 5, 3}, torch::kUInt8);
  gancraft::io::write_png(flat / "only.png", pixels);
  gancraft::data::ImageFolder exact(flat, gancraft::data::ImageFolderOptions().image_size(5));
  CHECK(exact.classes().size() == 1);
  CHECK(exact.labels() == std::vector<int64_t>{0});
  const torch::Tensor want = pixels.permute({2, 0, 1}).to(torch::kFloat).div(127.5).sub(1.0);
  CHECK(torch::allclose(exact.get(0).data, want, 0.0, 1e-6));
  CHECK(exact.get(0).data.max().item<float>() <= 1.0f);
}

TEST_CASE("ImageFolder reports empty folders and corrupt images by name", "[data][folder]") {
  const fs::path empty = fresh_dir("folder_empty");
  write_bytes(empty / "readme.txt", {'x'});
  CHECK_THAT(io_error_message([&] { gancraft::data::ImageFolder f(empty); }),
             Contains(empty.string()) && Contains("no images"));
  CHECK_THAT(io_error_message([&] { gancraft::data::ImageFolder f(empty / "missing"); }),
             Contains((empty / "missing").string()));

  const fs::path bad = fresh_dir("folder_bad");
  write_jpeg(bad / "good.jpg", 8, 8, 3);
  std::ifstream in(bad / "good.jpg", std::ios::binary);
  Bytes jpeg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  jpeg.resize(jpeg.size() / 2);
  write_bytes(bad / "half.jpg", jpeg);
  write_bytes(bad / "junk.png",
              {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 1, 2, 3, 4, 5, 6, 7, 8, 9});
  write_bytes(bad / "text.jpeg", {'n', 'o', 't', ' ', 'a', 'n', ' ', 'i', 'm', 'a', 'g', 'e'});
  gancraft::data::ImageFolder folder(bad, gancraft::data::ImageFolderOptions().image_size(4));
  REQUIRE(folder.size().value() == 4);
  CHECK(folder.get(0).data.sizes() == torch::IntArrayRef({3, 4, 4}));  // good.jpg
  CHECK_THAT(io_error_message([&] { folder.get(1); }), Contains((bad / "half.jpg").string()));
  CHECK_THAT(io_error_message([&] { folder.get(2); }), Contains((bad / "junk.png").string()));
  CHECK_THAT(io_error_message([&] { folder.get(3); }), Contains((bad / "text.jpeg").string()));

  const fs::path mixed = fresh_dir("folder_mixed");
  write_jpeg(mixed / "top.jpg", 4, 4, 3);
  write_jpeg(mixed / "cls" / "in.jpg", 4, 4, 3);
  CHECK_THAT(io_error_message([&] { gancraft::data::ImageFolder f(mixed); }),
             Contains(mixed.string()) && Contains("top.jpg"));

  CHECK_THROWS_AS(
      gancraft::data::ImageFolder(bad, gancraft::data::ImageFolderOptions().channels(2)),
      gancraft::OptionError);
}

TEST_CASE("The real Fashion-MNIST loads completely", "[data][mnist][real]") {
  const fs::path root = "/usr/share/datasets/fashion-mnist";
  // scripts/deps.sh installs it (Debian's dataset-fashion-mnist): missing data is a failure.
  INFO("Fashion-MNIST is expected at " << root << " (Debian package dataset-fashion-mnist)");
  REQUIRE(fs::exists(root / "train-images-idx3-ubyte.gz"));
  gancraft::data::FashionMNIST train(root, Split::Train);
  gancraft::data::FashionMNIST test(root, Split::Test);
  CHECK(train.size().value() == 60000);
  CHECK(test.size().value() == 10000);
  for (const auto* set : {&train, &test}) {
    CHECK(set->images().sizes().slice(1) == torch::IntArrayRef({1, 28, 28}));
    CHECK(set->labels().min().item<int64_t>() == 0);
    CHECK(set->labels().max().item<int64_t>() == 9);
    CHECK(set->images().min().item<float>() == -1.0f);
    CHECK(set->images().max().item<float>() == 1.0f);
  }
  // Balanced classes: 6000 of each in train.
  CHECK(torch::equal(torch::bincount(train.labels()), torch::full({10}, 6000, torch::kLong)));
}

TEST_CASE("GaussianMixture ring and grid means match hand-computed values", "[data][gmm]") {
  const auto ring = gancraft::data::GaussianMixture::ring();
  REQUIRE(ring.means().sizes() == torch::IntArrayRef({8, 2}));
  CHECK(ring.stddev() == 0.01);
  const double h = std::sqrt(0.5);
  const torch::Tensor ring_want =
      torch::tensor({1.0, 0.0, h, h, 0.0, 1.0, -h, h, -1.0, 0.0, -h, -h, 0.0, -1.0, h, -h},
                    torch::kDouble)
          .reshape({8, 2});
  CHECK(torch::allclose(ring.means(), ring_want, 0.0, 1e-12));

  const auto ring3 = gancraft::data::GaussianMixture::ring(3, 2.0, 0.1);
  CHECK(ring3.means()[1][0].item<double>() == Approx(-1.0));
  CHECK(ring3.means()[1][1].item<double>() == Approx(std::sqrt(3.0)));

  const auto grid = gancraft::data::GaussianMixture::grid();
  REQUIRE(grid.means().sizes() == torch::IntArrayRef({25, 2}));
  CHECK(grid.stddev() == 0.05);
  std::vector<double> want;
  for (double x : {-4.0, -2.0, 0.0, 2.0, 4.0})
    for (double y : {-4.0, -2.0, 0.0, 2.0, 4.0}) want.insert(want.end(), {x, y});
  CHECK(torch::equal(grid.means(), torch::tensor(want, torch::kDouble).reshape({25, 2})));

  CHECK_THROWS_AS(gancraft::data::GaussianMixture::ring(0), gancraft::OptionError);
  CHECK_THROWS_AS(gancraft::data::GaussianMixture::grid(3, 1.0, -1.0), gancraft::OptionError);
}

TEST_CASE("GaussianMixture samples are seeded, uniform over modes, with the right spread",
          "[data][gmm]") {
  const auto grid = gancraft::data::GaussianMixture::grid();
  const int64_t n = 50000;
  torch::manual_seed(123);
  const torch::Tensor global_before = torch::rand({4});
  torch::manual_seed(123);
  const torch::Tensor a = grid.sample(n, 7);
  const torch::Tensor global_after = torch::rand({4});
  CHECK(torch::equal(global_before, global_after));  // global RNG untouched

  REQUIRE(a.sizes() == torch::IntArrayRef({n, 2}));
  REQUIRE(a.scalar_type() == torch::kFloat);
  CHECK(torch::equal(a, grid.sample(n, 7)));
  CHECK_FALSE(torch::equal(a, grid.sample(n, 8)));

  const auto [points, modes] = grid.sample_with_modes(n, 7);
  CHECK(torch::equal(points, a));
  const torch::Tensor nearest = grid.nearest_mode(a);
  CHECK(torch::equal(nearest, modes));  // stddev 0.05 vs spacing 2: no mode is mistaken

  const torch::Tensor residual = a.to(torch::kDouble) - grid.means().index_select(0, nearest);
  CHECK(residual.std().item<double>() == Approx(0.05).epsilon(0.02));
  CHECK(std::abs(residual.mean().item<double>()) < 0.002);

  const torch::Tensor counts = torch::bincount(nearest, {}, 25).to(torch::kDouble);
  CHECK(counts.min().item<double>() > 0.85 * n / 25);
  CHECK(counts.max().item<double>() < 1.15 * n / 25);

  const auto ring = gancraft::data::GaussianMixture::ring();
  const torch::Tensor r = ring.sample(20000, 1);
  const torch::Tensor rr =
      r.to(torch::kDouble) - ring.means().index_select(0, ring.nearest_mode(r));
  CHECK(rr.std().item<double>() == Approx(0.01).epsilon(0.03));
  CHECK(ring.sample(0, 1).sizes() == torch::IntArrayRef({0, 2}));
}
