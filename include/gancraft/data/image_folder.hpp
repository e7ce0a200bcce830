#pragma once
/// @file gancraft/data/image_folder.hpp
/// A data set over a directory tree of the user's own PNG and JPEG files.

// jpeglib.h uses FILE and size_t without including their headers.
#include <cstddef>
#include <cstdio>

#include <jpeglib.h>
// After jpeglib.h, which it needs; gives the message codes.
#include <jerror.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csetjmp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <torch/torch.h>

#include <gancraft/detail/gzip.hpp>
#include <gancraft/error.hpp>
#include <gancraft/io/png.hpp>

namespace gancraft::detail {

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

/// Decoded JPEG dimensions.
struct JpegHeader {
  JDIMENSION width = 0;
  JDIMENSION height = 0;
  int channels = 0;
};

// As in png.hpp, the functions holding setjmp keep only trivially
// destructible locals, so the longjmp skips no destructor.

/// Reads the header and starts decompression to 8-bit gray or RGB.
inline bool jpeg_start_c(jpeg_decompress_struct* cinfo, JpegErrorManager* err,
                         const unsigned char* data, unsigned long size, JpegHeader* out) {
  if (setjmp(err->jump)) return false;
  jpeg_mem_src(cinfo, data, size);
  jpeg_read_header(cinfo, TRUE);
  cinfo->out_color_space = cinfo->jpeg_color_space == JCS_GRAYSCALE ? JCS_GRAYSCALE : JCS_RGB;
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
    jpeg_read_scanlines(cinfo, &row, 1);
  }
  jpeg_finish_decompress(cinfo);
  return true;
}

/// Decodes the JPEG at `path` to uint8 [H, W, C], C = 1 (gray) or 3 (RGB).
/// @throws IoError naming the file if it is unreadable, truncated or corrupt.
inline torch::Tensor read_jpeg(const std::filesystem::path& path) {
  const std::vector<std::uint8_t> bytes = read_file_bytes(path);
  jpeg_decompress_struct cinfo{};
  JpegErrorManager err{};
  cinfo.err = jpeg_std_error(&err.base);
  err.base.error_exit = jpeg_error_exit_longjmp;
  err.base.emit_message = jpeg_emit_message_strict;
  jpeg_create_decompress(&cinfo);
  struct Destroy {
    jpeg_decompress_struct* cinfo;
    ~Destroy() { jpeg_destroy_decompress(cinfo); }
  } destroy{&cinfo};
  JpegHeader header;
  GANCRAFT_CHECK(jpeg_start_c(&cinfo, &err, bytes.data(), bytes.size(), &header), IoError,
                 path.string(), ": corrupt JPEG: ", err.message);
  GANCRAFT_CHECK(header.channels == 1 || header.channels == 3, IoError, path.string(),
                 ": unsupported JPEG layout: ", header.channels, " channels");
  torch::Tensor image = torch::empty(
      {static_cast<int64_t>(header.height), static_cast<int64_t>(header.width), header.channels},
      torch::kUInt8);
  GANCRAFT_CHECK(jpeg_read_c(&cinfo, &err, image.data_ptr<std::uint8_t>(),
                             std::size_t{header.width} * header.channels),
                 IoError, path.string(), ": corrupt or truncated JPEG: ", err.message);
  return image;
}

