#pragma once
/// @file gancraft/concepts/generator.hpp

#include <gancraft/concepts/module.hpp>

namespace gancraft {

/// A network that maps a latent batch to samples.
///
/// A type `G` models `Generator` when:
///  1. `*g` is a `torch::nn::Module` (a `TORCH_MODULE` holder or a `std::shared_ptr` to one);
///  2. `g->forward(z)` takes one tensor `[N, latent_dim]` and returns one tensor `[N, ...]`;
///  3. `g->parameters()` lists its trainable tensors.
///
/// Minimal example:
/// @code
/// struct GenImpl : torch::nn::Module {
///   torch::nn::Linear fc{register_module("fc", torch::nn::Linear(8, 1))};
///   torch::Tensor forward(torch::Tensor z) { return fc(z); }
/// };
/// TORCH_MODULE(Gen);  // gancraft::Generator<Gen> holds
/// @endcode
template <class G>
concept Generator =
    detail::module_handle<G> && detail::forward_one_tensor<G> && detail::has_parameters<G>;

}  // namespace gancraft
