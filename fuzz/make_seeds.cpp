/// Writes the seed corpora under <out>/<target>/ (fuzz/corpus/ in the
/// repository): small valid inputs of every kind each parser accepts, so the
/// fuzzers start from deep inside the formats. Usage: make_seeds <out-dir>.
/// Built by fuzz/CMakeLists.txt without sanitizers; the output is committed.

#include <cstddef>
#include <cstdio>

#include <jpeglib.h>
#include <png.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <gancraft/io/manifest.hpp>

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

static void write(const fs::path& path, const Bytes& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

static Bytes gzip(const Bytes& raw) {
  z_stream zs{};
  if (deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2");
  Bytes out(deflateBound(&zs, raw.size()) + 32);
  zs.next_in = const_cast<Bytef*>(raw.data());
  zs.avail_in = static_cast<uInt>(raw.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) throw std::runtime_error("deflate");
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

static void be32(Bytes& b, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(v >> s));
}

static void png_append(png_structp png, png_bytep data, png_size_t n) {
  auto* out = static_cast<Bytes*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + n);
}
static void png_flush(png_structp) {}

/// A w x h PNG of the given color type and bit depth with a gradient pattern.
static Bytes make_png(int w, int h, int color, int depth, bool interlace, bool trns) {
  Bytes out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) throw std::runtime_error("libpng write");
  png_set_write_fn(png, &out, png_append, png_flush);
  png_set_IHDR(png, info, w, h, depth, color,
               interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_color palette[4] = {{0, 0, 0}, {255, 0, 0}, {0, 255, 0}, {0, 0, 255}};
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_PLTE(png, info, palette, 4);
  png_byte trans[4] = {0, 128, 255, 255};
  png_color_16 trans_color{};
  if (trns) png_set_tRNS(png, info, trans, color == PNG_COLOR_TYPE_PALETTE ? 4 : 0, &trans_color);
  png_write_info(png, info);
  const int channels = png_get_channels(png, info);
  const std::size_t row_bytes = (std::size_t(w) * channels * depth + 7) / 8;
  std::vector<Bytes> rows(h, Bytes(row_bytes));
  std::vector<png_bytep> ptrs;
  for (int y = 0; y < h; ++y) {
    for (std::size_t x = 0; x < row_bytes; ++x) rows[y][x] = static_cast<std::uint8_t>(x * 37 + y * 11);
    if (color == PNG_COLOR_TYPE_PALETTE && depth == 8)
      for (auto& v : rows[y]) v &= 3;  // valid palette indices
    ptrs.push_back(rows[y].data());
  }
  png_write_image(png, ptrs.data());
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
  return out;
}

/// A w x h JPEG, gray (1 component) or RGB, baseline or progressive.
static Bytes make_jpeg(int w, int h, int components, bool progressive) {
  jpeg_compress_struct c{};
  jpeg_error_mgr err{};
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&c, &buf, &size);
  c.image_width = w;
  c.image_height = h;
  c.input_components = components;
  c.in_color_space = components == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 75, TRUE);
  if (progressive) jpeg_simple_progression(&c);
  jpeg_start_compress(&c, TRUE);
  Bytes row(std::size_t(w) * components);
  while (c.next_scanline < c.image_height) {
    for (std::size_t x = 0; x < row.size(); ++x) row[x] = static_cast<std::uint8_t>(x * 5 + c.next_scanline * 9);
    JSAMPROW r = row.data();
    jpeg_write_scanlines(&c, &r, 1);
  }
  jpeg_finish_compress(&c);
  Bytes out(buf, buf + size);
  jpeg_destroy_compress(&c);
  std::free(buf);
  return out;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds <out-dir>\n");
    return 2;
  }
  const fs::path out = argv[1];

  Bytes images;  // 2 images of 4x3
  be32(images, 2051);
  be32(images, 2);
  be32(images, 4);
  be32(images, 3);
  for (int i = 0; i < 24; ++i) images.push_back(static_cast<std::uint8_t>(i * 10));
  Bytes labels;
  be32(labels, 2049);
  be32(labels, 2);
  labels.push_back(3);
  labels.push_back(9);
  write(out / "idx/images.idx3", images);
  write(out / "idx/images.idx3.gz", gzip(images));
  write(out / "idx/labels.idx1", labels);
  write(out / "idx/labels.idx1.gz", gzip(labels));

  Bytes record(1 + 3 * 32 * 32);
  record[0] = 7;
  for (std::size_t i = 1; i < record.size(); ++i) record[i] = static_cast<std::uint8_t>(i);
  write(out / "cifar/one_record.bin", record);
  write(out / "cifar/one_record.bin.gz", gzip(record));

  write(out / "png/gray1.png", make_png(5, 3, PNG_COLOR_TYPE_GRAY, 1, false, false));
  write(out / "png/gray4_trns.png", make_png(5, 3, PNG_COLOR_TYPE_GRAY, 4, false, true));
  write(out / "png/gray8.png", make_png(4, 4, PNG_COLOR_TYPE_GRAY, 8, false, false));
  write(out / "png/gray16.png", make_png(3, 2, PNG_COLOR_TYPE_GRAY, 16, false, false));
  write(out / "png/gray_alpha8.png", make_png(3, 3, PNG_COLOR_TYPE_GRAY_ALPHA, 8, false, false));
  write(out / "png/rgb8.png", make_png(4, 3, PNG_COLOR_TYPE_RGB, 8, false, false));
  write(out / "png/rgb16_interlaced.png", make_png(9, 9, PNG_COLOR_TYPE_RGB, 16, true, false));
  write(out / "png/rgba8.png", make_png(3, 2, PNG_COLOR_TYPE_RGB_ALPHA, 8, false, false));
  write(out / "png/palette2_trns.png", make_png(6, 2, PNG_COLOR_TYPE_PALETTE, 2, false, true));
  write(out / "png/palette8_interlaced.png", make_png(8, 8, PNG_COLOR_TYPE_PALETTE, 8, true, false));

  write(out / "jpeg/gray.jpg", make_jpeg(8, 8, 1, false));
  write(out / "jpeg/rgb.jpg", make_jpeg(16, 8, 3, false));
  write(out / "jpeg/rgb_progressive.jpg", make_jpeg(17, 9, 3, true));

  gancraft::io::Manifest m;
  m.step = 1200;
  m.files = {{"generator.pt", 123456, 0xdeadbeef}, {"discriminator.pt", 654321, 0x0badf00d}};
  const std::string json = gancraft::io::to_json(m);
  write(out / "manifest/manifest.json", Bytes(json.begin(), json.end()));
  m.files.clear();
  const std::string empty = gancraft::io::to_json(m);
  write(out / "manifest/no_files.json", Bytes(empty.begin(), empty.end()));
  return 0;
}
