#pragma once
/// @file gancraft/concepts/discriminator.hpp

#include <gancraft/concepts/module.hpp>

#include <concepts>
#include <cstdint>

namespace gancraft {

/// A network (discriminator or critic) that scores a batch of samples.
///
/// A type `D` models `Discriminator` when:
///  1. `*d` is a `torch::nn::Module` (a `TORCH_MODULE` holder or a `std::shared_ptr` to one);
///  2. `d->forward(x)` takes one tensor `[N, ...]` and returns one tensor of scores,
///     one per sample: `[N]` or `[N, 1]` (the trainer checks the shape with a probe pass);
///  3. `d->parameters()` lists its trainable tensors.
///
/// Scores are raw logits: every loss applies its own (stable) link function.
template <class D>
concept Discriminator =
    detail::module_handle<D> && detail::forward_one_tensor<D> && detail::has_parameters<D>;

/// Samples behind each of `d`'s scores: `d->samples_per_score()` for a packing discriminator
/// (`nn::Pack`, or a wrapper around one), else 1. The trainer checks batch sizes and D's output
/// against it.
template <class D>
int64_t samples_per_score(D& d) {
  if constexpr (requires { { d->samples_per_score() } -> std::convertible_to<int64_t>; })
    return d->samples_per_score();
  else
    return 1;
}

}  // namespace gancraft
