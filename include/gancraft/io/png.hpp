#pragma once
/// @file gancraft/io/png.hpp
/// PNG reading and atomic PNG writing through libpng.
///
/// Images are `torch::kUInt8` tensors laid out [H, W, C] (channels last), the
/// layout libpng and every image viewer use. Use `gancraft::io::make_grid`
/// (gancraft/io/image_grid.hpp) to turn generator output in [-1, 1] into one.

#include <png.h>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <torch/torch.h>

#include <gancraft/error.hpp>

namespace gancraft::detail {

/// Where libpng's error callback leaves its message before it longjmps back.
struct PngErrorSink {
  char message[256] = {};
};

/// libpng error callback: records the message and longjmps to the active
/// `setjmp(png_jmpbuf(png))`. It must not throw: C++ exceptions may not cross
/// libpng's C frames.
inline void png_error_to_sink(png_structp png, png_const_charp message) {
  auto* sink = static_cast<PngErrorSink*>(png_get_error_ptr(png));
  if (sink != nullptr) {
    std::snprintf(sink->message, sizeof(sink->message), "%s", message ? message : "unknown error");
  }
  png_longjmp(png, 1);
}

/// libpng warning callback: warnings (e.g. unknown ancillary chunks) are ignored.
inline void png_ignore_warning(png_structp, png_const_charp) {}

/// Header facts gathered by `png_read_header_c`.
struct PngHeader {
  png_uint_32 width = 0;
  png_uint_32 height = 0;
  int channels = 0;
};

// The `_c` functions below hold setjmp and call libpng. They keep only
// trivially destructible locals, so a longjmp out of libpng skips no destructor.

/// Reads the header and installs the transformations to 8-bit gray or RGB.
/// Returns false (message in the sink) on a libpng error.
inline bool png_read_header_c(png_structp png, png_infop info, std::FILE* file, PngHeader* out) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_init_io(png, file);
  png_read_info(png, info);
  const png_byte color = png_get_color_type(png, info);
  const png_byte depth = png_get_bit_depth(png, info);
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (depth == 16) png_set_strip_16(png);
  // tRNS and alpha channels are dropped, not composited; see read_png.
  if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
  png_set_strip_alpha(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  out->width = png_get_image_width(png, info);
  out->height = png_get_image_height(png, info);
  out->channels = png_get_channels(png, info);
  return true;
}

/// Decodes the pixel rows into `rows` (one pointer per row).
inline bool png_read_rows_c(png_structp png, png_infop info, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_image(png, rows);
  png_read_end(png, info);
  return true;
}

/// Encodes `rows` as an 8-bit PNG of the given color type into `file`.
inline bool png_write_c(png_structp png, png_infop info, std::FILE* file, png_uint_32 width,
                        png_uint_32 height, int color_type, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_init_io(png, file);
  png_set_IHDR(png, info, width, height, 8, color_type, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  png_write_image(png, rows);
  png_write_end(png, info);
  return true;
}

/// Closes a FILE* on scope exit.
struct FileCloser {
  std::FILE* file = nullptr;
  ~FileCloser() {
    if (file != nullptr) std::fclose(file);
  }
};

/// Best-effort fsync of a directory so that a rename inside it is durable.
inline void fsync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

/// A fresh sibling name for `path`, used as the temporary file of an atomic write.
inline std::filesystem::path temp_sibling(const std::filesystem::path& path) {
  static std::atomic<std::uint64_t> counter{0};
  std::filesystem::path tmp = path;
  // Appended piecewise: `"." + string` trips a g++ 12 -Wstringop-overflow false positive.
  std::string name = ".";
  name += path.filename().string();
  name += ".tmp-";
  name += std::to_string(::getpid());
  name += '-';
  name += std::to_string(counter++);
  tmp.replace_filename(name);
  return tmp;
}

}  // namespace gancraft::detail

namespace gancraft::io {

/// Writes `image` to `path` as an 8-bit PNG, atomically: the bytes go to a
/// temporary file in the same directory, which is fsynced and then renamed
/// over `path`, so readers never see a half-written file. Missing parent
/// directories are created.
///
/// `image` must be a CPU or device `torch::kUInt8` tensor of shape [H, W]
/// (gray), [H, W, 1] (gray), [H, W, 3] (RGB) or [H, W, 4] (RGBA). Float
/// images are refused rather than guessed at: convert with `make_grid` or
/// `to_uint8_image` from gancraft/io/image_grid.hpp.
///
/// @code
/// gancraft::io::write_png("out/noise.png", torch::randint(256, {64, 64, 3}, torch::kUInt8));
/// @endcode
/// @throws ShapeError if `image` has the wrong dtype or shape.
/// @throws IoError naming the file if it cannot be written.
inline void write_png(const std::filesystem::path& path, const torch::Tensor& image) {
  GANCRAFT_CHECK(image.defined(), ShapeError, "write_png(", path.string(),
                 "): image tensor is undefined");
  GANCRAFT_CHECK(image.scalar_type() == torch::kUInt8, ShapeError, "write_png(", path.string(),
                 "): image must be uint8 [H,W], [H,W,1], [H,W,3] or [H,W,4], got dtype ",
                 image.scalar_type(), "; convert float images with gancraft::io::to_uint8_image");
  const bool hw = image.dim() == 2;
  const int64_t channels = hw ? 1 : (image.dim() == 3 ? image.size(2) : 0);
  GANCRAFT_CHECK(channels == 1 || channels == 3 || channels == 4, ShapeError, "write_png(",
                 path.string(), "): image must be [H,W], [H,W,1], [H,W,3] or [H,W,4], got shape ",
                 image.sizes());
  const int64_t height = image.size(0);
  const int64_t width = image.size(1);
  GANCRAFT_CHECK(height > 0 && width > 0 && height <= PNG_UINT_31_MAX && width <= PNG_UINT_31_MAX,
                 ShapeError, "write_png(", path.string(), "): cannot encode an image of shape ",
                 image.sizes());
  const torch::Tensor pixels = image.to(torch::kCPU).contiguous();
  const int color_type = channels == 1   ? PNG_COLOR_TYPE_GRAY
                         : channels == 3 ? PNG_COLOR_TYPE_RGB
                                         : PNG_COLOR_TYPE_RGB_ALPHA;
  std::vector<png_bytep> rows(static_cast<std::size_t>(height));
  auto* base = pixels.data_ptr<std::uint8_t>();
  for (int64_t y = 0; y < height; ++y) rows[y] = base + y * width * channels;

  const std::filesystem::path parent = path.parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    GANCRAFT_CHECK(!ec, IoError, path.string(), ": cannot create parent directory ",
                   parent.string(), ": ", ec.message());
  }
  const std::filesystem::path tmp = detail::temp_sibling(path);
  struct RemoveTmp {
    const std::filesystem::path* tmp;
    bool armed = true;
    ~RemoveTmp() {
      std::error_code ignored;
      if (armed) std::filesystem::remove(*tmp, ignored);
    }
  } remove_tmp{&tmp};

