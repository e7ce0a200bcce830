#pragma once
/// @file gancraft/metrics/kernel_inception_distance.hpp

#include <gancraft/error.hpp>
#include <gancraft/core/random.hpp>

#include <torch/torch.h>

#include <cmath>
#include <cstdint>

namespace gancraft::metrics {

/// Options of `kernel_inception_distance`; the defaults are those of Bińkowski et al. (2018)
/// and torchmetrics.
struct KidOptions {
  /// Number of random subsets the estimate is averaged over.
  TORCH_ARG(int64_t, subsets) = 100;
  /// Samples drawn (without replacement) from each set for one subset.
  TORCH_ARG(int64_t, subset_size) = 1000;
  /// Seed of the subset draws, so a KID repeats exactly.
  TORCH_ARG(uint64_t, seed) = 0;
};

/// Mean and standard deviation of the per-subset estimates.
struct KidResult {
  double mean = 0;  ///< KID: the mean of the subsets' unbiased MMD² estimates
  double std = 0;   ///< their population standard deviation (as torchmetrics reports it)
};

namespace detail {

/// The unbiased MMD² estimate between `x` [m, D] and `y` [m, D] (float64) with the cubic
/// polynomial kernel k(u, v) = (u·v / D + 1)³.
inline double unbiased_mmd2(const torch::Tensor& x, const torch::Tensor& y) {
  const double d = static_cast<double>(x.size(1));
  const double m = static_cast<double>(x.size(0));
  auto kernel = [d](const torch::Tensor& u, const torch::Tensor& v) {
    return (u.mm(v.t()) / d + 1.0).pow(3);
  };
  const torch::Tensor kxx = kernel(x, x), kyy = kernel(y, y), kxy = kernel(x, y);
  const double within = (kxx.sum() - kxx.trace() + kyy.sum() - kyy.trace()).item<double>();
  return within / (m * (m - 1.0)) - 2.0 * kxy.sum().item<double>() / (m * m);
}

}  // namespace detail

/// Kernel Inception Distance (Bińkowski et al. 2018, "Demystifying MMD GANs"): the unbiased
/// MMD² between feature sets `a` [Na, D] and `b` [Nb, D] under the kernel
/// k(u, v) = (u·v / D + 1)³, averaged over `subsets` random subsets of `subset_size` samples
/// of each set. Unbiased, so it can be slightly negative when the sets match.
///
/// `OptionError` when `subset_size` is < 2 or exceeds either set, or equals both with more than
/// one subset (every subset would be the same); `ShapeError` on feature sizes that differ.
/// @code
/// auto kid = gc::metrics::kernel_inception_distance(real, fake,
///     gc::metrics::KidOptions().subsets(50).subset_size(500));
/// @endcode
inline KidResult kernel_inception_distance(const torch::Tensor& a, const torch::Tensor& b,
                                           KidOptions options = {}) {
  GANCRAFT_CHECK(a.defined() && b.defined() && a.dim() == 2 && b.dim() == 2, ShapeError,
                 "kernel_inception_distance: features must be [N, D]");
  GANCRAFT_CHECK(a.size(1) == b.size(1), ShapeError, "kernel_inception_distance: set a has ",
                 a.size(1), " features per sample, set b has ", b.size(1));
  GANCRAFT_CHECK(options.subsets() >= 1, OptionError,
                 "kernel_inception_distance: subsets must be >= 1, got ", options.subsets());
  const int64_t m = options.subset_size();
  GANCRAFT_CHECK(m >= 2 && m <= a.size(0) && m <= b.size(0), OptionError,
                 "kernel_inception_distance: subset_size ", m,
                 " must be >= 2 and at most the size of each set (a has ", a.size(0),
                 " samples, b has ", b.size(0), ")");
  GANCRAFT_CHECK(options.subsets() == 1 || m < a.size(0) || m < b.size(0), OptionError,
                 "kernel_inception_distance: subset_size ", m, " is the size of both sets, so each of the ",
                 options.subsets(), " subsets would be the whole of both (one estimate, no spread); use a "
                 "smaller subset_size, or subsets 1");
  const torch::Tensor x = a.detach().to(torch::kCPU, torch::kDouble);
  const torch::Tensor y = b.detach().to(torch::kCPU, torch::kDouble);
  GANCRAFT_CHECK(torch::isfinite(x).all().item<bool>(), OptionError,
                 "kernel_inception_distance: set a contains NaN or Inf");
  GANCRAFT_CHECK(torch::isfinite(y).all().item<bool>(), OptionError,
                 "kernel_inception_distance: set b contains NaN or Inf");
  at::Generator gen = make_generator(options.seed());
  const auto long_options = torch::TensorOptions().dtype(torch::kLong);
  torch::Tensor estimates = torch::empty({options.subsets()}, torch::kDouble);
  for (int64_t s = 0; s < options.subsets(); ++s) {
    // A subset as large as the set is the whole set: skip the shuffle, so the result does not
    // depend on the generator at all.
    torch::Tensor xs = m == x.size(0) ? x : x.index_select(0, torch::randperm(x.size(0), gen, long_options).narrow(0, 0, m));
    torch::Tensor ys = m == y.size(0) ? y : y.index_select(0, torch::randperm(y.size(0), gen, long_options).narrow(0, 0, m));
    estimates[s] = detail::unbiased_mmd2(xs, ys);
  }
  KidResult r;
  r.mean = estimates.mean().item<double>();
  r.std = options.subsets() > 1 ? estimates.std(/*unbiased=*/false).item<double>() : 0.0;
  return r;
}

}  // namespace gancraft::metrics
