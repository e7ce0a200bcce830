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

#include <cerrno>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <torch/torch.h>

#include <gancraft/detail/gzip.hpp>
#include <gancraft/detail/atomic_file.hpp>
#include <gancraft/error.hpp>
#include <gancraft/io/image_decode.hpp>

namespace gancraft::detail {

// The libpng error callbacks (PngErrorSink, png_error_to_sink, png_ignore_warning)
// live in gancraft/io/image_decode.hpp with the decoder.

// png_write_c holds setjmp and calls libpng; it keeps only trivially destructible
// locals, so a longjmp out of libpng skips no destructor.

/// libpng's write callback: appends to the `std::string` behind the io pointer.
inline void png_append(png_structp png, png_bytep data, png_size_t length) {
  static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<const char*>(data), length);
}
inline void png_flush_nothing(png_structp) {}

/// Encodes `rows` as an 8-bit PNG of the given color type into `out`.
inline bool png_write_c(png_structp png, png_infop info, std::string* out, png_uint_32 width,
                        png_uint_32 height, int color_type, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_write_fn(png, out, png_append, png_flush_nothing);
  png_set_IHDR(png, info, width, height, 8, color_type, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  png_write_image(png, rows);
  png_write_end(png, info);
  return true;
}

}  // namespace gancraft::detail

namespace gancraft::io {

/// Encodes `image` as an 8-bit PNG in memory (the bytes of a .png file); `name` names the image
/// in errors.
///
/// `image` must be a CPU or device `torch::kUInt8` tensor of shape [H, W]
/// (gray), [H, W, 1] (gray), [H, W, 3] (RGB) or [H, W, 4] (RGBA). Float
/// images are refused rather than guessed at: convert with `make_grid` or
/// `to_uint8_image` from gancraft/io/image_grid.hpp.
/// @throws ShapeError if `image` has the wrong dtype or shape; IoError if libpng fails.
inline std::string encode_png(const torch::Tensor& image, const std::string& name = "image") {
  GANCRAFT_CHECK(image.defined(), ShapeError, "write_png(", name, "): image tensor is undefined");
  GANCRAFT_CHECK(image.scalar_type() == torch::kUInt8, ShapeError, "write_png(", name,
                 "): image must be uint8 [H,W], [H,W,1], [H,W,3] or [H,W,4], got dtype ",
                 image.scalar_type(), "; convert float images with gancraft::io::to_uint8_image");
  const bool hw = image.dim() == 2;
  const int64_t channels = hw ? 1 : (image.dim() == 3 ? image.size(2) : 0);
  GANCRAFT_CHECK(channels == 1 || channels == 3 || channels == 4, ShapeError, "write_png(", name,
                 "): image must be [H,W], [H,W,1], [H,W,3] or [H,W,4], got shape ", image.sizes());
  const int64_t height = image.size(0);
  const int64_t width = image.size(1);
  GANCRAFT_CHECK(height > 0 && width > 0 && height <= PNG_UINT_31_MAX && width <= PNG_UINT_31_MAX,
                 ShapeError, "write_png(", name, "): cannot encode an image of shape ", image.sizes());
  const torch::Tensor pixels = image.to(torch::kCPU).contiguous();
  const int color_type = channels == 1   ? PNG_COLOR_TYPE_GRAY
                         : channels == 3 ? PNG_COLOR_TYPE_RGB
                                         : PNG_COLOR_TYPE_RGB_ALPHA;
  std::vector<png_bytep> rows(static_cast<std::size_t>(height));
  auto* base = pixels.data_ptr<std::uint8_t>();
  for (int64_t y = 0; y < height; ++y) rows[y] = base + y * width * channels;

  std::string bytes;
  detail::PngErrorSink sink;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &sink, detail::png_error_to_sink,
                                            detail::png_ignore_warning);
  GANCRAFT_CHECK(png != nullptr, IoError, name, ": cannot create libpng writer");
  png_infop info = png_create_info_struct(png);
  struct Destroy {
    png_structp* png;
    png_infop* info;
    ~Destroy() { png_destroy_write_struct(png, info); }
  } destroy{&png, &info};
  GANCRAFT_CHECK(info != nullptr, IoError, name, ": cannot create libpng info struct");
  const bool ok = detail::png_write_c(png, info, &bytes, static_cast<png_uint_32>(width),
                                      static_cast<png_uint_32>(height), color_type, rows.data());
  GANCRAFT_CHECK(ok, IoError, name, ": libpng failed to write: ", sink.message);
  return bytes;
}

/// Writes `image` to `path` as an 8-bit PNG (see `encode_png`), atomically: the bytes go to a
/// temporary file in the same directory, which is fsynced and then renamed over `path`, so
/// readers never see a half-written file. Missing parent directories are created.
///
/// @code
/// gancraft::io::write_png("out/noise.png", torch::randint(256, {64, 64, 3}, torch::kUInt8));
/// @endcode
/// @throws ShapeError if `image` has the wrong dtype or shape.
/// @throws IoError naming the file if it cannot be written.
inline void write_png(const std::filesystem::path& path, const torch::Tensor& image) {
  const std::string bytes = encode_png(image, path.string());
  const std::filesystem::path parent = path.parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    GANCRAFT_CHECK(!ec, IoError, path.string(), ": cannot create parent directory ",
                   parent.string(), ": ", ec.message());
  }
  detail::write_file_atomically(path, bytes);
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
/// Decoding is `decode_png_into` (gancraft/io/image_decode.hpp), which also
/// refuses images larger than `kMaxDecodedImageBytes` once decoded.
///
/// @throws IoError naming the file if it is missing, not a PNG, truncated,
/// corrupt or too large.
inline torch::Tensor read_png(const std::filesystem::path& path) {
  const std::vector<std::uint8_t> bytes = detail::read_file_bytes(path);
  torch::Tensor image;
  decode_png_into(bytes, path.string(), [&](const ImageShape& shape) {
    image = torch::empty({static_cast<int64_t>(shape.height), static_cast<int64_t>(shape.width),
                          shape.channels},
                         torch::kUInt8);
    return image.data_ptr<std::uint8_t>();
  });
  return image;
}

}  // namespace gancraft::io
