#pragma once
/// @file gancraft/concepts/conditional_discriminator.hpp

#include <gancraft/concepts/module.hpp>

namespace gancraft {

/// A discriminator that scores samples together with their class labels, such as a
/// projection discriminator (Miyato & Koyama 2018; `nn::ProjectionHead`).
///
/// A type `D` models `ConditionalDiscriminator` when:
///  1. `*d` is a `torch::nn::Module` (a `TORCH_MODULE` holder or a `std::shared_ptr` to one);
///  2. `d->forward(x, labels)` takes samples `[N, ...]` and int64 labels `[N]` and returns one
///     score per sample, `[N]` or `[N, 1]` (or, with a `ConditionalLoss`, the output that loss
///     reads, e.g. `[N, 1 + C]`);
///  3. `d->parameters()` lists its trainable tensors;
///  4. it has no one-tensor `forward(x)` (`torch::nn::Sequential` accepts anything, so it stays
///     unconditional).
///
/// A conditional generator may also be paired with an unconditional discriminator that
/// predicts the class itself (AC-GAN, `losses::AuxiliaryClassifier`).
template <class D>
concept ConditionalDiscriminator =
    detail::module_handle<D> && detail::takes_labels<D> && detail::has_parameters<D>;

}  // namespace gancraft
