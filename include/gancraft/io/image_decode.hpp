#pragma once
/// @file gancraft/io/image_decode.hpp
/// PNG (libpng) and JPEG (libjpeg-turbo) decoding from bytes in memory to
/// 8-bit gray or RGB pixels, laid out [H, W, C].
///
/// Torch-free on purpose (bytes in, shape and bytes out), so that clang's
/// libFuzzer can build it (fuzz/fuzz_png.cpp, fuzz/fuzz_jpeg.cpp);
/// gancraft/io/png.hpp and gancraft/data/image_folder.hpp wrap it into tensors.
///
/// Both C libraries report errors by longjmp, never by C++ exception: each
/// function below that calls setjmp keeps only trivially destructible locals,
/// so the longjmp skips no destructor, and the IoError is thrown only after
/// control is back in C++ frames.
///
/// Decompression bombs: a few hundred bytes of PNG or JPEG can declare an
/// image of gigabytes. Every decoder here reads the header first and refuses
/// (IoError) an image whose width * height * channels exceeds `max_bytes`,
/// `kMaxDecodedImageBytes` (2^28 bytes, 256 MiB) unless the caller passes
/// another limit, before allocating anything for the pixels. Progressive
/// JPEGs are further limited to `kMaxJpegScans` scans (CPU exhaustion) and
/// libjpeg's own working memory to 4 * `max_bytes`.

// jpeglib.h uses FILE and size_t without including their headers.
#include <cstddef>
#include <cstdio>

#include <jpeglib.h>
// After jpeglib.h, which it needs; gives the message codes.
#include <jerror.h>
#include <png.h>

#include <algorithm>
#include <climits>
#include <csetjmp>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include <gancraft/error.hpp>

namespace gancraft::io {

/// Default limit on a decoded image's size, width * height * channels bytes:
/// 2^28 (256 MiB, e.g. 9459 x 9459 RGB), far above any GAN training image.
inline constexpr std::uint64_t kMaxDecodedImageBytes = std::uint64_t{1} << 28;

/// Most scans a progressive JPEG may have; real encoders write about 10.
/// The limit (as libjpeg-turbo's own fuzzers use) stops inputs that make the
/// decoder loop over thousands of tiny scans.
inline constexpr int kMaxJpegScans = 500;

/// Dimensions of a decoded image: `height` rows of `width` pixels of
/// `channels` bytes (1 gray, 3 RGB).
struct ImageShape {
  std::uint32_t width = 0;   ///< pixels per row
  std::uint32_t height = 0;  ///< rows
  int channels = 0;          ///< 1 (gray) or 3 (RGB)
  /// width * height * channels.
  std::uint64_t bytes() const noexcept {
    return std::uint64_t{width} * height * static_cast<std::uint64_t>(channels);
  }
};

/// A decoded image: `pixels` holds shape.bytes() bytes laid out [H, W, C].
struct DecodedImage {
  ImageShape shape;                 ///< dimensions
  std::vector<std::uint8_t> pixels; ///< [H, W, C], row-major
};

}  // namespace gancraft::io

