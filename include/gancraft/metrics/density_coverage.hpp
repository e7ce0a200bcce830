#pragma once
/// @file gancraft/metrics/density_coverage.hpp

#include <gancraft/metrics/nearest_neighbors.hpp>

#include <torch/torch.h>

#include <cstdint>

namespace gancraft::metrics {

/// Density and coverage.
struct DensityCoverage {
  double density = 0;   ///< mean number of real k-NN balls per generated sample, over k
  double coverage = 0;  ///< fraction of real balls holding at least one generated sample
};

/// Density and coverage (Naeem et al. 2020), robust variants of precision and recall that
/// build balls around the real samples only (radius: distance to the `k`-th nearest real
/// neighbour; the paper uses k = 5). Density = (1 / kM) Σⱼ #{i : fakeⱼ ∈ ball(realᵢ)}, which
/// is about 1 for a matching distribution and may exceed 1; coverage = fraction of real
/// samples whose ball holds a generated sample.
///
/// Cost: O((Nr + Nf) Nr D) time. `OptionError` unless 1 <= k < Nr.
inline DensityCoverage density_coverage(const torch::Tensor& real, const torch::Tensor& fake,
                                        int64_t k = 5) {
  auto [r, f] = detail::as_feature_pair(real, fake, "density_coverage");
  const torch::Tensor radii = detail::knn_radii(r, k, "density_coverage", "the real set");
  DensityCoverage out;
  const torch::Tensor inside = detail::ball_counts(f, r, radii);
  out.density = inside.to(torch::kDouble).sum().item<double>() /
                (static_cast<double>(k) * static_cast<double>(f.size(0)));
  // A real ball is covered when its nearest generated sample lies within its radius.
  torch::Tensor nearest = torch::empty({r.size(0)}, torch::kDouble);
  detail::for_each_distance_block(r, f, [&](int64_t start, const torch::Tensor& d) {
    nearest.narrow(0, start, d.size(0)).copy_(std::get<0>(d.min(1)));
  });
  out.coverage = nearest.le(radii).to(torch::kDouble).mean().item<double>();
  return out;
}

}  // namespace gancraft::metrics
