#pragma once
/// @file gancraft/training/random.hpp
/// The random stream gancraft's training components draw from.
///
/// A trainer owns its generators and installs one for the duration of `fit`, so that noise,
/// data order and penalties repeat bit for bit for a seed without touching LibTorch's global
/// generator (which the user's own modules keep using, e.g. for dropout and initialisation).

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cstdint>

namespace gancraft {
namespace detail {
inline thread_local at::Generator* current_training_generator = nullptr;
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

/// Installs `gen` as `training_generator()` for the lifetime of this object.
class ScopedTrainingGenerator {
 public:
  /// Installs `gen`, which must outlive this object; the destructor restores the previous one.
  explicit ScopedTrainingGenerator(at::Generator& gen)
      : previous_(detail::current_training_generator) {
    detail::current_training_generator = &gen;
  }
  ~ScopedTrainingGenerator() { detail::current_training_generator = previous_; }
  ScopedTrainingGenerator(const ScopedTrainingGenerator&) = delete;
  ScopedTrainingGenerator& operator=(const ScopedTrainingGenerator&) = delete;

 private:
  at::Generator* previous_;
};

}  // namespace gancraft
