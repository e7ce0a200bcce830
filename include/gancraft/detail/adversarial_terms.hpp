#pragma once
/// @file gancraft/detail/adversarial_terms.hpp
/// The adversarial terms of a `Model`'s step for any `Loss` (relativistic or not, with or
/// without `with_penalty`'s penalties), for discriminators that score patches.

#include <gancraft/concepts/loss.hpp>
#include <gancraft/concepts/penalty.hpp>

#include <torch/torch.h>

#include <functional>

namespace gancraft::detail {

/// A discriminator as a function of its input batch.
using ScoreFn = std::function<torch::Tensor(const torch::Tensor&)>;

/// Discriminator loss on inputs `real` and `fake` (detached by the caller): the loss on all
/// scores, flattened (a patch discriminator's scores count one each), plus the loss's penalties,
/// which see one score per sample (the mean over its patches).
template <Loss L>
torch::Tensor discriminator_term(L& loss, const ScoreFn& d, const torch::Tensor& real, const torch::Tensor& fake) {
  torch::Tensor out = loss.discriminator_loss(d(real).flatten(), d(fake).flatten());
  if constexpr (has_penalty<L>) {
    const DiscriminatorFn per_sample = [&d](const torch::Tensor& x) { return d(x).flatten(1).mean(1); };
    out = out + loss.penalty(per_sample, real, fake);
  }
  return out;
}

/// Generator loss from the scores of `fake` (with the graph to the generator); a relativistic
/// loss also gets the scores of `real`.
template <Loss L>
torch::Tensor generator_term(L& loss, const ScoreFn& d, const torch::Tensor& real, const torch::Tensor& fake) {
  if constexpr (has_relativistic_generator_loss<L>) {
    return loss.generator_loss(d(fake).flatten(), d(real).flatten());
  } else {
    (void)real;
    return loss.generator_loss(d(fake).flatten());
  }
}

}  // namespace gancraft::detail
