#pragma once
/// @file gancraft/losses/wasserstein.hpp

#include <torch/torch.h>

namespace gancraft::losses {

/// Wasserstein GAN loss: the critic maximises E[s_r] − E[s_f].
///
/// Arjovsky et al. 2017, "Wasserstein GAN", arXiv:1701.07875. The critic must be kept
/// Lipschitz: with weight clipping (`gancraft::WeightClip`, RMSprop 5e-5, 5 critic steps) as in
/// the paper, or with `penalties::GradientPenalty` (Gulrajani et al. 2017).
struct Wasserstein {
  /// mean(fake) − mean(real).
  torch::Tensor discriminator_loss(const torch::Tensor& real, const torch::Tensor& fake) const {
    return fake.mean() - real.mean();
  }
  /// −mean(fake).
  torch::Tensor generator_loss(const torch::Tensor& fake) const { return -fake.mean(); }
};

}  // namespace gancraft::losses