/// Lower-cased extension of `path`, with its dot.
inline std::string lower_extension(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

/// Whether `path` names a file ImageFolder picks up (by extension).
inline bool is_image_file_name(const std::filesystem::path& path) {
  const std::string ext = lower_extension(path);
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

/// Decodes a PNG or JPEG (chosen by the file's magic bytes, not its name) to uint8 [H, W, C].
inline torch::Tensor read_image_any(const std::filesystem::path& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  GANCRAFT_CHECK(file != nullptr, IoError, path.string(),
                 ": cannot open for reading: ", std::strerror(errno));
  unsigned char magic[3] = {};
  const std::size_t got = std::fread(magic, 1, 3, file);
  std::fclose(file);
  if (got >= 3 && magic[0] == 0xff && magic[1] == 0xd8 && magic[2] == 0xff) return read_jpeg(path);
  if (got >= 3 && magic[0] == 0x89 && magic[1] == 'P' && magic[2] == 'N') return io::read_png(path);
  throw IoError(str(path.string(), ": neither a PNG nor a JPEG file (unrecognised magic bytes)"));
}

}  // namespace gancraft::detail

namespace gancraft::data {

/// Options for `ImageFolder`.
///
/// @code
/// gancraft::data::ImageFolder faces("data/faces",
/// gancraft::data::ImageFolderOptions().image_size(64).channels(3));
/// @endcode
struct ImageFolderOptions {
  /// Side of the square output images, in pixels.
  TORCH_ARG(int64_t, image_size) = 64;
  /// Output channels: 1 (gray; color images are converted with the ITU-R
  /// BT.601 luma weights) or 3 (RGB; gray images are replicated).
  TORCH_ARG(int64_t, channels) = 3;
  /// Crop the largest centred square before resizing, keeping the aspect
  /// ratio; when false, non-square images are stretched to the square.
  TORCH_ARG(bool, center_crop) = true;
  /// Low-pass filter while downscaling (`antialias` of bilinear interpolate),
  /// as PIL and torchvision do, to avoid aliasing.
  TORCH_ARG(bool, antialias) = true;
};

/// A map-style data set over the PNG and JPEG files (`.png`, `.jpg`,
/// `.jpeg`, any case) found recursively under `root`, in sorted path order.
/// Hidden files and directories (names starting with '.') are skipped, and
/// directory symlinks are not followed.
///
/// Labels: if `root`'s immediate sub-directories hold the images, each
/// sub-directory is a class (classes sorted by name, label = index); images
/// directly in `root` are then an error. If all images lie directly in
/// `root`, there is one class, named after `root`, and every label is 0.
///
/// Images are decoded lazily in `get`, centre-cropped (see options), resized
/// with bilinear `interpolate` (align_corners = false, antialias on by
/// default) to [C, image_size, image_size], and scaled to [-1, 1]
/// (p / 127.5 - 1).
///
/// @code
/// gancraft::data::ImageFolder folder("data/my_photos",
/// gancraft::data::ImageFolderOptions().image_size(64)); auto example = folder.get(0);  // data
/// [3,64,64] in [-1,1], target int64 scalar
/// @endcode
/// @throws IoError naming the folder if it is missing or holds no image;
/// `get` throws IoError naming the file on a corrupt image.
class ImageFolder : public torch::data::datasets::Dataset<ImageFolder> {
 public:
  /// Scans `root` for images; decodes nothing yet.
  explicit ImageFolder(const std::filesystem::path& root,
                       ImageFolderOptions options = ImageFolderOptions())
      : root_(root), options_(options) {
    GANCRAFT_CHECK(options_.image_size() >= 1, OptionError,
                   "ImageFolderOptions::image_size must be >= 1, got ", options_.image_size());
    GANCRAFT_CHECK(options_.channels() == 1 || options_.channels() == 3, OptionError,
                   "ImageFolderOptions::channels must be 1 or 3, got ", options_.channels());
    GANCRAFT_CHECK(std::filesystem::is_directory(root_), IoError, root_.string(),
                   ": not a directory; ImageFolder needs a folder of PNG/JPEG images");
    std::vector<std::filesystem::path> top_level;
    std::map<std::string, std::vector<std::filesystem::path>> by_class;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(root_, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      const std::filesystem::path& path = it->path();
      if (path.filename().string().starts_with(".")) {
        if (it->is_directory()) it.disable_recursion_pending();
        continue;
      }
      if (!it->is_regular_file() || !detail::is_image_file_name(path)) continue;
      const std::filesystem::path rel = path.lexically_relative(root_);
      if (std::distance(rel.begin(), rel.end()) == 1) {
        top_level.push_back(path);
      } else {
        by_class[rel.begin()->string()].push_back(path);
      }
    }
    GANCRAFT_CHECK(!ec, IoError, root_.string(), ": cannot scan folder: ", ec.message());
    GANCRAFT_CHECK(!top_level.empty() || !by_class.empty(), IoError, root_.string(),
                   ": no images found (looked recursively for .png, .jpg, .jpeg files)");
    if (by_class.empty()) {
      std::sort(top_level.begin(), top_level.end());
      paths_ = std::move(top_level);
      labels_.assign(paths_.size(), 0);
      const std::string name = std::filesystem::weakly_canonical(root_).filename().string();
      classes_.push_back(name);
      return;
    }
    GANCRAFT_CHECK(top_level.empty(), IoError, root_.string(),
                   ": has images directly inside (e.g. ", top_level.front().filename().string(),
                   ") and in class sub-directories (e.g. ", by_class.begin()->first,
                   "); put every image in a class sub-directory or none");
    for (auto& [name, files] : by_class) {  // std::map: classes come out sorted
      std::sort(files.begin(), files.end());
      for (auto& file : files) {
        paths_.push_back(std::move(file));
        labels_.push_back(static_cast<int64_t>(classes_.size()));
      }
      classes_.push_back(name);
    }
  }

  /// Decodes example `index`: image float [channels, image_size, image_size]
  /// in [-1, 1] and its int64 scalar label.
  /// @throws IoError naming the file if it cannot be decoded; OptionError if
  /// `index` is out of range.
  torch::data::Example<> get(std::size_t index) override {
    GANCRAFT_CHECK(index < paths_.size(), OptionError, "ImageFolder(", root_.string(), "): index ",
                   index, " out of range for ", paths_.size(), " images");
    return {load(paths_[index]), torch::tensor(labels_[index], torch::kLong)};
  }

  /// Number of images found.
  torch::optional<std::size_t> size() const override { return paths_.size(); }

  /// Class names, indexed by label.
  const std::vector<std::string>& classes() const noexcept { return classes_; }
  /// The image files, in example order.
  const std::vector<std::filesystem::path>& paths() const noexcept { return paths_; }
  /// The labels, in example order.
  const std::vector<int64_t>& labels() const noexcept { return labels_; }
  /// The options in use.
  const ImageFolderOptions& options() const noexcept { return options_; }

 private:
  torch::Tensor load(const std::filesystem::path& path) const {
    const torch::Tensor hwc = detail::read_image_any(path);
    torch::Tensor x = hwc.permute({2, 0, 1}).to(torch::kFloat);  // [C,H,W] in [0,255]
    if (options_.channels() == 3 && x.size(0) == 1) {
      x = x.expand({3, x.size(1), x.size(2)});
    } else if (options_.channels() == 1 && x.size(0) == 3) {
      x = (0.299 * x[0] + 0.587 * x[1] + 0.114 * x[2]).unsqueeze(0);
    }
    if (options_.center_crop() && x.size(1) != x.size(2)) {
      const int64_t side = std::min(x.size(1), x.size(2));
      const int64_t top = (x.size(1) - side) / 2, left = (x.size(2) - side) / 2;
      x = x.narrow(1, top, side).narrow(2, left, side);
    }
    const int64_t s = options_.image_size();
    if (x.size(1) != s || x.size(2) != s) {
      namespace F = torch::nn::functional;
      x = F::interpolate(x.unsqueeze(0).contiguous(), F::InterpolateFuncOptions()
                                                          .size(std::vector<int64_t>{s, s})
                                                          .mode(torch::kBilinear)
                                                          .align_corners(false)
                                                          .antialias(options_.antialias()))
              .squeeze(0);
    }
    // Bilinear weights are non-negative, but float rounding (in the resize and
    // in the scaling) can leave values a hair outside [-1, 1]; clamp so the
    // range promise holds exactly.
    return x.div(127.5).sub(1.0).clamp(-1.0, 1.0).contiguous();
  }

  std::filesystem::path root_;
  ImageFolderOptions options_;
  std::vector<std::filesystem::path> paths_;
  std::vector<int64_t> labels_;
  std::vector<std::string> classes_;
};

}  // namespace gancraft::data
