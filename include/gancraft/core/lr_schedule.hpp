#pragma once
/// @file gancraft/core/lr_schedule.hpp

#include <gancraft/error.hpp>

#include <torch/arg.h>

#include <algorithm>
#include <cstdint>

namespace gancraft {

/// A learning-rate schedule over generator updates, applied to both optimizers (their own base
/// rates give TTUR, Heusel et al. 2017: e.g. D at 4e-4 and G at 1e-4).
/// @code
/// gc::TrainerOptions().steps(100000).lr_schedule(gc::LrSchedule::linear(50000));  // decay to 0
/// @endcode
struct LrSchedule {
  /// The shape of the schedule.
  enum class Kind {
    Constant,  ///< rates as set
    Linear,    ///< linear decay from `start` to `end_factor` at the last update
  };
  /// Constant or linear decay.
  TORCH_ARG(Kind, kind) = Kind::Constant;
  /// Linear: the generator update after which the decay begins.
  TORCH_ARG(int64_t, start) = 0;
  /// Linear: the factor reached at the last update (0: decay to zero, as in BigGAN-style runs).
  TORCH_ARG(double, end_factor) = 0.0;

 public:  // TORCH_ARG leaves the access at private
  /// The optimizers' rates stay as set.
  static LrSchedule constant() { return {}; }
  /// Rates fall linearly from their values at update `start` to `end_factor` times them at the
  /// last update.
  static LrSchedule linear(int64_t start = 0, double end_factor = 0.0) {
    return LrSchedule().kind(Kind::Linear).start(start).end_factor(end_factor);
  }

  /// The factor for generator update `step` (1-based) of `total`.
  double factor(int64_t step, int64_t total) const {
    GANCRAFT_CHECK(start() >= 0 && end_factor() >= 0, OptionError,
                   "LrSchedule: start and end_factor must be >= 0, got ", start(), " and ", end_factor());
    if (kind() == Kind::Constant || step <= start() || total <= start()) return 1.0;
    const double t = static_cast<double>(std::min(step, total) - start()) / static_cast<double>(total - start());
    return 1.0 + (end_factor() - 1.0) * t;
  }
};

}  // namespace gancraft
