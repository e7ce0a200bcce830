#pragma once
/// @file gancraft/training/training_context.hpp

#include <gancraft/training/loop_state.hpp>
#include <gancraft/training/trainer_options.hpp>

#include <torch/torch.h>

#include <cstdint>

namespace gancraft {

/// The view of a running trainer that hooks receive: the networks, optimizers and progress,
/// without the trainer's template parameters.
class TrainingContext {
 public:
  virtual ~TrainingContext() = default;
  virtual torch::nn::Module& generator_module() = 0;              ///< G
  virtual torch::nn::Module& discriminator_module() = 0;          ///< D
  virtual torch::optim::Optimizer& generator_optimizer() = 0;      ///< G's optimizer
  virtual torch::optim::Optimizer& discriminator_optimizer() = 0;  ///< D's optimizer
  /// Runs the generator on latent `z` without building a graph and without changing any
  /// training state (see `SampleMode`).
  virtual torch::Tensor generate(const torch::Tensor& z) = 0;
  virtual const TrainerOptions& options() const = 0;  ///< the trainer's options
  virtual int64_t step() const = 0;                    ///< generator updates done
  virtual int64_t epoch() const = 0;                   ///< completed passes over the data
  /// A copy of the loop's state: progress, random streams, position in the data.
  virtual LoopState loop_state() = 0;
  /// Puts the loop back into `state` (used when a checkpoint is restored).
  virtual void restore_loop_state(const LoopState& state) = 0;
};

}  // namespace gancraft
