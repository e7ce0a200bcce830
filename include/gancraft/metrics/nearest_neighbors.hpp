#pragma once
/// @file gancraft/metrics/nearest_neighbors.hpp
/// Machinery shared by the manifold metrics (precision/recall, density/coverage).

#include <gancraft/error.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <functional>

namespace gancraft::metrics::detail {

/// Rows per block of a pairwise-distance computation: a block is [rows, N] float64, so
/// 256 rows against 50,000 samples take 100 MB.
inline constexpr int64_t distance_block_rows = 256;

/// Checks that `a` and `b` are [N, D] with the same D and returns them as CPU float64.
inline std::pair<torch::Tensor, torch::Tensor> as_feature_pair(const torch::Tensor& a,
                                                               const torch::Tensor& b,
                                                               const char* who) {
  GANCRAFT_CHECK(a.defined() && b.defined() && a.dim() == 2 && b.dim() == 2, ShapeError, who,
                 ": features must be [N, D]");
  GANCRAFT_CHECK(a.size(1) == b.size(1), ShapeError, who, ": the real set has ", a.size(1),
                 " features per sample, the generated set has ", b.size(1));
  auto x = a.detach().to(torch::kCPU, torch::kDouble).contiguous();
  auto y = b.detach().to(torch::kCPU, torch::kDouble).contiguous();
  GANCRAFT_CHECK(torch::isfinite(x).all().item<bool>(), OptionError, who,
                 ": the real features contain NaN or Inf");
  GANCRAFT_CHECK(torch::isfinite(y).all().item<bool>(), OptionError, who,
                 ": the generated features contain NaN or Inf");
  return {x, y};
}

/// Calls `visit(first_row, distances)` for consecutive row blocks of the Euclidean distance
/// matrix between `rows` [N, D] and `cols` [M, D] (float64), never holding all of it.
inline void for_each_distance_block(const torch::Tensor& rows, const torch::Tensor& cols,
                                    const std::function<void(int64_t, const torch::Tensor&)>& visit) {
  const torch::Tensor col_norms = cols.pow(2).sum(1);
  for (int64_t start = 0; start < rows.size(0); start += distance_block_rows) {
    const int64_t n = std::min(distance_block_rows, rows.size(0) - start);
    const torch::Tensor r = rows.narrow(0, start, n);
    // ‖u − v‖² = ‖u‖² + ‖v‖² − 2u·v, clamped at 0 against rounding.
    torch::Tensor d2 = r.pow(2).sum(1, true) + col_norms.unsqueeze(0) - 2.0 * r.mm(cols.t());
    visit(start, d2.clamp_min_(0).sqrt_());
  }
}

/// The distance from each row of `x` [N, D] to its `k`-th nearest other row: the radius of
/// its k-NN ball (Kynkäänniemi et al. 2019). `OptionError` unless 1 <= k < N.
inline torch::Tensor knn_radii(const torch::Tensor& x, int64_t k, const char* who, const char* set) {
  GANCRAFT_CHECK(k >= 1 && k < x.size(0), OptionError, who, ": k must be in [1, N-1], and ", set,
                 " has N = ", x.size(0), " samples; got k = ", k);
  torch::Tensor radii = torch::empty({x.size(0)}, torch::kDouble);
  for_each_distance_block(x, x, [&](int64_t start, const torch::Tensor& d) {
    // The k+1 smallest include the sample itself at distance 0.
    radii.narrow(0, start, d.size(0)).copy_(std::get<0>(d.topk(k + 1, 1, false, true)).select(1, k));
  });
  return radii;
}

/// For each row of `points`, how many of the balls (centres [N, D], radii [N]) contain it.
inline torch::Tensor ball_counts(const torch::Tensor& points, const torch::Tensor& centres,
                                 const torch::Tensor& radii) {
  torch::Tensor counts = torch::empty({points.size(0)}, torch::kLong);
  for_each_distance_block(points, centres, [&](int64_t start, const torch::Tensor& d) {
    counts.narrow(0, start, d.size(0)).copy_(d.le(radii.unsqueeze(0)).sum(1));
  });
  return counts;
}

}  // namespace gancraft::metrics::detail
