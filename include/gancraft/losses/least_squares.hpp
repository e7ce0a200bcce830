#pragma once
/// @file gancraft/losses/least_squares.hpp

#include <torch/torch.h>

namespace gancraft::losses {

/// Least-squares GAN loss with targets a = 0 (fake), b = 1 (real), c = 1 (generator's goal).
///
/// Mao et al. 2017, "Least Squares Generative Adversarial Networks", arXiv:1611.04076, eq. (2):
/// D minimises ½E[(s_r − 1)²] + ½E[s_f²]; G minimises ½E[(s_f − 1)²]. Scores are used raw.
struct LeastSquares {
  /// ½·mean((real − 1)²) + ½·mean(fake²).
  torch::Tensor discriminator_loss(const torch::Tensor& real, const torch::Tensor& fake) const {
    return 0.5 * (real - 1).square().mean() + 0.5 * fake.square().mean();
  }
  /// ½·mean((fake − 1)²).
  torch::Tensor generator_loss(const torch::Tensor& fake) const {
    return 0.5 * (fake - 1).square().mean();
  }
};

}  // namespace gancraft::losses
