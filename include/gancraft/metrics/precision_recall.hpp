#pragma once
/// @file gancraft/metrics/precision_recall.hpp

#include <gancraft/metrics/nearest_neighbors.hpp>

#include <torch/torch.h>

#include <cstdint>

namespace gancraft::metrics {

/// Improved precision and recall.
struct PrecisionRecall {
  double precision = 0;  ///< fraction of generated samples inside the real manifold
  double recall = 0;     ///< fraction of real samples inside the generated manifold
};

/// Improved precision and recall (Kynkäänniemi et al. 2019): each set's manifold is the union
/// of balls around its samples, each reaching that sample's `k`-th nearest neighbour in its
/// own set. Precision is the fraction of `fake` samples inside the real manifold (quality);
/// recall the fraction of `real` samples inside the generated one (coverage of modes).
/// The paper uses k = 3 and equal set sizes.
///
/// Cost: O((Nr + Nf)² D) time, O(256 · max(Nr, Nf)) memory.
/// `OptionError` unless 1 <= k < each set's size; `ShapeError` on mismatched features.
inline PrecisionRecall precision_recall(const torch::Tensor& real, const torch::Tensor& fake,
                                        int64_t k = 3) {
  auto [r, f] = detail::as_feature_pair(real, fake, "precision_recall");
  const torch::Tensor real_radii = detail::knn_radii(r, k, "precision_recall", "the real set");
  const torch::Tensor fake_radii = detail::knn_radii(f, k, "precision_recall", "the generated set");
  PrecisionRecall out;
  out.precision = detail::ball_counts(f, r, real_radii).gt(0).to(torch::kDouble).mean().item<double>();
  out.recall = detail::ball_counts(r, f, fake_radii).gt(0).to(torch::kDouble).mean().item<double>();
  return out;
}

}  // namespace gancraft::metrics
