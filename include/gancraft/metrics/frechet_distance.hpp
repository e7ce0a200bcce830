#pragma once
/// @file gancraft/metrics/frechet_distance.hpp

#include <gancraft/error.hpp>
#include <gancraft/metrics/feature_statistics.hpp>

#include <torch/torch.h>

#include <string>

namespace gancraft::metrics {
namespace detail {

/// Tr((A B)^½) for symmetric positive semi-definite A and B, through the symmetric form
/// Tr((A^½ B A^½)^½): A B is not symmetric and its square root may come out complex in
/// floating point (pytorch-fid has to drop an imaginary part), whereas A^½ B A^½ is symmetric,
/// so two eigendecompositions give a real result. Eigenvalues that rounding pushes below zero
/// are clamped.
inline double trace_sqrt_product(const torch::Tensor& a, const torch::Tensor& b) {
  auto [values, vectors] = torch::linalg_eigh(a, "L");
  torch::Tensor root_a = (vectors * values.clamp_min(0).sqrt()).mm(vectors.t());
  torch::Tensor m = root_a.mm(b).mm(root_a);
  m = (m + m.t()) * 0.5;
  return torch::linalg_eigvalsh(m, "L").clamp_min(0).sqrt().sum().item<double>();
}

inline void check_enough_samples(const FeatureStatistics& s, const char* name) {
  GANCRAFT_CHECK(s.count() > s.dim(), OptionError, "frechet_distance: set ", name, " has ",
                 s.count(), " samples for ", s.dim(),
                 " features; the covariance is singular unless the sample count exceeds the "
                 "feature size (use at least 10x as many samples as features)");
}

}  // namespace detail

/// The Fréchet distance between two Gaussians fitted to feature sets (Heusel et al. 2017):
/// d² = ‖μa − μb‖² + Tr(Ca + Cb − 2 (Ca Cb)^½), in float64 with unbiased covariances.
/// With Inception-v3 pool features this is FID.
///
/// `OptionError` when a set has no more samples than features (its covariance would be
/// singular); `ShapeError` when the feature sizes differ.
/// @code
/// double fid = gc::metrics::frechet_distance(real_stats, fake_stats);
/// @endcode
inline double frechet_distance(const FeatureStatistics& a, const FeatureStatistics& b) {
  GANCRAFT_CHECK(a.dim() == b.dim(), ShapeError, "frechet_distance: set a has ", a.dim(),
                 " features per sample, set b has ", b.dim());
  detail::check_enough_samples(a, "a");
  detail::check_enough_samples(b, "b");
  const torch::Tensor ca = a.covariance(), cb = b.covariance();
  const double mean_term = (a.mean() - b.mean()).pow(2).sum().item<double>();
  const double trace_term = ca.trace().item<double>() + cb.trace().item<double>();
  return mean_term + trace_term - 2.0 * detail::trace_sqrt_product(ca, cb);
}

/// The Fréchet distance between feature sets `a` [Na, D] and `b` [Nb, D].
inline double frechet_distance(const torch::Tensor& a, const torch::Tensor& b) {
  return frechet_distance(FeatureStatistics(a), FeatureStatistics(b));
}

}  // namespace gancraft::metrics
