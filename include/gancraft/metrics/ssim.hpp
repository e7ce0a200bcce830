#pragma once
/// @file gancraft/metrics/ssim.hpp

#include <gancraft/error.hpp>
#include <gancraft/metrics/image_pairs.hpp>

#include <torch/torch.h>

#include <cmath>
#include <cstdint>

namespace gancraft::metrics {

/// The structural-similarity settings of Wang et al. 2004 ("Image quality assessment: from
/// error visibility to structural similarity", IEEE TIP 13(4), §III-C): an 11×11 Gaussian
/// window of σ 1.5, K1 = 0.01, K2 = 0.03.
struct SsimOptions {
  /// The range of the pixel values: 2 for images in [-1, 1], 1 for [0, 1], 255 for bytes.
  TORCH_ARG(double, data_range) = 2.0;
  /// The side of the square Gaussian window (odd).
  TORCH_ARG(int64_t, window) = 11;
  /// The window's standard deviation, in pixels.
  TORCH_ARG(double, sigma) = 1.5;
  TORCH_ARG(double, k1) = 0.01;  ///< C1 = (K1 · data_range)²
  TORCH_ARG(double, k2) = 0.03;  ///< C2 = (K2 · data_range)²
};

/// SSIM of each image pair: local means, variances and covariance under the Gaussian window
/// at every position where it fits inside the image (no padding), the SSIM map
/// (2 μx μy + C1)(2 σxy + C2) / ((μx² + μy² + C1)(σx² + σy² + C2)), averaged over positions,
/// then over channels. `[N]`, float64; 1 for an identical pair. `ShapeError` for images
/// smaller than the window.
inline torch::Tensor ssim_per_image(const torch::Tensor& x, const torch::Tensor& y, const SsimOptions& o = {}) {
  detail::check_image_pairs(x, y, o.data_range(), "ssim");
  GANCRAFT_CHECK(o.window() >= 1 && o.window() % 2 == 1 && o.sigma() > 0, OptionError,
                 "ssim: the window must be odd and >= 1 and sigma > 0, got ", o.window(), " and ", o.sigma());
  GANCRAFT_CHECK(x.size(2) >= o.window() && x.size(3) >= o.window(), ShapeError, "ssim: images of ", x.size(2),
                 "x", x.size(3), " are smaller than the ", o.window(), "x", o.window(), " window");
  torch::NoGradGuard no_grad;
  const auto f64 = torch::TensorOptions().dtype(torch::kDouble).device(x.device());
  const int64_t c = x.size(1), w = o.window();
  const torch::Tensor t = torch::arange(w, f64) - static_cast<double>(w / 2);
  torch::Tensor g = torch::exp(-t.square() / (2 * o.sigma() * o.sigma()));
  g = g / g.sum();
  const torch::Tensor kernel = g.unsqueeze(1).mm(g.unsqueeze(0)).expand({c, 1, w, w}).contiguous();
  // One window per channel (groups = C), applied where it fits: no padding.
  auto local_mean = [&](const torch::Tensor& v) {
    return torch::nn::functional::conv2d(v, kernel, torch::nn::functional::Conv2dFuncOptions().groups(c));
  };
  const torch::Tensor a = x.to(torch::kDouble), b = y.to(torch::kDouble);
  const torch::Tensor mu_a = local_mean(a);
  const torch::Tensor mu_b = local_mean(b);
  const torch::Tensor var_a = local_mean(a * a) - mu_a.square();
  const torch::Tensor var_b = local_mean(b * b) - mu_b.square();
  const torch::Tensor cov = local_mean(a * b) - mu_a * mu_b;
  const double c1 = std::pow(o.k1() * o.data_range(), 2), c2 = std::pow(o.k2() * o.data_range(), 2);
  const torch::Tensor map = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) /
                            ((mu_a.square() + mu_b.square() + c1) * (var_a + var_b + c2));
  return map.flatten(2).mean(2).mean(1);
}

/// The mean SSIM over image pairs (see `ssim_per_image`).
/// @code
/// double s = gc::metrics::ssim(translated, targets);   // 1 is identical
/// @endcode
inline double ssim(const torch::Tensor& x, const torch::Tensor& y, const SsimOptions& o = {}) {
  return ssim_per_image(x, y, o).mean().item<double>();
}

}  // namespace gancraft::metrics
