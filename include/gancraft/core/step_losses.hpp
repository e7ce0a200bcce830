#pragma once
/// @file gancraft/core/step_losses.hpp

#include <torch/torch.h>

#include <map>
#include <string>

namespace gancraft {

/// Loss tensors of one training step, still on the device; undefined when not requested. The
/// loop reads them into the `StepReport` only on steps where a hook wants the losses.
struct StepLosses {
  torch::Tensor d_loss;   ///< mean discriminator loss over the step's discriminator updates
  torch::Tensor g_loss;   ///< generator loss
  torch::Tensor penalty;  ///< mean penalty (undefined if the loss has none)
  torch::Tensor d_real;   ///< mean real score of the last discriminator update
  torch::Tensor d_fake;   ///< mean fake score of the last discriminator update
  /// Further named scalars (one-element tensors) a model reports, e.g. "kl" or "cycle": they
  /// reach `StepReport::scalars` under these names.
  std::map<std::string, torch::Tensor> scalars;
};

}  // namespace gancraft