  {
    detail::FileCloser file{std::fopen(tmp.c_str(), "wb")};
    GANCRAFT_CHECK(file.file != nullptr, IoError, path.string(),
                   ": cannot open temporary file for writing: ", std::strerror(errno));
    detail::PngErrorSink sink;
    png_structp png = png_create_write_struct(
        PNG_LIBPNG_VER_STRING, &sink, detail::png_error_to_sink, detail::png_ignore_warning);
    GANCRAFT_CHECK(png != nullptr, IoError, path.string(), ": cannot create libpng writer");
    png_infop info = png_create_info_struct(png);
    struct Destroy {
      png_structp* png;
      png_infop* info;
      ~Destroy() { png_destroy_write_struct(png, info); }
    } destroy{&png, &info};
    GANCRAFT_CHECK(info != nullptr, IoError, path.string(), ": cannot create libpng info struct");
    const bool ok = detail::png_write_c(png, info, file.file, static_cast<png_uint_32>(width),
                                        static_cast<png_uint_32>(height), color_type, rows.data());
    GANCRAFT_CHECK(ok, IoError, path.string(), ": libpng failed to write: ", sink.message);
    GANCRAFT_CHECK(std::fflush(file.file) == 0 && ::fsync(::fileno(file.file)) == 0, IoError,
                   path.string(), ": cannot flush to disk: ", std::strerror(errno));
    std::FILE* raw = file.file;
    file.file = nullptr;
    GANCRAFT_CHECK(std::fclose(raw) == 0, IoError, path.string(),
                   ": cannot close temporary file: ", std::strerror(errno));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  GANCRAFT_CHECK(!ec, IoError, path.string(), ": cannot rename temporary file ", tmp.string(),
                 " into place: ", ec.message());
  remove_tmp.armed = false;
  detail::fsync_directory(parent);
}

/// Reads the PNG at `path` as a `torch::kUInt8` tensor [H, W, C].
///
/// C is 1 for gray images and 3 for everything in color. Palette images are
/// expanded to RGB, 1/2/4-bit gray is expanded to 8 bits, 16-bit samples are
/// reduced to their high byte, and any alpha channel (or tRNS transparency)
/// is dropped without compositing.
///
/// @code
/// torch::Tensor hwc = gancraft::io::read_png("samples/epoch_010.png");  // uint8 [H,W,C]
/// @endcode
/// @throws IoError naming the file if it is missing, not a PNG, truncated or corrupt.
inline torch::Tensor read_png(const std::filesystem::path& path) {
  detail::FileCloser file{std::fopen(path.c_str(), "rb")};
  GANCRAFT_CHECK(file.file != nullptr, IoError, path.string(),
                 ": cannot open for reading: ", std::strerror(errno));
  png_byte signature[8] = {};
  const std::size_t got = std::fread(signature, 1, sizeof(signature), file.file);
  GANCRAFT_CHECK(got == sizeof(signature) && png_sig_cmp(signature, 0, sizeof(signature)) == 0,
                 IoError, path.string(), ": not a PNG file (missing PNG signature)");
  std::rewind(file.file);

  detail::PngErrorSink sink;
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &sink, detail::png_error_to_sink,
                                           detail::png_ignore_warning);
  GANCRAFT_CHECK(png != nullptr, IoError, path.string(), ": cannot create libpng reader");
  png_infop info = png_create_info_struct(png);
  struct Destroy {
    png_structp* png;
    png_infop* info;
    ~Destroy() { png_destroy_read_struct(png, info, nullptr); }
  } destroy{&png, &info};
  GANCRAFT_CHECK(info != nullptr, IoError, path.string(), ": cannot create libpng info struct");

  detail::PngHeader header;
  GANCRAFT_CHECK(detail::png_read_header_c(png, info, file.file, &header), IoError, path.string(),
                 ": corrupt PNG: ", sink.message);
  GANCRAFT_CHECK(header.channels == 1 || header.channels == 3, IoError, path.string(),
                 ": unexpected PNG layout: ", header.channels, " channels after conversion");
  torch::Tensor image = torch::empty(
      {static_cast<int64_t>(header.height), static_cast<int64_t>(header.width), header.channels},
      torch::kUInt8);
  std::vector<png_bytep> rows(header.height);
  auto* base = image.data_ptr<std::uint8_t>();
  const std::size_t stride = std::size_t{header.width} * header.channels;
  for (png_uint_32 y = 0; y < header.height; ++y) rows[y] = base + y * stride;
  GANCRAFT_CHECK(detail::png_read_rows_c(png, info, rows.data()), IoError, path.string(),
                 ": corrupt or truncated PNG: ", sink.message);
  return image;
}

}  // namespace gancraft::io
