#pragma once
/// @file gancraft/losses/relativistic_average.hpp

#include <torch/torch.h>

namespace gancraft::losses {

/// Relativistic average standard GAN loss (RaSGAN).
///
/// Jolicoeur-Martineau 2018, "The relativistic discriminator: a key element missing from
/// standard GAN", arXiv:1807.00734, section 4.2. With C̃(x_r) = s_r − mean(s_f) and
/// C̃(x_f) = s_f − mean(s_r): D minimises mean softplus(−C̃(x_r)) + mean softplus(C̃(x_f)); G
/// minimises the mirror image mean softplus(−C̃(x_f)) + mean softplus(C̃(x_r)). The generator
/// step therefore needs the real scores too, which the trainer detects and supplies.
struct RelativisticAverage {
  /// mean softplus(−(real − mean(fake))) + mean softplus(fake − mean(real)).
  torch::Tensor discriminator_loss(const torch::Tensor& real, const torch::Tensor& fake) const {
    return torch::softplus(-(real - fake.mean())).mean() +
           torch::softplus(fake - real.mean()).mean();
  }
  /// mean softplus(−(fake − mean(real))) + mean softplus(real − mean(fake)).
  torch::Tensor generator_loss(const torch::Tensor& fake, const torch::Tensor& real) const {
    return torch::softplus(-(fake - real.mean())).mean() +
           torch::softplus(real - fake.mean()).mean();
  }
};

}  // namespace gancraft::losses
