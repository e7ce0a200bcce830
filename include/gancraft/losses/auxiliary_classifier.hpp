#pragma once
/// @file gancraft/losses/auxiliary_classifier.hpp

#include <gancraft/concepts/loss.hpp>
#include <gancraft/concepts/penalty.hpp>
#include <gancraft/error.hpp>

#include <torch/torch.h>

#include <utility>

namespace gancraft::losses {

/// The auxiliary-classifier loss of AC-GAN (Odena, Olah & Shlens 2017, arXiv:1610.09585): the
/// discriminator returns `[N, 1 + C]`, an adversarial logit then C class logits. With `base`
/// the adversarial loss on column 0 (any `Loss` with a one-argument `generator_loss`, so not
/// `RelativisticAverage`) and CE the mean cross-entropy of the class logits against
/// the labels (the real labels for real samples, the conditioning labels for fakes):
///
///   discriminator: base_D(real, fake) + weight · (CE(real) + CE(fake))
///   generator:     base_G(fake) + weight · CE(fake)
///
/// as in the paper, where D maximises L_S + L_C and G maximises L_C − L_S. Pair it with a
/// `ConditionalGenerator` and an unconditional discriminator (`models::AuxiliaryDCGANDiscriminator`).
/// Penalties of a `with_penalty` base see the adversarial column only.
/// @code
/// gc::losses::AuxiliaryClassifier loss(gc::losses::NonSaturating{}, /*weight=*/1.0);
/// @endcode
template <Loss L>
  requires detail::has_generator_loss<L>  // a relativistic base would need the real batch too
class AuxiliaryClassifier {
 public:
  /// `OptionError` unless `weight` >= 0.
  explicit AuxiliaryClassifier(L base, double weight = 1.0) : base_(std::move(base)), weight_(weight) {
    GANCRAFT_CHECK(weight >= 0, OptionError, "AuxiliaryClassifier: weight must be >= 0, got ", weight);
  }

  /// The adversarial logits, column 0 of `out` `[N, 1 + C]`.
  torch::Tensor scores(const torch::Tensor& out) const {
    check(out);
    return out.select(1, 0);
  }
  /// The class logits, columns 1… of `out`, `[N, C]`.
  torch::Tensor class_logits(const torch::Tensor& out) const {
    check(out);
    return out.narrow(1, 1, out.size(1) - 1);
  }

  /// base_D on the adversarial column plus `weight` × the classification loss of both batches.
  torch::Tensor discriminator_loss(const torch::Tensor& real_out, const torch::Tensor& fake_out,
                                   const torch::Tensor& real_labels, const torch::Tensor& fake_labels) {
    return base_.discriminator_loss(scores(real_out), scores(fake_out)) +
           weight_ * (torch::cross_entropy_loss(class_logits(real_out), real_labels) +
                      torch::cross_entropy_loss(class_logits(fake_out), fake_labels));
  }
  /// base_G on the adversarial column plus `weight` × the classification loss of the fakes.
  torch::Tensor generator_loss(const torch::Tensor& fake_out, const torch::Tensor& fake_labels) {
    return base_.generator_loss(scores(fake_out)) +
           weight_ * torch::cross_entropy_loss(class_logits(fake_out), fake_labels);
  }
  /// The base's penalties (`with_penalty`), on the adversarial column.
  torch::Tensor penalty(const DiscriminatorFn& d, const torch::Tensor& real, const torch::Tensor& fake)
    requires detail::has_penalty<L>
  {
    return base_.penalty(d, real, fake);
  }

  L& base() { return base_; }                 ///< the adversarial loss
  double weight() const { return weight_; }   ///< the classification term's weight

 private:
  static void check(const torch::Tensor& out) {
    GANCRAFT_CHECK(out.dim() == 2 && out.size(1) >= 2, ShapeError,
                   "AuxiliaryClassifier: the discriminator must return [N, 1 + num_classes] "
                   "(an adversarial logit, then class logits), got ", out.sizes());
  }

  L base_;
  double weight_;
};

}  // namespace gancraft::losses
