#pragma once
/// @file gancraft/training/weight_clip.hpp

#include <gancraft/error.hpp>
#include <gancraft/core/training_context.hpp>

#include <torch/torch.h>

namespace gancraft {

/// Clamps every discriminator parameter into [−c, c] after each discriminator update: the
/// original WGAN's way to keep the critic Lipschitz (a discriminator-step action, not a loss
/// term). Add it as a hook.
///
/// Arjovsky et al. 2017, "Wasserstein GAN", arXiv:1701.07875, Algorithm 1 (c = 0.01, RMSprop
/// lr 5e-5, 5 critic steps per generator step).
/// @code
/// trainer.add_hook(gc::WeightClip(0.01));
/// @endcode
class WeightClip {
 public:
  /// Clamps into [−`clip`, `clip`]; `OptionError` unless `clip` > 0.
  explicit WeightClip(double clip = 0.01) : clip_(clip) {
    GANCRAFT_CHECK(clip > 0, OptionError, "WeightClip: clip must be > 0, got ", clip);
  }
  double clip() const { return clip_; }  ///< c
  int64_t interval() const { return 0; }  ///< reads no losses

  /// Clamps every discriminator parameter in place, without recording gradients.
  void on_discriminator_step_end(TrainingContext& ctx) {
    torch::NoGradGuard no_grad;
    for (auto& p : ctx.discriminator_module().parameters()) p.clamp_(-clip_, clip_);
  }

 private:
  double clip_;
};

}  // namespace gancraft
