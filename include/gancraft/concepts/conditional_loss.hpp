#pragma once
/// @file gancraft/concepts/conditional_loss.hpp

#include <torch/torch.h>

#include <concepts>

namespace gancraft {

/// An adversarial objective that also sees class labels and the discriminator's whole output,
/// such as the auxiliary-classifier loss of AC-GAN (`losses::AuxiliaryClassifier`).
///
/// A type `L` models `ConditionalLoss` when it has:
///  1. `torch::Tensor discriminator_loss(real_out, fake_out, real_labels, fake_labels)`;
///  2. `torch::Tensor generator_loss(fake_out, fake_labels)`;
///  3. `torch::Tensor scores(out)`: the adversarial score `[N]` inside an output, which the
///     trainer reports as `d_real` / `d_fake` and hands to penalties.
///
/// `out` is the discriminator's output as it returns it (not flattened); labels are int64 `[N]`.
template <class L>
concept ConditionalLoss = requires(L& l, const torch::Tensor& out, const torch::Tensor& labels) {
  { l.discriminator_loss(out, out, labels, labels) } -> std::same_as<torch::Tensor>;
  { l.generator_loss(out, labels) } -> std::same_as<torch::Tensor>;
  { l.scores(out) } -> std::same_as<torch::Tensor>;
};

}  // namespace gancraft
