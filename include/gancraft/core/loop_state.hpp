#pragma once
/// @file gancraft/core/loop_state.hpp

#include <torch/torch.h>

#include <cstdint>

namespace gancraft {

/// Everything besides the networks and optimizers that decides what training does next.
/// A checkpoint stores it so that a resumed run continues exactly as if never stopped.
struct LoopState {
  int64_t step = 0;               ///< generator updates done
  int64_t epoch = 0;              ///< completed passes over the data
  torch::Tensor training_rng;     ///< state of the trainer's training stream (noise, order, penalties)
  torch::Tensor sampling_rng;     ///< state of the trainer's sampling stream
  torch::Tensor global_rng;       ///< LibTorch's default CPU generator (dropout in user modules)
  torch::Tensor data_order;       ///< permutation of the current pass; undefined between passes
  int64_t data_position = 0;      ///< samples of `data_order` already served
};

}  // namespace gancraft