namespace gancraft::detail {

/// Throws IoError naming `source` if an image of `width` x `height` x
/// `channels` would exceed `max_bytes` once decoded.
inline void check_decoded_size(std::uint64_t width, std::uint64_t height, std::uint64_t channels,
                               std::uint64_t max_bytes, const std::string& source,
                               const char* kind) {
  // width, height < 2^32, so width * height cannot overflow; the product with channels may.
  const std::uint64_t pixels = width * height;
  const bool too_big = channels != 0 && pixels > max_bytes / channels;
  GANCRAFT_CHECK(!too_big, IoError, source, ": ", kind, " of ", width, "x", height, "x", channels,
                 " would decode to more than the limit of ", max_bytes,
                 " bytes (refused as a possible decompression bomb)");
}

// ---------------------------------------------------------------- PNG

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

/// The byte buffer libpng reads from, through `png_read_from_memory`.
struct PngMemoryReader {
  const std::uint8_t* data = nullptr;
  std::size_t size = 0;
  std::size_t pos = 0;
};

/// libpng read callback over a `PngMemoryReader`; reading past the end is a
/// libpng error (longjmp), never an overread.
inline void png_read_from_memory(png_structp png, png_bytep out, png_size_t length) {
  auto* reader = static_cast<PngMemoryReader*>(png_get_io_ptr(png));
  if (length > reader->size - reader->pos) png_error(png, "unexpected end of PNG data");
  std::memcpy(out, reader->data + reader->pos, length);
  reader->pos += length;
}

/// Header facts gathered by `png_read_header_c`.
struct PngHeader {
  png_uint_32 width = 0;
  png_uint_32 height = 0;
  int channels = 0;
};

// The `_c` functions below hold setjmp and call libpng. They keep only
// trivially destructible locals, so a longjmp out of libpng skips no destructor.

/// Reads the header from `reader` and installs the transformations to 8-bit
/// gray or RGB. Returns false (message in the sink) on a libpng error.
inline bool png_read_header_c(png_structp png, png_infop info, PngMemoryReader* reader,
                              PngHeader* out) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_read_fn(png, reader, png_read_from_memory);
  png_read_info(png, info);
  const png_byte color = png_get_color_type(png, info);
  const png_byte depth = png_get_bit_depth(png, info);
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (depth == 16) png_set_strip_16(png);
  // tRNS and alpha channels are dropped, not composited; see io::read_png.
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

// ---------------------------------------------------------------- JPEG

/// libjpeg error manager whose exits longjmp back instead of calling exit().
struct JpegErrorManager {
  jpeg_error_mgr base;  // first member: libjpeg hands us a pointer to it
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

/// libjpeg `error_exit`: formats the message and longjmps. Never throws, since
/// C++ exceptions may not cross libjpeg's C frames.
inline void jpeg_error_exit_longjmp(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

/// libjpeg `emit_message`: a truncated file ("Premature end of JPEG file",
/// after which libjpeg would fill the rest with gray) is made fatal so that it
/// is reported instead of silently loaded. Other corrupt-data warnings (such
/// as extraneous bytes before a marker, common in camera files that every
/// viewer shows fine) are ignored, as PIL ignores them. Nothing is printed.
inline void jpeg_emit_message_strict(j_common_ptr cinfo, int msg_level) {
  if (msg_level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) jpeg_error_exit_longjmp(cinfo);
}

/// libjpeg progress monitor: stops a progressive JPEG with more than
/// `io::kMaxJpegScans` scans (as libjpeg-turbo's TurboJPEG scan limit does).
inline void jpeg_limit_scans(j_common_ptr cinfo) {
  if (!cinfo->is_decompressor) return;
  const auto* dinfo = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (dinfo->input_scan_number <= io::kMaxJpegScans) return;
  auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  std::snprintf(err->message, sizeof(err->message),
                "progressive JPEG has more than %d scans (refused as a possible CPU bomb)",
                io::kMaxJpegScans);
  std::longjmp(err->jump, 1);
}

/// JPEG header facts: output dimensions and channels.
struct JpegHeader {
  JDIMENSION width = 0;
  JDIMENSION height = 0;
  int channels = 0;
};

/// Reads the header from memory and chooses 8-bit gray or RGB output;
/// `out` gets the dimensions the decoder will produce.
inline bool jpeg_read_header_c(jpeg_decompress_struct* cinfo, JpegErrorManager* err,
                               const unsigned char* data, unsigned long size, JpegHeader* out) {
  if (setjmp(err->jump)) return false;
  jpeg_mem_src(cinfo, data, size);
  jpeg_read_header(cinfo, TRUE);
  const bool gray = cinfo->jpeg_color_space == JCS_GRAYSCALE;
  cinfo->out_color_space = gray ? JCS_GRAYSCALE : JCS_RGB;
  out->width = cinfo->image_width;
  out->height = cinfo->image_height;
  out->channels = gray ? 1 : 3;
  return true;
}

/// Starts decompression; `out` gets the actual output dimensions.
inline bool jpeg_start_c(jpeg_decompress_struct* cinfo, JpegErrorManager* err, JpegHeader* out) {
  if (setjmp(err->jump)) return false;
  jpeg_start_decompress(cinfo);
  out->width = cinfo->output_width;
  out->height = cinfo->output_height;
  out->channels = cinfo->output_components;
  return true;
}

/// Decodes all scanlines into `pixels` (row stride `stride` bytes).
inline bool jpeg_read_c(jpeg_decompress_struct* cinfo, JpegErrorManager* err, unsigned char* pixels,
                        std::size_t stride) {
  if (setjmp(err->jump)) return false;
  while (cinfo->output_scanline < cinfo->output_height) {
    JSAMPROW row = pixels + cinfo->output_scanline * stride;
    if (jpeg_read_scanlines(cinfo, &row, 1) != 1) {
      // Only a suspending data source returns no line; the memory source never
      // suspends, but an endless loop is the wrong failure if it ever did.
      std::snprintf(err->message, sizeof(err->message), "decoder made no progress");
      return false;
    }
  }
  jpeg_finish_decompress(cinfo);
  return true;
}

}  // namespace gancraft::detail

namespace gancraft::io {

/// The format an image buffer's magic bytes announce.
enum class ImageFormat { Png, Jpeg, Unknown };

/// PNG if `bytes` starts with the PNG signature's first bytes, JPEG if with FF D8 FF.
inline ImageFormat sniff_image_format(std::span<const std::uint8_t> bytes) noexcept {
  if (bytes.size() >= 3 && bytes[0] == 0xff && bytes[1] == 0xd8 && bytes[2] == 0xff)
    return ImageFormat::Jpeg;
  if (bytes.size() >= 3 && bytes[0] == 0x89 && bytes[1] == 'P' && bytes[2] == 'N')
    return ImageFormat::Png;
  return ImageFormat::Unknown;
}

/// Decodes the PNG in `bytes` to 8-bit gray (C = 1) or RGB (C = 3) into a
/// buffer that `allocate(const ImageShape&)` returns (`std::uint8_t*`, room
/// for shape.bytes() bytes, [H, W, C]); `allocate` is called once, after the
/// header has passed every check. `source` names the image in errors.
///
/// Palette images are expanded to RGB, 1/2/4-bit gray to 8 bits, 16-bit
/// samples are reduced to their high byte, and any alpha channel (or tRNS
/// transparency) is dropped without compositing.
///
/// @tparam Allocate callable `std::uint8_t*(const ImageShape&)`; may throw.
/// @throws IoError naming `source` if the bytes are not a PNG, are truncated
/// or corrupt, or would decode to more than `max_bytes`.
template <class Allocate>
ImageShape decode_png_into(std::span<const std::uint8_t> bytes, const std::string& source,
                           Allocate&& allocate, std::uint64_t max_bytes = kMaxDecodedImageBytes) {
  GANCRAFT_CHECK(bytes.size() >= 8 && png_sig_cmp(bytes.data(), 0, 8) == 0, IoError, source,
                 ": not a PNG file (missing PNG signature)");
  detail::PngErrorSink sink;
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &sink, detail::png_error_to_sink,
                                           detail::png_ignore_warning);
  GANCRAFT_CHECK(png != nullptr, IoError, source, ": cannot create libpng reader");
  png_infop info = png_create_info_struct(png);
  struct Destroy {
    png_structp* png;
    png_infop* info;
    ~Destroy() { png_destroy_read_struct(png, info, nullptr); }
  } destroy{&png, &info};
  GANCRAFT_CHECK(info != nullptr, IoError, source, ": cannot create libpng info struct");

#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  // Fuzz builds only (fuzz/CMakeLists.txt), as libpng's own fuzzer does: ignore
  // CRC and Adler-32 mismatches, or nearly every mutation dies at the first checksum.
  png_set_crc_action(png, PNG_CRC_QUIET_USE, PNG_CRC_QUIET_USE);
  png_set_option(png, PNG_IGNORE_ADLER32, PNG_OPTION_ON);
#endif
  detail::PngMemoryReader reader{bytes.data(), bytes.size(), 0};
  detail::PngHeader header;
  GANCRAFT_CHECK(detail::png_read_header_c(png, info, &reader, &header), IoError, source,
                 ": corrupt PNG: ", sink.message);
  GANCRAFT_CHECK(header.channels == 1 || header.channels == 3, IoError, source,
                 ": unexpected PNG layout: ", header.channels, " channels after conversion");
  detail::check_decoded_size(header.width, header.height, header.channels, max_bytes, source,
                             "PNG");
  const ImageShape shape{header.width, header.height, header.channels};
  std::uint8_t* base = allocate(static_cast<const ImageShape&>(shape));
  std::vector<png_bytep> rows(header.height);
  const std::size_t stride = std::size_t{header.width} * header.channels;
  for (png_uint_32 y = 0; y < header.height; ++y) rows[y] = base + y * stride;
  GANCRAFT_CHECK(detail::png_read_rows_c(png, info, rows.data()), IoError, source,
                 ": corrupt or truncated PNG: ", sink.message);
  return shape;
}

/// Decodes the JPEG in `bytes` to 8-bit gray (C = 1, for grayscale JPEGs) or
/// RGB (C = 3, for every other color space libjpeg converts) into a buffer
/// that `allocate(const ImageShape&)` returns, as for `decode_png_into`.
/// A truncated file is an error, not gray-filled; other corrupt-data warnings
/// are ignored, as PIL ignores them.
///
/// @tparam Allocate callable `std::uint8_t*(const ImageShape&)`; may throw.
/// @throws IoError naming `source` if the bytes are not a JPEG, are truncated
/// or corrupt, have more than `kMaxJpegScans` scans, or would decode to more
/// than `max_bytes`.
template <class Allocate>
ImageShape decode_jpeg_into(std::span<const std::uint8_t> bytes, const std::string& source,
                            Allocate&& allocate, std::uint64_t max_bytes = kMaxDecodedImageBytes) {
  jpeg_decompress_struct cinfo{};
  detail::JpegErrorManager err{};
  cinfo.err = jpeg_std_error(&err.base);
  err.base.error_exit = detail::jpeg_error_exit_longjmp;
  err.base.emit_message = detail::jpeg_emit_message_strict;
  jpeg_create_decompress(&cinfo);
  struct Destroy {
    jpeg_decompress_struct* cinfo;
    ~Destroy() { jpeg_destroy_decompress(cinfo); }
  } destroy{&cinfo};
  // libjpeg's working memory (a progressive image's coefficients take about
  // 2 bytes per sample) is bounded as well as the output.
  const std::uint64_t work_limit = max_bytes > UINT64_MAX / 4 ? UINT64_MAX : 4 * max_bytes;
  cinfo.mem->max_memory_to_use =
      static_cast<long>(std::min<std::uint64_t>(work_limit, std::uint64_t{LONG_MAX}));
  jpeg_progress_mgr progress{};
  progress.progress_monitor = detail::jpeg_limit_scans;
  cinfo.progress = &progress;

  detail::JpegHeader header;
  GANCRAFT_CHECK(detail::jpeg_read_header_c(&cinfo, &err, bytes.data(),
                                            static_cast<unsigned long>(bytes.size()), &header),
                 IoError, source, ": corrupt JPEG: ", err.message);
  detail::check_decoded_size(header.width, header.height, header.channels, max_bytes, source,
                             "JPEG");
  GANCRAFT_CHECK(detail::jpeg_start_c(&cinfo, &err, &header), IoError, source,
                 ": corrupt JPEG: ", err.message);
  GANCRAFT_CHECK(header.channels == 1 || header.channels == 3, IoError, source,
                 ": unsupported JPEG layout: ", header.channels, " channels");
  detail::check_decoded_size(header.width, header.height, header.channels, max_bytes, source,
                             "JPEG");
  const ImageShape shape{header.width, header.height, header.channels};
  std::uint8_t* pixels = allocate(static_cast<const ImageShape&>(shape));
  GANCRAFT_CHECK(detail::jpeg_read_c(&cinfo, &err, pixels, std::size_t{header.width} * header.channels),
                 IoError, source, ": corrupt or truncated JPEG: ", err.message);
  return shape;
}

/// Decodes the PNG in `bytes` into a fresh buffer; see `decode_png_into`.
///
/// @code
/// gancraft::io::DecodedImage img = gancraft::io::decode_png(bytes, "logo.png");
/// @endcode
/// @throws IoError as `decode_png_into`.
inline DecodedImage decode_png(std::span<const std::uint8_t> bytes, const std::string& source,
                               std::uint64_t max_bytes = kMaxDecodedImageBytes) {
  DecodedImage image;
  image.shape = decode_png_into(
      bytes, source,
      [&](const ImageShape& shape) {
        image.pixels.resize(shape.bytes());
        return image.pixels.data();
      },
      max_bytes);
  return image;
}

/// Decodes the JPEG in `bytes` into a fresh buffer; see `decode_jpeg_into`.
/// @throws IoError as `decode_jpeg_into`.
inline DecodedImage decode_jpeg(std::span<const std::uint8_t> bytes, const std::string& source,
                                std::uint64_t max_bytes = kMaxDecodedImageBytes) {
  DecodedImage image;
  image.shape = decode_jpeg_into(
      bytes, source,
      [&](const ImageShape& shape) {
        image.pixels.resize(shape.bytes());
        return image.pixels.data();
      },
      max_bytes);
  return image;
}

/// Decodes a PNG or JPEG, chosen by its magic bytes (not its name), into
/// `allocate`'s buffer; see `decode_png_into` and `decode_jpeg_into`.
/// @tparam Allocate callable `std::uint8_t*(const ImageShape&)`; may throw.
/// @throws IoError naming `source` if it is neither format, or as the decoders.
template <class Allocate>
ImageShape decode_image_into(std::span<const std::uint8_t> bytes, const std::string& source,
                             Allocate&& allocate, std::uint64_t max_bytes = kMaxDecodedImageBytes) {
  switch (sniff_image_format(bytes)) {
    case ImageFormat::Jpeg:
      return decode_jpeg_into(bytes, source, allocate, max_bytes);
    case ImageFormat::Png:
      return decode_png_into(bytes, source, allocate, max_bytes);
    case ImageFormat::Unknown:
      break;
  }
  throw IoError(detail::str(source, ": neither a PNG nor a JPEG file (unrecognised magic bytes)"));
}

}  // namespace gancraft::io
