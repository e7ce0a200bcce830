#pragma once
/// @file gancraft/core/random.hpp
/// The random stream gancraft's training components draw from.
///
/// A trainer owns its generators and installs one for the duration of `fit`, so that noise,
/// data order and penalties repeat bit for bit for a seed without touching LibTorch's global
/// generator (which the user's own modules keep using, e.g. for dropout and initialisation).

#include <gancraft/core/batch_shard.hpp>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cstdint>

namespace gancraft {
namespace detail {
inline thread_local at::Generator* current_training_generator = nullptr;
inline thread_local BatchShard current_training_shard{};
}  // namespace detail

/// A CPU generator seeded with `seed`, independent of LibTorch's global one.
inline at::Generator make_generator(uint64_t seed) {
  return at::make_generator<at::CPUGeneratorImpl>(seed);
}

/// The generator of the trainer running on this thread, or LibTorch's default CPU
/// generator outside `fit`. Draw on the CPU with it and move the result to the device.
inline at::Generator& training_generator() {
  if (detail::current_training_generator != nullptr) return *detail::current_training_generator;
  static thread_local at::Generator fallback = at::detail::getDefaultCPUGenerator();
  return fallback;
}

/// The part of every batch that the trainer running on this thread trains on (see
/// `BatchShard`); the whole batch (`{0, 1}`) outside `fit` or without a sharding policy.
///
/// A component that draws per-sample random numbers from `training_generator()` for a batch
/// it only sees this process's part of draws them for the whole batch (`n · count` rows) and
/// keeps rows `[index · n, (index + 1) · n)`, as the trainer does for latents: then the stream
/// advances as in a single process, and each sample gets the number it would get there.
inline BatchShard training_shard() { return detail::current_training_shard; }

/// Installs `gen` as `training_generator()`, and `shard` as `training_shard()`, for the
/// lifetime of this object.
class ScopedTrainingGenerator {
 public:
  /// Installs `gen`, which must outlive this object, and `shard`; the destructor restores the
  /// previous ones.
  explicit ScopedTrainingGenerator(at::Generator& gen, BatchShard shard = {})
      : previous_(detail::current_training_generator),
        previous_shard_(detail::current_training_shard) {
    detail::current_training_generator = &gen;
    detail::current_training_shard = shard;
  }
  ~ScopedTrainingGenerator() {
    detail::current_training_generator = previous_;
    detail::current_training_shard = previous_shard_;
  }
  ScopedTrainingGenerator(const ScopedTrainingGenerator&) = delete;
  ScopedTrainingGenerator& operator=(const ScopedTrainingGenerator&) = delete;

 private:
  at::Generator* previous_;
  BatchShard previous_shard_;
};

}  // namespace gancraft
