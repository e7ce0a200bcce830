#pragma once
/// @file gancraft/penalties/input_gradient.hpp
/// Machinery shared by the input-gradient penalties.

#include <gancraft/concepts/penalty.hpp>

#include <torch/torch.h>

namespace gancraft::detail {

/// Per-sample gradient of D's scores with respect to `x`, kept in the graph
/// (create_graph) so that the penalty built on it back-propagates into D's weights.
/// Returns `[N, features]`.
inline torch::Tensor input_gradient(const DiscriminatorFn& d, torch::Tensor x) {
  x = x.detach().requires_grad_(true);
  torch::Tensor scores = d(x);
  // Samples are independent, so the gradient of the sum holds each sample's own gradient.
  auto grads = torch::autograd::grad({scores.sum()}, {x}, /*grad_outputs=*/{},
                                     /*retain_graph=*/true, /*create_graph=*/true);
  return grads[0].flatten(1);
}

}  // namespace gancraft::detail
