#pragma once
/// @file gancraft/concepts/penalty.hpp

#include <torch/torch.h>

#include <concepts>
#include <functional>

namespace gancraft {

/// The discriminator as a penalty sees it: one batch in, one score per sample out.
/// Penalties call it to differentiate the discriminator with respect to its input.
using DiscriminatorFn = std::function<torch::Tensor(const torch::Tensor&)>;

/// An input-space regulariser of the discriminator (gradient penalty, R1, R2).
///
/// A type `P` models `Penalty` when it has
/// `torch::Tensor penalty(const DiscriminatorFn& d, const torch::Tensor& real, const torch::Tensor& fake)`
/// returning a scalar that the trainer adds to the discriminator loss and back-propagates.
/// Random draws must come from `gancraft::training_generator()` so runs repeat for a seed; a
/// penalty that draws one number per sample should draw them for the whole batch and keep
/// this process's rows (`gancraft::training_shard()`), so that data-parallel runs match one
/// process.
template <class P>
concept Penalty =
    requires(P& p, const DiscriminatorFn& d, const torch::Tensor& real, const torch::Tensor& fake) {
      { p.penalty(d, real, fake) } -> std::same_as<torch::Tensor>;
    };

namespace detail {
/// A loss that carries its own penalty term, as `with_penalty` produces.
template <class L>
concept has_penalty =
    requires(L& l, const DiscriminatorFn& d, const torch::Tensor& real, const torch::Tensor& fake) {
      { l.penalty(d, real, fake) } -> std::same_as<torch::Tensor>;
    };
}  // namespace detail

}  // namespace gancraft
