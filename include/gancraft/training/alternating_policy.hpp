#pragma once
/// @file gancraft/training/alternating_policy.hpp

#include <gancraft/core/step_losses.hpp>

#include <torch/torch.h>

#include <cstdint>

namespace gancraft {

/// The default training schedule: `d_steps_per_g_step` discriminator updates, each on a fresh
/// real batch, then one generator update.
///
/// A policy is any type with `run_step(trainer, next_real, read_losses)`; it composes the
/// trainer's public `discriminator_step` and `generator_step`. `next_real()` returns a
/// `torch::data::Example<>`: the batch as `data` and, for labelled data, its labels as `target`.
struct AlternatingPolicy {
  /// Runs one generator update and the discriminator updates before it.
  /// @tparam T        the trainer
  /// @tparam NextReal a callable returning the next real batch (`torch::data::Example<>`)
  template <class T, class NextReal>
  StepLosses run_step(T& trainer, NextReal&& next_real, bool read_losses) {
    const int64_t k = trainer.options().d_steps_per_g_step();
    StepLosses out;
    for (int64_t i = 0; i < k; ++i) {
      auto d = trainer.discriminator_step(next_real());
      if (!read_losses) continue;
      out.d_loss = out.d_loss.defined() ? out.d_loss + d.loss : d.loss;
      if (d.penalty.defined())
        out.penalty = out.penalty.defined() ? out.penalty + d.penalty : d.penalty;
      if (i == k - 1) {
        out.d_real = d.real_scores.mean();
        out.d_fake = d.fake_scores.mean();
      }
    }
    torch::Tensor g = trainer.generator_step();
    if (read_losses) {
      out.g_loss = g;
      out.d_loss = out.d_loss / static_cast<double>(k);
      if (out.penalty.defined()) out.penalty = out.penalty / static_cast<double>(k);
    }
    return out;
  }
};

}  // namespace gancraft
