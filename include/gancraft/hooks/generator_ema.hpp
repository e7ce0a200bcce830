#pragma once
/// @file gancraft/hooks/generator_ema.hpp

#include <gancraft/error.hpp>
#include <gancraft/core/step_report.hpp>
#include <gancraft/core/training_context.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace gancraft::hooks {

/// Options of `GeneratorEMA`.
/// @code
/// trainer.add_hook(gc::hooks::GeneratorEMA(gc::hooks::GeneratorEMAOptions().decay(0.999).start(1000)));
/// @endcode
struct GeneratorEMAOptions {
  /// Weight of the old average at each update: avg ← decay · avg + (1 − decay) · θ.
  TORCH_ARG(double, decay) = 0.999;
  /// Until this step the average simply follows the weights (early weights are poor).
  TORCH_ARG(int64_t, start) = 0;
};

}  // namespace gancraft::hooks

namespace gancraft::detail {
/// The averaged parameters as a module (buffers "0", "1", … in G's parameter order), so that
/// checkpoints save them with their shapes checked.
class EmaWeightsImpl : public torch::nn::Module {
 public:
  explicit EmaWeightsImpl(const std::vector<torch::Tensor>& parameters) {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < parameters.size(); ++i)
      tensors.push_back(register_buffer(std::to_string(i), parameters[i].detach().clone()));
  }
  std::vector<torch::Tensor> tensors;  ///< the averages, aliasing the buffers
};
}  // namespace gancraft::detail

namespace gancraft::hooks {

/// An exponential moving average of the generator's parameters (Yazıcı et al. 2019,
/// arXiv:1806.04498; Karras et al. 2018), which usually samples better than the last weights.
/// With this hook, `Trainer::sample`, `generate` and the `SampleGrid` and `Evaluate` hooks use the
/// averaged weights (swapped in for the call; G's training weights are untouched); the average is
/// saved in every checkpoint (`extra-generator_ema.pt`) and restored with it.
///
/// Works with any generator module: it keeps its own copies of the parameters rather than
/// cloning the module (a plain `torch::nn::Module` has no `clone()`). Buffers (BatchNorm running
/// statistics) are not averaged: sampling uses G's current ones.
class GeneratorEMA {
 public:
  /// `OptionError` unless 0 <= decay < 1 and start >= 0.
  explicit GeneratorEMA(GeneratorEMAOptions options = {}) : options_(options) {
    GANCRAFT_CHECK(options_.decay() >= 0 && options_.decay() < 1, OptionError,
                   "GeneratorEMA: decay must be in [0, 1), got ", options_.decay());
    GANCRAFT_CHECK(options_.start() >= 0, OptionError, "GeneratorEMA: start must be >= 0, got ",
                   options_.start());
  }

  int64_t interval() const { return 0; }  ///< reads no losses

  /// Starts the average from G's weights, or restores it from the checkpoint just resumed.
  void on_train_begin(TrainingContext& ctx) {
    params_ = ctx.generator_module().parameters();
    // A second `fit` of the same trainer continues the same average.
    if (!weights_ || weights_->tensors.size() != params_.size())
      weights_ = std::make_shared<gancraft::detail::EmaWeightsImpl>(params_);
    ctx.add_checkpoint_state("generator_ema", weights_);
    ctx.set_sampling_parameters([w = weights_] { return w->tensors; });
  }
  /// Updates the average after every generator update.
  void on_step_end(const StepReport& r) {
    torch::NoGradGuard no_grad;
    const auto& avg = weights_->tensors;
    for (size_t i = 0; i < avg.size(); ++i) {
      if (r.step <= options_.start())
        avg[i].copy_(params_[i]);
      else
        avg[i].mul_(options_.decay()).add_(params_[i].detach(), 1.0 - options_.decay());
    }
  }

  /// The averaged parameters, in the order of G's `parameters()` (empty before training).
  std::vector<torch::Tensor> averaged() const { return weights_ ? weights_->tensors : std::vector<torch::Tensor>{}; }

 private:
  GeneratorEMAOptions options_;
  std::vector<torch::Tensor> params_;
  std::shared_ptr<gancraft::detail::EmaWeightsImpl> weights_;
};

}  // namespace gancraft::hooks
