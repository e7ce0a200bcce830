#pragma once
/// @file gancraft/core/step_report.hpp

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace gancraft {

/// What a hook learns after each generator update.
///
/// Losses are read back from the device only on steps where some hook asked for them (see
/// `Hook`'s `interval()`); on other steps they are empty.
struct StepReport {
  int64_t step = 0;         ///< generator updates done so far (1 after the first)
  int64_t total_steps = 0;  ///< generator updates the current `fit` runs to
  int64_t epoch = 0;        ///< completed passes over the real data
  double seconds = 0.0;     ///< wall time since this `fit` began
  /// Mean discriminator loss (without penalties) over the `d_steps_per_g_step` discriminator
  /// updates that preceded this generator update.
  std::optional<double> d_loss;
  /// Generator loss of this update.
  std::optional<double> g_loss;
  /// Further scalars, present with the losses: "penalty" (mean penalty, when the loss has
  /// one), "d_real" and "d_fake" (mean raw discriminator scores of the last discriminator step).
  std::map<std::string, double> scalars;
};

}  // namespace gancraft
