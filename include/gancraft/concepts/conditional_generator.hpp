#pragma once
/// @file gancraft/concepts/conditional_generator.hpp

#include <gancraft/concepts/module.hpp>

namespace gancraft {

/// A generator conditioned on class labels (conditional GAN, Mirza & Osindero 2014).
///
/// A type `G` models `ConditionalGenerator` when:
///  1. `*g` is a `torch::nn::Module` (a `TORCH_MODULE` holder or a `std::shared_ptr` to one);
///  2. `g->forward(z, labels)` takes latents `[N, latent_dim]` and int64 labels `[N]` in
///     `[0, TrainerOptions::num_classes)` and returns samples `[N, ...]`;
///  3. `g->parameters()` lists its trainable tensors.
///
/// A module that also takes one tensor (`forward(z)`; `torch::nn::Sequential` takes anything)
/// is not conditional. The trainer treats a conditional generator accordingly: it draws a
/// uniform label for every fake, trains on labelled data and samples with `sample(labels)`.
/// @code
/// struct CondGenImpl : torch::nn::Module {
///   torch::nn::Embedding embed{register_module("embed", torch::nn::Embedding(10, 8))};
///   torch::nn::Linear fc{register_module("fc", torch::nn::Linear(16, 2))};
///   torch::Tensor forward(torch::Tensor z, torch::Tensor labels) {
///     return fc(torch::cat({z, embed(labels)}, 1)); }
/// };
/// TORCH_MODULE(CondGen);  // gancraft::ConditionalGenerator<CondGen> holds
/// @endcode
template <class G>
concept ConditionalGenerator =
    detail::module_handle<G> && detail::takes_labels<G> && detail::has_parameters<G>;

}  // namespace gancraft
