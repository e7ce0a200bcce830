#pragma once
/// @file gancraft/core/model_step.hpp

#include <gancraft/core/batch_shard.hpp>
#include <gancraft/core/training_context.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace gancraft {

/// What a `Model`'s `train_step` may ask of the trainer running it: further real batches,
/// noise from the training stream, and the update of a network by name (through the trainer's
/// policy, so that `DataParallel` averages that network's gradients across ranks first).
///
/// Everything random that a step draws must come from here or from `training_generator()`, so
/// that a seed repeats the run and a checkpoint resumes it exactly.
class ModelStep {
 public:
  virtual ~ModelStep() = default;
  /// The trainer: options, step counter, networks.
  virtual TrainingContext& context() = 0;
  /// A further real batch from the data (`fit`'s samples as `data`, its targets as `target`):
  /// for models that use several per step (`Model::batches_per_step`).
  virtual torch::data::Example<> next_batch() = 0;
  /// Standard-normal noise `[n, dim...]` from the training stream, for this process's `n`
  /// rows: with `DataParallel` the whole batch's noise is drawn and this rank's rows kept, so
  /// every sample gets the number it would get in one process.
  virtual torch::Tensor noise(int64_t n, c10::IntArrayRef dim) = 0;
  /// Clears the gradients of network `name` (set to none).
  virtual void zero_grad(const std::string& name) = 0;
  /// Updates network `name` from its gradients: the policy's gradient step (averaging across
  /// ranks), clipping (`NetworkOptions::clip_grad_norm`), then its optimizer's step.
  virtual void update(const std::string& name) = 0;
  /// This process's part of every batch (`{0, 1}` without data parallelism).
  virtual BatchShard shard() const = 0;
};

}  // namespace gancraft
