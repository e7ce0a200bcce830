#pragma once
/// @file gancraft/metrics/mixture_quality.hpp

#include <gancraft/data/gaussian_mixture.hpp>
#include <gancraft/error.hpp>

#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <limits>

namespace gancraft::metrics {

/// The mode-collapse measures of the 2-D mixture benchmark (PacGAN, Lin et al. 2018).
struct MixtureQuality {
  int64_t modes = 0;          ///< modes with at least one high-quality sample
  double hq_fraction = 0;     ///< fraction of samples within `hq_stddevs` σ of their mode
  double reverse_kl = 0;      ///< KL(p̂ ‖ uniform) of the high-quality samples' mode histogram
  torch::Tensor mode_counts;  ///< int64 [K]: high-quality samples per mode
};

/// Scores generated 2-D `samples` [N, 2] against `mixture`: each sample goes to its nearest
/// mode (in units of the mode's standard deviation; the modes share one σ, so this is the
/// Euclidean nearest) and is high quality when within `hq_stddevs` σ of it (3 in PacGAN).
/// A mode is captured when it has a high-quality sample. `reverse_kl` is
/// Σₖ p̂ₖ log(K p̂ₖ) over the captured modes: 0 for a perfectly balanced generator, log K when
/// every high-quality sample falls on one mode, NaN when there are none.
inline MixtureQuality mixture_quality(const torch::Tensor& samples,
                                      const data::GaussianMixture& mixture,
                                      double hq_stddevs = 3.0) {
  GANCRAFT_CHECK(samples.defined() && samples.dim() == 2 && samples.size(1) == 2 &&
                     samples.size(0) > 0,
                 ShapeError, "mixture_quality: samples must be [N, 2] with N > 0, got shape ",
                 samples.defined() ? samples.sizes() : torch::IntArrayRef{});
  GANCRAFT_CHECK(hq_stddevs > 0, OptionError, "mixture_quality: hq_stddevs must be > 0, got ",
                 hq_stddevs);
  const torch::Tensor p = samples.detach().to(torch::kCPU, torch::kDouble);
  const torch::Tensor nearest = mixture.nearest_mode(p);
  const torch::Tensor distance = (p - mixture.means().index_select(0, nearest)).norm(2, 1);
  const torch::Tensor hq = distance.le(hq_stddevs * mixture.stddev());
  MixtureQuality out;
  out.mode_counts = torch::bincount(nearest.masked_select(hq), {}, mixture.num_modes());
  out.modes = out.mode_counts.gt(0).sum().item<int64_t>();
  const int64_t hq_count = hq.sum().item<int64_t>();
  out.hq_fraction = static_cast<double>(hq_count) / static_cast<double>(samples.size(0));
  if (hq_count == 0) {
    out.reverse_kl = std::numeric_limits<double>::quiet_NaN();
  } else {
    const torch::Tensor q = out.mode_counts.to(torch::kDouble) / static_cast<double>(hq_count);
    const torch::Tensor terms = q * (q * static_cast<double>(mixture.num_modes())).log();
    out.reverse_kl = terms.masked_select(q.gt(0)).sum().item<double>();
  }
  return out;
}

}  // namespace gancraft::metrics
