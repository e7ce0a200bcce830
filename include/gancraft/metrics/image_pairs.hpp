#pragma once
/// @file gancraft/metrics/image_pairs.hpp
/// Checks shared by the paired-image metrics (PSNR, SSIM).

#include <gancraft/error.hpp>

#include <torch/torch.h>

namespace gancraft::metrics::detail {

/// `x` and `y` are floating-point image batches `[N, C, H, W]` of one shape with N > 0, and
/// `data_range` > 0; `ShapeError` or `OptionError` naming `what` otherwise.
inline void check_image_pairs(const torch::Tensor& x, const torch::Tensor& y, double data_range, const char* what) {
  GANCRAFT_CHECK(x.defined() && y.defined() && x.dim() == 4 && y.dim() == 4, ShapeError, what,
                 ": expected two image batches [N, C, H, W], got ", x.defined() ? x.sizes() : c10::IntArrayRef{},
                 " and ", y.defined() ? y.sizes() : c10::IntArrayRef{});
  GANCRAFT_CHECK(x.sizes() == y.sizes(), ShapeError, what, ": the batches differ in shape, ", x.sizes(), " and ",
                 y.sizes());
  GANCRAFT_CHECK(x.size(0) > 0, ShapeError, what, ": the batches are empty");
  GANCRAFT_CHECK(x.is_floating_point() && y.is_floating_point(), ShapeError, what,
                 ": images must be floating point, got ", x.dtype(), " and ", y.dtype());
  GANCRAFT_CHECK(data_range > 0, OptionError, what, ": data_range must be > 0, got ", data_range);
}

}  // namespace gancraft::metrics::detail
