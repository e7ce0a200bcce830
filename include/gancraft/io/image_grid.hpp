#pragma once
/// @file gancraft/io/image_grid.hpp
/// Tiling a batch of generated images into one picture, and saving it as PNG.

#include <algorithm>
#include <cstdint>
#include <filesystem>

#include <torch/torch.h>

#include <gancraft/error.hpp>
#include <gancraft/io/png.hpp>

namespace gancraft::io {

/// Options for `make_grid` and `save_grid`.
///
/// @code
/// auto grid = gancraft::io::make_grid(fake, gancraft::io::GridOptions().nrow(4).padding(1));
/// @endcode
struct GridOptions {
  /// Number of images per grid row (the last row may be shorter).
  TORCH_ARG(int64_t, nrow) = 8;
  /// Pixels of border around and between images.
  TORCH_ARG(int64_t, padding) = 2;
  /// Border value in the images' own [-1, 1] scale; -1 is black, 1 is white.
  TORCH_ARG(double, pad_value) = -1.0;
};

/// Maps a float tensor in [-1, 1] to uint8 in [0, 255]: round((x + 1) / 2 * 255)
/// after clamping; NaN maps to 0 in the input scale (mid-gray, 128), ±inf to ±1.
inline torch::Tensor to_uint8_range(const torch::Tensor& x) {
  return torch::nan_to_num(x.to(torch::kFloat), 0.0, 1.0, -1.0)
      .add(1.0)
      .mul(127.5)
      .clamp(0.0, 255.0)
      .round()
      .to(torch::kUInt8);
}

/// Converts one image [C, H, W] (C = 1 or 3) in [-1, 1] to uint8 [H, W, C],
/// ready for `write_png`.
/// @throws ShapeError on any other shape or a non-floating dtype.
inline torch::Tensor to_uint8_image(const torch::Tensor& image) {
  GANCRAFT_CHECK(image.defined() && image.dim() == 3 && (image.size(0) == 1 || image.size(0) == 3),
                 ShapeError, "to_uint8_image: image must be [C,H,W] with C = 1 or 3, got shape ",
                 image.defined() ? image.sizes() : torch::IntArrayRef{});
  GANCRAFT_CHECK(torch::isFloatingType(image.scalar_type()), ShapeError,
                 "to_uint8_image: image must be floating point in [-1,1], got dtype ",
                 image.scalar_type());
  return to_uint8_range(image.detach().to(torch::kCPU)).permute({1, 2, 0}).contiguous();
}

/// Tiles `images` [N, C, H, W] (C = 1 or 3, floating point in [-1, 1]; a
/// single [C, H, W] image is taken as N = 1) into one uint8 image
/// [H', W', C] for `write_png`, torchvision's `make_grid` layout:
/// `min(nrow, N)` columns, `ceil(N / columns)` rows, each image at
/// (`padding + row * (H + padding)`, `padding + col * (W + padding)`), so
/// H' = rows * (H + padding) + padding and likewise W'. Empty cells of the
/// last row and the borders hold `pad_value`. Values map to
/// round((x + 1) / 2 * 255), clamped to [0, 255].
///
/// @code
/// torch::Tensor grid = gancraft::io::make_grid(G->forward(z),
/// gancraft::io::GridOptions().nrow(8));
/// @endcode
/// @throws ShapeError on a bad shape or dtype; OptionError on nrow < 1 or padding < 0.
inline torch::Tensor make_grid(const torch::Tensor& images, const GridOptions& options) {
  GANCRAFT_CHECK(options.nrow() >= 1, OptionError, "make_grid: nrow must be >= 1, got ",
                 options.nrow());
  GANCRAFT_CHECK(options.padding() >= 0, OptionError, "make_grid: padding must be >= 0, got ",
                 options.padding());
  GANCRAFT_CHECK(images.defined() && (images.dim() == 4 || images.dim() == 3), ShapeError,
                 "make_grid: images must be [N,C,H,W] or [C,H,W], got shape ",
                 images.defined() ? images.sizes() : torch::IntArrayRef{});
  const torch::Tensor batch = images.dim() == 3 ? images.unsqueeze(0) : images;
  GANCRAFT_CHECK(torch::isFloatingType(batch.scalar_type()), ShapeError,
                 "make_grid: images must be floating point in [-1,1], got dtype ",
                 batch.scalar_type());
  const int64_t n = batch.size(0), c = batch.size(1), h = batch.size(2), w = batch.size(3);
  GANCRAFT_CHECK(n >= 1 && h >= 1 && w >= 1, ShapeError,
                 "make_grid: images must be non-empty, got shape ", batch.sizes());
  GANCRAFT_CHECK(c == 1 || c == 3, ShapeError,
                 "make_grid: images must have 1 or 3 channels, got shape ", batch.sizes());
  const int64_t pad = options.padding();
  const int64_t cols = std::min(options.nrow(), n);
  const int64_t rows = (n + cols - 1) / cols;
  const torch::Tensor tiles = to_uint8_range(batch.detach().to(torch::kCPU));  // [N,C,H,W]
  const auto pad_byte = to_uint8_range(torch::full({1}, options.pad_value())).item<std::uint8_t>();
  torch::Tensor grid =
      torch::full({c, rows * (h + pad) + pad, cols * (w + pad) + pad}, pad_byte, torch::kUInt8);
  using torch::indexing::Slice;
  for (int64_t k = 0; k < n; ++k) {
    const int64_t top = pad + (k / cols) * (h + pad);
    const int64_t left = pad + (k % cols) * (w + pad);
    grid.index_put_({Slice(), Slice(top, top + h), Slice(left, left + w)}, tiles[k]);
  }
  return grid.permute({1, 2, 0}).contiguous();
}

/// `make_grid` with the common arguments spelled out.
inline torch::Tensor make_grid(const torch::Tensor& images, int64_t nrow = 8, int64_t padding = 2) {
  return make_grid(images, GridOptions().nrow(nrow).padding(padding));
}

/// `make_grid` followed by an atomic `write_png` to `path`.
///
/// @code
/// gancraft::io::save_grid("samples/step_001000.png", G->forward(fixed_z));
/// @endcode
inline void save_grid(const std::filesystem::path& path, const torch::Tensor& images,
                      const GridOptions& options) {
  write_png(path, make_grid(images, options));
}

/// `save_grid` with the common arguments spelled out.
inline void save_grid(const std::filesystem::path& path, const torch::Tensor& images,
                      int64_t nrow = 8, int64_t padding = 2) {
  save_grid(path, images, GridOptions().nrow(nrow).padding(padding));
}

/// The images of a translation side by side for `make_grid`: source, output and target of
/// each sample in turn, `[3N, C, H, W]` (a `nrow` of 3·k shows k triples per row). Sources
/// of another size (super-resolution's low-resolution inputs) are enlarged to the output's by
/// pixel repetition, and one-channel images repeated to three where the others have three.
/// @code
/// gc::io::save_grid("grid.png", gc::io::translation_triples(src, trainer.translate(src), target), 12);
/// @endcode
/// @throws ShapeError unless all three are `[N, C, H, W]` with the same N and output and target alike.
inline torch::Tensor translation_triples(const torch::Tensor& source, const torch::Tensor& output,
                                         const torch::Tensor& target) {
  auto dims = [](const torch::Tensor& t) { return t.defined() ? t.sizes() : torch::IntArrayRef{}; };
  GANCRAFT_CHECK(source.defined() && output.defined() && target.defined() && source.dim() == 4 &&
                     output.dim() == 4 && output.sizes() == target.sizes() && source.size(0) == output.size(0) &&
                     output.size(2) % source.size(2) == 0 && output.size(3) % source.size(3) == 0 &&
                     output.size(2) / source.size(2) == output.size(3) / source.size(3),
                 ShapeError, "translation_triples: expected source [N, C, h, w] and output and target [N, C', k·h, k·w], got ",
                 dims(source), ", ", dims(output), " and ", dims(target));
  const int64_t k = output.size(2) / source.size(2);
  torch::Tensor src = source.detach().to(torch::kCPU, torch::kFloat);
  if (k > 1) src = src.repeat_interleave(k, 2).repeat_interleave(k, 3);
  const int64_t c = std::max(src.size(1), output.size(1));
  auto channels = [c](torch::Tensor t) { return t.size(1) == c ? t : t.expand({t.size(0), c, t.size(2), t.size(3)}); };
  return torch::stack({channels(src), channels(output.detach().to(torch::kCPU, torch::kFloat)),
                       channels(target.detach().to(torch::kCPU, torch::kFloat))},
                      1)
      .flatten(0, 1);
}

}  // namespace gancraft::io
