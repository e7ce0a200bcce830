#pragma once
/// @file gancraft/losses/non_saturating.hpp

#include <torch/torch.h>

namespace gancraft::losses {

/// The non-saturating GAN loss: the minimax discriminator objective, and a generator that
/// maximises log D(G(z)) instead of minimising log(1 − D(G(z))).
///
/// Goodfellow et al. 2014, "Generative Adversarial Nets", arXiv:1406.2661, section 3.
/// Computed on logits: D minimises softplus(−s_r) + softplus(s_f); G minimises softplus(−s_f).
struct NonSaturating {
  /// Mean over the batch of softplus(−real) + softplus(fake) (binary cross-entropy on logits).
  torch::Tensor discriminator_loss(const torch::Tensor& real, const torch::Tensor& fake) const {
    return torch::softplus(-real).mean() + torch::softplus(fake).mean();
  }
  /// Mean over the batch of softplus(−fake) = −log σ(fake).
  torch::Tensor generator_loss(const torch::Tensor& fake) const {
    return torch::softplus(-fake).mean();
  }
};

}  // namespace gancraft::losses
