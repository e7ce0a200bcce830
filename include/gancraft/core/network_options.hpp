#pragma once
/// @file gancraft/core/network_options.hpp

#include <gancraft/core/lr_schedule.hpp>
#include <gancraft/core/optimizer_options.hpp>

#include <torch/arg.h>

#include <optional>

namespace gancraft {

/// How one network of a `Model` is trained: its optimizer, learning-rate schedule and gradient
/// clipping. Unset schedule and clipping take `TrainerOptions::lr_schedule` and
/// `clip_grad_norm`.
/// @code
/// nets.add("generator", g_, gc::NetworkOptions().optimizer(gc::OptimizerOptions::adam(1e-4)));
/// nets.add("classifier", c_, gc::NetworkOptions().trained(false));  // a fixed feature network
/// @endcode
struct NetworkOptions {
  /// The optimizer and its hyper-parameters (Adam, lr 2e-4, betas (0.5, 0.999) by default).
  TORCH_ARG(OptimizerOptions, optimizer) = {};
  /// The network's own schedule; unset: `TrainerOptions::lr_schedule`.
  TORCH_ARG(std::optional<LrSchedule>, lr_schedule) = std::nullopt;
  /// Gradient-norm clipping before each update (0: none); unset: `TrainerOptions::clip_grad_norm`.
  TORCH_ARG(std::optional<double>, clip_grad_norm) = std::nullopt;
  /// False for a network that is used but not trained (no optimizer; still checkpointed, so
  /// that a resumed run uses the same weights).
  TORCH_ARG(bool, trained) = true;
};

}  // namespace gancraft
