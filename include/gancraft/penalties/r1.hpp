#pragma once
/// @file gancraft/penalties/r1.hpp

#include <gancraft/penalties/input_gradient.hpp>

#include <torch/torch.h>

namespace gancraft::penalties {

/// R1 regulariser: (γ/2)·E_real[‖∇ₓD(x)‖²], the gradient penalty on real data only.
///
/// Mescheder et al. 2018, "Which Training Methods for GANs do actually Converge?",
/// arXiv:1801.04406, eq. (9). Default γ = 10 (the paper's CelebA/LSUN setting).
struct R1 {
  double gamma = 10.0;  ///< γ

  /// (γ/2) · mean over the real batch of the squared input-gradient norm.
  torch::Tensor penalty(const DiscriminatorFn& d, const torch::Tensor& real,
                        const torch::Tensor& /*fake*/) const {
    return 0.5 * gamma * detail::input_gradient(d, real).square().sum(1).mean();
  }
};

/// R2 regulariser: (γ/2)·E_fake[‖∇ₓD(x)‖²], the same penalty on generated data.
///
/// Mescheder et al. 2018, arXiv:1801.04406, eq. (10).
struct R2 {
  double gamma = 10.0;  ///< γ

  /// (γ/2) · mean over the fake batch of the squared input-gradient norm.
  torch::Tensor penalty(const DiscriminatorFn& d, const torch::Tensor& /*real*/,
                        const torch::Tensor& fake) const {
    return 0.5 * gamma * detail::input_gradient(d, fake).square().sum(1).mean();
  }
};

}  // namespace gancraft::penalties
