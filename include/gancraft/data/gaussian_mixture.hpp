#pragma once
/// @file gancraft/data/gaussian_mixture.hpp
/// Synthetic 2-D Gaussian mixtures, the standard toy targets for spotting
/// mode collapse (ring: Metz et al., 2016, arXiv:1611.02163; grid:
/// Dumoulin et al., 2016, arXiv:1606.00704).

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <cstdint>
#include <numbers>
#include <utility>

#include <torch/torch.h>

#include <gancraft/error.hpp>

namespace gancraft::data {

/// An equal-weight mixture of isotropic 2-D Gaussians with a shared standard
/// deviation. Sampling draws each point's mode uniformly, then adds
/// N(0, stddev^2) noise to each coordinate.
///
/// @code
/// auto ring = gancraft::data::GaussianMixture::ring();   // 8 modes on the unit circle
/// torch::Tensor x = ring.sample(512, /*seed=*/42);         // float [512, 2]
/// torch::Tensor covered = ring.nearest_mode(x).unique();   // which modes were hit
/// @endcode
class GaussianMixture {
 public:
  /// A mixture with the given `means` ([K, 2], any floating dtype; stored as
  /// double) and per-coordinate standard deviation `stddev`.
  /// @throws ShapeError if `means` is not [K, 2] with K >= 1; OptionError if
  /// `stddev` is negative or not finite.
  GaussianMixture(const torch::Tensor& means, double stddev) : stddev_(stddev) {
    GANCRAFT_CHECK(means.defined() && means.dim() == 2 && means.size(0) >= 1 && means.size(1) == 2,
                   ShapeError, "GaussianMixture: means must be [K,2] with K >= 1, got shape ",
                   means.defined() ? means.sizes() : torch::IntArrayRef{});
    GANCRAFT_CHECK(std::isfinite(stddev) && stddev >= 0.0, OptionError,
                   "GaussianMixture: stddev must be finite and >= 0, got ", stddev);
    means_ = means.detach().to(torch::kCPU, torch::kDouble).contiguous().clone();
  }

  /// `modes` modes evenly spaced on a circle of `radius`: mode k sits at
  /// (radius cos(2πk/modes), radius sin(2πk/modes)).
  /// @throws OptionError on modes < 1 or a negative radius or stddev.
  static GaussianMixture ring(int64_t modes = 8, double radius = 1.0, double stddev = 0.01) {
    GANCRAFT_CHECK(modes >= 1, OptionError, "GaussianMixture::ring: modes must be >= 1, got ",
                   modes);
    GANCRAFT_CHECK(std::isfinite(radius) && radius >= 0.0, OptionError,
                   "GaussianMixture::ring: radius must be finite and >= 0, got ", radius);
    torch::Tensor means = torch::empty({modes, 2}, torch::kDouble);
    auto m = means.accessor<double, 2>();
    for (int64_t k = 0; k < modes; ++k) {
      const double angle =
          2.0 * std::numbers::pi * static_cast<double>(k) / static_cast<double>(modes);
      m[k][0] = radius * std::cos(angle);
      m[k][1] = radius * std::sin(angle);
    }
    return GaussianMixture(means, stddev);
  }

  /// A `side` x `side` grid of modes `spacing` apart, centred on the origin:
  /// coordinates (i - (side - 1) / 2) * spacing for i in 0..side-1, so the
  /// defaults give {-4, -2, 0, 2, 4}^2. Mode k = i * side + j sits at
  /// (x_i, y_j).
  /// @throws OptionError on side < 1 or a negative spacing or stddev.
  static GaussianMixture grid(int64_t side = 5, double spacing = 2.0, double stddev = 0.05) {
    GANCRAFT_CHECK(side >= 1, OptionError, "GaussianMixture::grid: side must be >= 1, got ", side);
    GANCRAFT_CHECK(std::isfinite(spacing) && spacing >= 0.0, OptionError,
                   "GaussianMixture::grid: spacing must be finite and >= 0, got ", spacing);
    torch::Tensor means = torch::empty({side * side, 2}, torch::kDouble);
    auto m = means.accessor<double, 2>();
    const double centre = static_cast<double>(side - 1) / 2.0;
    for (int64_t i = 0; i < side; ++i) {
      for (int64_t j = 0; j < side; ++j) {
        m[i * side + j][0] = (static_cast<double>(i) - centre) * spacing;
        m[i * side + j][1] = (static_cast<double>(j) - centre) * spacing;
      }
    }
    return GaussianMixture(means, stddev);
  }

  /// The mode centres, double [K, 2].
  const torch::Tensor& means() const noexcept { return means_; }
  /// The per-coordinate standard deviation shared by all modes.
  double stddev() const noexcept { return stddev_; }
  /// Number of modes K.
  int64_t num_modes() const noexcept { return means_.size(0); }

  /// `n` points, float [n, 2], with modes drawn uniformly. The same `seed`
  /// always gives the same points: a private CPU generator seeded with
  /// `seed` is used, never the global one.
  /// @throws OptionError on negative `n`.
  torch::Tensor sample(int64_t n, uint64_t seed) const { return sample_with_modes(n, seed).first; }

  /// As `sample`, also returning each point's mode, int64 [n].
  std::pair<torch::Tensor, torch::Tensor> sample_with_modes(int64_t n, uint64_t seed) const {
    GANCRAFT_CHECK(n >= 0, OptionError, "GaussianMixture::sample: n must be >= 0, got ", n);
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
    const torch::Tensor modes =
        torch::randint(num_modes(), {n}, generator, torch::TensorOptions().dtype(torch::kLong));
    const torch::Tensor noise =
        torch::randn({n, 2}, generator, torch::TensorOptions().dtype(torch::kDouble));
    torch::Tensor points = means_.index_select(0, modes) + stddev_ * noise;
    return {points.to(torch::kFloat), modes};
  }

  /// Index of the nearest mode (Euclidean) for each of `points` [n, 2], int64 [n].
  /// @throws ShapeError if `points` is not [n, 2].
  torch::Tensor nearest_mode(const torch::Tensor& points) const {
    GANCRAFT_CHECK(points.defined() && points.dim() == 2 && points.size(1) == 2, ShapeError,
                   "GaussianMixture::nearest_mode: points must be [n,2], got shape ",
                   points.defined() ? points.sizes() : torch::IntArrayRef{});
    const torch::Tensor p = points.detach().to(torch::kCPU, torch::kDouble);
    // Squared distances [n, K] by broadcasting; K is small, so this is cheap and exact.
    const torch::Tensor d2 = (p.unsqueeze(1) - means_.unsqueeze(0)).pow(2).sum(2);
    return d2.argmin(1);
  }

 private:
  torch::Tensor means_;
  double stddev_;
};

}  // namespace gancraft::data
