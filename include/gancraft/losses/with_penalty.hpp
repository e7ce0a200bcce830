#pragma once
/// @file gancraft/losses/with_penalty.hpp

#include <gancraft/concepts/loss.hpp>
#include <gancraft/concepts/penalty.hpp>

#include <torch/torch.h>

#include <tuple>
#include <utility>

namespace gancraft {

/// A loss plus one or more discriminator penalties; still a `Loss`.
///
/// Its score terms are the wrapped loss's; `penalty(d, real, fake)` sums the penalties, and the
/// trainer adds that sum to every discriminator step. Build one with `with_penalty`.
/// @tparam L  the wrapped `Loss`
/// @tparam Ps the `Penalty` types
template <Loss L, Penalty... Ps>
class WithPenalty {
 public:
  /// Wraps `loss` and `penalties` (kept in order); `with_penalty` deduces the types.
  WithPenalty(L loss, Ps... penalties)
      : loss_(std::move(loss)), penalties_(std::move(penalties)...) {}

  /// The wrapped loss's discriminator term (penalties are added by the trainer via `penalty`).
  torch::Tensor discriminator_loss(const torch::Tensor& real, const torch::Tensor& fake) {
    return loss_.discriminator_loss(real, fake);
  }
  /// The wrapped loss's generator term.
  torch::Tensor generator_loss(const torch::Tensor& fake)
    requires detail::has_generator_loss<L>
  {
    return loss_.generator_loss(fake);
  }
  /// The wrapped loss's relativistic generator term.
  torch::Tensor generator_loss(const torch::Tensor& fake, const torch::Tensor& real)
    requires detail::has_relativistic_generator_loss<L>
  {
    return loss_.generator_loss(fake, real);
  }
  /// Sum of all penalties for this batch.
  torch::Tensor penalty(const DiscriminatorFn& d, const torch::Tensor& real,
                        const torch::Tensor& fake) {
    return std::apply(
        [&](auto&... p) { return (p.penalty(d, real, fake) + ...); }, penalties_);
  }

  L& loss() { return loss_; }                          ///< the wrapped loss
  std::tuple<Ps...>& penalties() { return penalties_; }  ///< the penalties, in order

 private:
  L loss_;
  std::tuple<Ps...> penalties_;
};

/// Combines a loss with discriminator penalties:
/// `gc::with_penalty(gc::losses::Wasserstein{}, gc::penalties::GradientPenalty{})`.
template <Loss L, Penalty... Ps>
  requires(sizeof...(Ps) > 0)
WithPenalty<L, Ps...> with_penalty(L loss, Ps... penalties) {
  return WithPenalty<L, Ps...>(std::move(loss), std::move(penalties)...);
}

}  // namespace gancraft
