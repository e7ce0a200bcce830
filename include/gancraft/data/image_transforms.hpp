#pragma once
/// @file gancraft/data/image_transforms.hpp
/// Deterministic image-to-image transforms that derive translation tasks from any image set:
/// edge maps (edges → image) and reduced resolution (super-resolution).

#include <gancraft/error.hpp>

#include <torch/torch.h>

#include <cstdint>

namespace gancraft {
namespace detail {
inline void check_image_batch(const torch::Tensor& images, const char* what) {
  GANCRAFT_CHECK(images.defined() && images.dim() == 4 && images.is_floating_point(), ShapeError, what,
                 ": expected floating-point images [N, C, H, W], got ",
                 images.defined() ? images.sizes() : c10::IntArrayRef{});
}
}  // namespace detail

namespace data {

/// The Sobel edge map of each image, `[N, 1, H, W]` in [-1, 1]: the gradient magnitude
/// √(gx² + gy²) under the 3×3 Sobel kernels (borders replicated), averaged over the channels,
/// divided by the image's largest value (a flat image stays 0), then mapped to [-1, 1], so the
/// background is -1 and the strongest edge +1.
/// @code
/// torch::Tensor sketches = gc::data::sobel_edges(fmnist.images());   // the source of edges → garment
/// @endcode
inline torch::Tensor sobel_edges(const torch::Tensor& images) {
  gancraft::detail::check_image_batch(images, "sobel_edges");
  torch::NoGradGuard no_grad;
  const auto o = torch::TensorOptions().dtype(images.scalar_type()).device(images.device());
  const torch::Tensor gx = torch::tensor({-1.0, 0.0, 1.0, -2.0, 0.0, 2.0, -1.0, 0.0, 1.0}, o).reshape({1, 1, 3, 3});
  const torch::Tensor gy = gx.transpose(2, 3).contiguous();
  const int64_t n = images.size(0), c = images.size(1);
  const torch::Tensor flat = images.reshape({n * c, 1, images.size(2), images.size(3)});
  const torch::Tensor padded =
      torch::nn::functional::pad(flat, torch::nn::functional::PadFuncOptions({1, 1, 1, 1}).mode(torch::kReplicate));
  const torch::Tensor dx = torch::conv2d(padded, gx), dy = torch::conv2d(padded, gy);
  const torch::Tensor magnitude = (dx.square() + dy.square()).sqrt().reshape(images.sizes()).mean(1, /*keepdim=*/true);
  const torch::Tensor peak = std::get<0>(magnitude.flatten(1).max(1)).reshape({n, 1, 1, 1});
  return torch::where(peak > 0, magnitude / peak.clamp_min(1e-12), torch::zeros_like(magnitude)) * 2 - 1;
}

/// Each image at 1/`factor` of its size, `[N, C, H/factor, W/factor]`: the mean of each
/// `factor`×`factor` block (the source of a ×`factor` super-resolution task). `ShapeError`
/// unless `factor` divides the height and width.
inline torch::Tensor downsample(const torch::Tensor& images, int64_t factor) {
  gancraft::detail::check_image_batch(images, "downsample");
  GANCRAFT_CHECK(factor >= 1 && images.size(2) % factor == 0 && images.size(3) % factor == 0, ShapeError,
                 "downsample: factor ", factor, " must be >= 1 and divide the image size ", images.size(2), "x",
                 images.size(3));
  torch::NoGradGuard no_grad;
  return torch::avg_pool2d(images, {factor, factor});
}

/// Images `[N, C, H, W]` enlarged `factor` times by bicubic interpolation (Keys' cubic
/// convolution, a = -0.75 as in PyTorch and OpenCV; pixel centres aligned as `align_corners =
/// false`), clamped to [-1, 1]: the classical baseline of super-resolution.
inline torch::Tensor upsample_bicubic(const torch::Tensor& images, int64_t factor) {
  gancraft::detail::check_image_batch(images, "upsample_bicubic");
  GANCRAFT_CHECK(factor >= 1, ShapeError, "upsample_bicubic: factor must be >= 1, got ", factor);
  torch::NoGradGuard no_grad;
  namespace F = torch::nn::functional;
  return F::interpolate(images, F::InterpolateFuncOptions()
                                    .size(std::vector<int64_t>{images.size(2) * factor, images.size(3) * factor})
                                    .mode(torch::kBicubic)
                                    .align_corners(false))
      .clamp(-1, 1);
}

}  // namespace data
}  // namespace gancraft
