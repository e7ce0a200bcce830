#pragma once
/// @file gancraft/metrics/psnr.hpp

#include <gancraft/metrics/image_pairs.hpp>

#include <torch/torch.h>

namespace gancraft::metrics {

/// Peak signal-to-noise ratio of each image pair, in dB: 10 · log10(R² / MSE), where R is the
/// `data_range` of the pixel values (2 for gancraft's images in [-1, 1]; 1 for [0, 1]; 255
/// for bytes) and MSE is the mean over the image's channels and pixels. `[N]`, float64;
/// +inf for an identical pair.
inline torch::Tensor psnr_per_image(const torch::Tensor& x, const torch::Tensor& y, double data_range = 2.0) {
  detail::check_image_pairs(x, y, data_range, "psnr");
  torch::NoGradGuard no_grad;
  const torch::Tensor mse = (x.to(torch::kDouble) - y.to(torch::kDouble)).square().flatten(1).mean(1);
  return 10.0 * torch::log10(data_range * data_range / mse);
}

/// The mean over image pairs of `psnr_per_image` (the convention of image-translation and
/// super-resolution papers: PSNR per image, then averaged), in dB.
/// @code
/// double db = gc::metrics::psnr(upscaled, originals);   // both [N, C, H, W] in [-1, 1]
/// @endcode
inline double psnr(const torch::Tensor& x, const torch::Tensor& y, double data_range = 2.0) {
  return psnr_per_image(x, y, data_range).mean().item<double>();
}

}  // namespace gancraft::metrics
