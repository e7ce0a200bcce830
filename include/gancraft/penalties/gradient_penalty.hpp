#pragma once
/// @file gancraft/penalties/gradient_penalty.hpp

#include <gancraft/error.hpp>
#include <gancraft/penalties/input_gradient.hpp>
#include <gancraft/core/random.hpp>

#include <torch/torch.h>

#include <vector>

namespace gancraft::penalties {

/// The WGAN-GP gradient penalty λ·E[(‖∇D(x̂)‖₂ − 1)²] on random interpolates x̂ = αx_r + (1−α)x_f.
///
/// Gulrajani et al. 2017, "Improved Training of Wasserstein GANs", arXiv:1704.00028, Algorithm 1:
/// one α ~ U[0, 1] per sample, the gradient taken with respect to the input and the penalty
/// back-propagated into the critic (create_graph). Default weight λ = 10 as in the paper.
/// α is drawn from `gancraft::training_generator()`, so a seeded run repeats exactly. When the
/// trainer shards each batch across processes (`gancraft::training_shard()`, data
/// parallelism), α is drawn for the whole batch and this process keeps its part, so every
/// sample gets the α of a single-process run and the stream advances as there.
struct GradientPenalty {
  double weight = 10.0;  ///< λ
  double target = 1.0;   ///< the gradient norm the critic is pulled towards

  /// λ · mean over the batch of (‖∇ₓD(x̂)‖₂ − target)².
  torch::Tensor penalty(const DiscriminatorFn& d, const torch::Tensor& real,
                        const torch::Tensor& fake) const {
    GANCRAFT_CHECK(real.sizes() == fake.sizes(), ShapeError,
                   "GradientPenalty: real batch ", real.sizes(), " and fake batch ", fake.sizes(),
                   " must have the same shape");
    const BatchShard shard = training_shard();
    const int64_t n = real.size(0);
    std::vector<int64_t> alpha_shape(static_cast<size_t>(real.dim()), 1);
    alpha_shape[0] = n * shard.count;
    torch::Tensor alpha = torch::rand(alpha_shape, training_generator(),
                                      torch::TensorOptions().dtype(real.dtype()))
                              .narrow(0, shard.index * n, n)
                              .to(real.device());
    torch::Tensor mixed = alpha * real.detach() + (1 - alpha) * fake.detach();
    torch::Tensor norms = detail::input_gradient(d, mixed).norm(2, 1);
    return weight * (norms - target).square().mean();
  }
};

}  // namespace gancraft::penalties
