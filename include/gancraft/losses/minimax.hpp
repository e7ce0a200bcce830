#pragma once
/// @file gancraft/losses/minimax.hpp

#include <torch/torch.h>

namespace gancraft::losses {

/// The original minimax GAN loss with the saturating generator objective.
///
/// Goodfellow et al. 2014, "Generative Adversarial Nets", arXiv:1406.2661.
/// With D(x) = σ(s): the discriminator minimises −log σ(s_r) − log(1 − σ(s_f)) =
/// softplus(−s_r) + softplus(s_f); the generator minimises log(1 − σ(s_f)) = −softplus(s_f).
/// The generator's gradient vanishes when D rejects fakes confidently; prefer `NonSaturating`.
struct Minimax {
  /// Mean over the batch of softplus(−real) + softplus(fake).
  torch::Tensor discriminator_loss(const torch::Tensor& real, const torch::Tensor& fake) const {
    return torch::softplus(-real).mean() + torch::softplus(fake).mean();
  }
  /// Mean over the batch of −softplus(fake), i.e. log(1 − D(G(z))).
  torch::Tensor generator_loss(const torch::Tensor& fake) const {
    return -torch::softplus(fake).mean();
  }
};

}  // namespace gancraft::losses
