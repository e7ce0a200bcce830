#pragma once
/// @file gancraft/concepts/loss.hpp

#include <torch/torch.h>

#include <concepts>

namespace gancraft {
namespace detail {

/// `l.discriminator_loss(real_scores, fake_scores)` returns the discriminator's scalar loss.
template <class L>
concept has_discriminator_loss = requires(L& l, const torch::Tensor& r, const torch::Tensor& f) {
  { l.discriminator_loss(r, f) } -> std::same_as<torch::Tensor>;
};

/// `l.generator_loss(fake_scores)` returns the generator's scalar loss.
template <class L>
concept has_generator_loss = requires(L& l, const torch::Tensor& f) {
  { l.generator_loss(f) } -> std::same_as<torch::Tensor>;
};

/// `l.generator_loss(fake_scores, real_scores)`: a relativistic generator loss, which also
/// needs the scores of the real batch.
template <class L>
concept has_relativistic_generator_loss =
    requires(L& l, const torch::Tensor& f, const torch::Tensor& r) {
      { l.generator_loss(f, r) } -> std::same_as<torch::Tensor>;
    };

}  // namespace detail

/// An adversarial objective over discriminator scores.
///
/// A type `L` models `Loss` when it has:
///  1. `torch::Tensor discriminator_loss(const torch::Tensor& real_scores, const torch::Tensor& fake_scores)`;
///  2. either `torch::Tensor generator_loss(const torch::Tensor& fake_scores)`, or, for losses
///     that compare against the real batch (relativistic), `torch::Tensor
///     generator_loss(const torch::Tensor& fake_scores, const torch::Tensor& real_scores)`.
///
/// Scores arrive flattened to `[N]`; both functions return a scalar to minimise.
/// @code
/// struct MyLoss {
///   torch::Tensor discriminator_loss(const torch::Tensor& r, const torch::Tensor& f) {
///     return torch::softplus(-r).mean() + torch::softplus(f).mean(); }
///   torch::Tensor generator_loss(const torch::Tensor& f) { return torch::softplus(-f).mean(); }
/// };
/// @endcode
template <class L>
concept Loss = detail::has_discriminator_loss<L> &&
               (detail::has_generator_loss<L> || detail::has_relativistic_generator_loss<L>);

}  // namespace gancraft
