#pragma once
/// @file gancraft/losses/hinge.hpp

#include <torch/torch.h>

namespace gancraft::losses {

/// Hinge GAN loss.
///
/// Lim & Ye 2017, "Geometric GAN", arXiv:1705.02894; Miyato et al. 2018, "Spectral
/// Normalization for GANs", arXiv:1802.05957, eq. (17): D minimises E[max(0, 1 − s_r)] +
/// E[max(0, 1 + s_f)]; G minimises −E[s_f].
struct Hinge {
  /// mean(relu(1 − real)) + mean(relu(1 + fake)).
  torch::Tensor discriminator_loss(const torch::Tensor& real, const torch::Tensor& fake) const {
    return torch::relu(1 - real).mean() + torch::relu(1 + fake).mean();
  }
  /// −mean(fake).
  torch::Tensor generator_loss(const torch::Tensor& fake) const { return -fake.mean(); }
};

}  // namespace gancraft::losses
