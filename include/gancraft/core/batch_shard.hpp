#pragma once
/// @file gancraft/core/batch_shard.hpp

#include <cstdint>

namespace gancraft {

/// The part of every batch that this process trains on, for a policy that splits each batch
/// across processes (data parallelism, see `distributed::DataParallel`).
///
/// A policy with `BatchShard shard() const` makes the trainer draw every batch of real samples
/// and of latents at its global size (`TrainerOptions::batch_size`) from its own streams,
/// exactly as a single process would, and keep only rows
/// `[index · batch_size / count, (index + 1) · batch_size / count)`. During `fit` the shard is
/// also `training_shard()`, from which penalties that draw one number per sample
/// (`GradientPenalty`) learn to draw for the whole batch and keep their rows. Every process
/// therefore moves its random streams and its data order in step with the others (and with a
/// single process), so their checkpoints do not depend on the number of processes.
/// @code
/// struct SecondHalf : gc::AlternatingPolicy {
///   gc::BatchShard shard() const { return {1, 2}; }
/// };
/// @endcode
struct BatchShard {
  int64_t index = 0;  ///< which part, `0 <= index < count`
  int64_t count = 1;  ///< parts per batch; must divide `TrainerOptions::batch_size`
};

}  // namespace gancraft
