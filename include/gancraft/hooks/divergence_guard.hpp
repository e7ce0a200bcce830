#pragma once
/// @file gancraft/hooks/divergence_guard.hpp

#include <gancraft/error.hpp>
#include <gancraft/io/checkpoint.hpp>
#include <gancraft/core/step_report.hpp>
#include <gancraft/core/training_context.hpp>

#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <string>

namespace gancraft::hooks {

/// What `DivergenceGuard` does when it finds NaN or Inf.
enum class DivergencePolicy {
  Stop,      ///< throw `DivergenceError` naming the step and the tensor or loss
  Rollback,  ///< reload the newest valid checkpoint and scale both learning rates by `lr_factor`
};

/// Options of `DivergenceGuard`.
/// @code
/// trainer.add_hook(gc::hooks::DivergenceGuard(gc::hooks::DivergenceGuardOptions()
///     .policy(gc::hooks::DivergencePolicy::Rollback).checkpoint_root("run/checkpoints")));
/// @endcode
struct DivergenceGuardOptions {
  /// Steps between checks of the losses and of every parameter.
  TORCH_ARG(int64_t, interval) = 100;
  /// Stop, or roll back to the last good checkpoint.
  TORCH_ARG(DivergencePolicy, policy) = DivergencePolicy::Stop;
  /// Where the checkpoints to roll back to live (required for `Rollback`).
  TORCH_ARG(std::filesystem::path, checkpoint_root);
  /// Factor applied to both optimizers' learning rates after each rollback.
  TORCH_ARG(double, lr_factor) = 0.5;
  /// Rollbacks allowed before giving up with `DivergenceError`.
  TORCH_ARG(int64_t, max_rollbacks) = 3;
};

/// Watches for a blow-up: every `interval` steps it checks both losses and every parameter
/// and buffer of G and D for NaN or Inf. Add it before a `Checkpointer`, so that on a step
/// where both run the guard acts first. (Independently, `save_checkpoint` refuses to write
/// non-finite weights, so a NaN checkpoint is never written.)
class DivergenceGuard {
 public:
  /// `OptionError` on a non-positive `interval`, `lr_factor` outside (0, 1], negative
  /// `max_rollbacks`, or `Rollback` without `checkpoint_root`.
  explicit DivergenceGuard(DivergenceGuardOptions options = {}) : options_(std::move(options)) {
    GANCRAFT_CHECK(options_.interval() > 0, OptionError,
                   "DivergenceGuard: interval must be > 0, got ", options_.interval());
    GANCRAFT_CHECK(options_.lr_factor() > 0 && options_.lr_factor() <= 1, OptionError,
                   "DivergenceGuard: lr_factor must lie in (0, 1], got ", options_.lr_factor());
    GANCRAFT_CHECK(options_.max_rollbacks() >= 0, OptionError,
                   "DivergenceGuard: max_rollbacks must be >= 0, got ", options_.max_rollbacks());
    GANCRAFT_CHECK(options_.policy() != DivergencePolicy::Rollback ||
                       !options_.checkpoint_root().empty(),
                   OptionError, "DivergenceGuard: the Rollback policy needs checkpoint_root");
  }

  int64_t interval() const { return options_.interval(); }  ///< losses are read on these steps
  int64_t rollbacks() const { return rollbacks_; }          ///< rollbacks done so far

  /// On every `interval`-th step, checks the losses (the reported scalars too), then every
  /// network's parameters and buffers;
  /// on NaN or Inf it throws `DivergenceError` (`Stop`) or rolls back (`Rollback`).
  void on_step_end(const StepReport& r, TrainingContext& ctx) {
    if (r.step % options_.interval() != 0) return;
    std::string problem;
    if (r.d_loss && !std::isfinite(*r.d_loss))
      problem = detail::str("discriminator loss is ", *r.d_loss);
    else if (r.g_loss && !std::isfinite(*r.g_loss))
      problem = detail::str("generator loss is ", *r.g_loss);
    for (const auto& [name, value] : r.scalars)
      if (problem.empty() && !std::isfinite(value)) problem = detail::str(name, " is ", value);
    if (problem.empty())
      try {
        for (const auto& n : ctx.networks()) detail::check_finite(*n.module, n.name.c_str(), r.step);
      } catch (const DivergenceError& e) {
        problem = e.what();
      }
    if (problem.empty()) return;
    if (options_.policy() == DivergencePolicy::Stop)
      throw DivergenceError(detail::str("training diverged at step ", r.step, ": ", problem));
    GANCRAFT_CHECK(rollbacks_ < options_.max_rollbacks(), DivergenceError,
                   "training diverged at step ", r.step, " (", problem, ") after ", rollbacks_,
                   " rollbacks; giving up");
    ResumeInfo info;
    try {
      info = resume(ctx, options_.checkpoint_root());
    } catch (const IoError& e) {
      throw DivergenceError(detail::str("training diverged at step ", r.step, " (", problem,
                                        ") and there is no checkpoint to roll back to: ", e.what()));
    }
    ++rollbacks_;
    for (const auto& n : ctx.networks())
      if (n.optimizer) scale_lr(*n.optimizer);
    std::cerr << "gancraft: training diverged at step " << r.step << " (" << problem
              << "); rolled back to " << info.checkpoint.string() << " and scaled learning rates by "
              << options_.lr_factor() << "\n";
  }

 private:
  void scale_lr(torch::optim::Optimizer& opt) const {
    for (auto& group : opt.param_groups())
      group.options().set_lr(group.options().get_lr() * options_.lr_factor());
  }

  DivergenceGuardOptions options_;
  int64_t rollbacks_ = 0;
};

}  // namespace gancraft::hooks
