#pragma once
/// @file gancraft/concepts/module.hpp
/// Requirement fragments shared by the Generator and Discriminator concepts.

#include <torch/torch.h>

#include <concepts>
#include <memory>
#include <type_traits>
#include <vector>

namespace gancraft::detail {

/// `*m` is a `torch::nn::Module` (a `TORCH_MODULE` holder or a `std::shared_ptr` to a module).
template <class M>
concept module_handle = requires(M& m) {
  requires std::derived_from<std::remove_cvref_t<decltype(*m)>, torch::nn::Module>;
};

/// `m->forward(t)` takes one tensor and returns one tensor.
template <class M>
concept forward_one_tensor = requires(M& m, torch::Tensor t) {
  { m->forward(t) } -> std::convertible_to<torch::Tensor>;
};

/// `m->forward(t, labels)` takes a tensor and int64 class labels and returns one tensor.
template <class M>
concept forward_with_labels = requires(M& m, torch::Tensor t, torch::Tensor labels) {
  { m->forward(t, labels) } -> std::convertible_to<torch::Tensor>;
};

/// `m->forward(t, labels)` and no one-tensor `forward`: a module that takes labels. Excluding
/// one-tensor modules keeps `torch::nn::Sequential`, whose `forward` accepts any arguments,
/// unconditional.
template <class M>
concept takes_labels = forward_with_labels<M> && !forward_one_tensor<M>;

/// `m->parameters()` lists the trainable tensors.
template <class M>
concept has_parameters = requires(M& m) {
  { m->parameters() } -> std::convertible_to<std::vector<torch::Tensor>>;
};

/// The module behind a holder or pointer, as the base type hooks and checkpoints use.
template <module_handle M>
torch::nn::Module& module_of(M& m) {
  return static_cast<torch::nn::Module&>(*m);
}

}  // namespace gancraft::detail
