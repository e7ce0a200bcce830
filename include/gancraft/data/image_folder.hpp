#pragma once
/// @file gancraft/data/image_folder.hpp
/// A data set over a directory tree of the user's own PNG and JPEG files.

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <vector>

#include <torch/torch.h>

#include <gancraft/detail/gzip.hpp>
#include <gancraft/error.hpp>
#include <gancraft/io/image_decode.hpp>
#include <gancraft/io/png.hpp>

namespace gancraft::detail {

// The libjpeg error and progress machinery lives in gancraft/io/image_decode.hpp
// with the decoders.

/// Decodes the image in `bytes` (PNG or JPEG, by magic bytes) to uint8 [H, W, C].
inline torch::Tensor decode_image_tensor(std::span<const std::uint8_t> bytes,
                                         const std::filesystem::path& path, io::ImageFormat format) {
  torch::Tensor image;
  auto allocate = [&](const io::ImageShape& shape) {
    image = torch::empty({static_cast<int64_t>(shape.height), static_cast<int64_t>(shape.width),
                          shape.channels},
                         torch::kUInt8);
    return image.data_ptr<std::uint8_t>();
  };
  if (format == io::ImageFormat::Jpeg) {
    io::decode_jpeg_into(bytes, path.string(), allocate);
  } else if (format == io::ImageFormat::Png) {
    io::decode_png_into(bytes, path.string(), allocate);
  } else {
    io::decode_image_into(bytes, path.string(), allocate);
  }
  return image;
}

/// Decodes the JPEG at `path` to uint8 [H, W, C], C = 1 (gray) or 3 (RGB).
/// @throws IoError naming the file if it is unreadable, truncated, corrupt or
/// too large (see io::decode_jpeg_into).
inline torch::Tensor read_jpeg(const std::filesystem::path& path) {
  return decode_image_tensor(read_file_bytes(path), path, io::ImageFormat::Jpeg);
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
  return decode_image_tensor(read_file_bytes(path), path, io::ImageFormat::Unknown);
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
