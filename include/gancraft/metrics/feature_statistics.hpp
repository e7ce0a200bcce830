#pragma once
/// @file gancraft/metrics/feature_statistics.hpp

#include <gancraft/error.hpp>

#include <torch/torch.h>

#include <cstdint>

namespace gancraft::metrics {

/// Streaming mean and covariance of feature vectors, in float64.
///
/// Batches are merged with the pairwise update of Chan, Golub and LeVeque (1979), so a
/// million samples never sit in memory at once and the result does not depend on how the
/// samples were split into batches (up to rounding).
/// @code
/// gc::metrics::FeatureStatistics stats;
/// for (auto& batch : batches) stats.add(extract(batch));   // each [N, D]
/// double d2 = gc::metrics::frechet_distance(stats, real_stats);
/// @endcode
class FeatureStatistics {
 public:
  FeatureStatistics() = default;
  /// The statistics of `features` [N, D].
  explicit FeatureStatistics(const torch::Tensor& features) { add(features); }

  /// Adds a batch of feature vectors [N, D]; `ShapeError` on another rank or a dimension that
  /// differs from earlier batches, `OptionError` on NaN or Inf.
  void add(const torch::Tensor& features) {
    GANCRAFT_CHECK(features.defined() && features.dim() == 2, ShapeError,
                   "FeatureStatistics: features must be [N, D], got shape ",
                   features.defined() ? features.sizes() : torch::IntArrayRef{});
    GANCRAFT_CHECK(count_ == 0 || features.size(1) == dim(), ShapeError,
                   "FeatureStatistics: a batch has ", features.size(1),
                   " features per sample, earlier batches had ", dim());
    const int64_t n = features.size(0);
    if (n == 0) return;
    torch::Tensor x = features.detach().to(torch::kCPU, torch::kDouble);
    GANCRAFT_CHECK(torch::isfinite(x).all().item<bool>(), OptionError,
                   "FeatureStatistics: features contain NaN or Inf");
    torch::Tensor mean = x.mean(0);
    torch::Tensor centred = x - mean;
    torch::Tensor scatter = centred.t().mm(centred);
    merge(n, mean, scatter);
  }

  /// Merges the statistics of another set into this one.
  void add(const FeatureStatistics& other) {
    if (other.count_ == 0) return;
    GANCRAFT_CHECK(count_ == 0 || other.dim() == dim(), ShapeError,
                   "FeatureStatistics: cannot merge ", other.dim(), "-dimensional statistics into ",
                   dim(), "-dimensional ones");
    merge(other.count_, other.mean_, other.scatter_);
  }

  int64_t count() const noexcept { return count_; }                   ///< samples seen
  int64_t dim() const noexcept { return count_ ? mean_.size(0) : 0; }  ///< features per sample
  const torch::Tensor& mean() const noexcept { return mean_; }         ///< float64 [D]

  /// The unbiased (N − 1) covariance, float64 [D, D], as pytorch-fid and torchmetrics use;
  /// `OptionError` with fewer than two samples.
  torch::Tensor covariance() const {
    GANCRAFT_CHECK(count_ >= 2, OptionError,
                   "FeatureStatistics: a covariance needs at least 2 samples, have ", count_);
    return scatter_ / static_cast<double>(count_ - 1);
  }

 private:
  void merge(int64_t n, const torch::Tensor& mean, const torch::Tensor& scatter) {
    if (count_ == 0) {
      count_ = n;
      mean_ = mean.clone();
      scatter_ = scatter.clone();
      return;
    }
    const double na = static_cast<double>(count_), nb = static_cast<double>(n);
    const double total = na + nb;
    torch::Tensor delta = mean - mean_;
    mean_ = mean_ + delta * (nb / total);
    scatter_ = scatter_ + scatter + torch::outer(delta, delta) * (na * nb / total);
    count_ += n;
  }

  int64_t count_ = 0;
  torch::Tensor mean_;     // [D]
  torch::Tensor scatter_;  // sum of centred outer products [D, D]
};

}  // namespace gancraft::metrics
