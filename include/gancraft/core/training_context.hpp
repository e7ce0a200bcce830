#pragma once
/// @file gancraft/core/training_context.hpp

#include <gancraft/core/loop_state.hpp>
#include <gancraft/core/trainer_options.hpp>
#include <gancraft/error.hpp>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace gancraft {

/// One network of a running model, as hooks, checkpoints and data parallelism see it.
struct NetworkRef {
  std::string name;                                ///< e.g. "generator"; names its checkpoint files
  torch::nn::Module* module = nullptr;             ///< the network
  torch::optim::Optimizer* optimizer = nullptr;    ///< its optimizer; null for one not trained
};

/// The view of a running trainer that hooks receive: the networks, optimizers and progress,
/// without the trainer's template parameters.
///
/// Every trainer lists its networks by name (`networks()`); checkpoints, `DivergenceGuard` and
/// `DataParallel` work through that list, so they serve any model. The generator and
/// discriminator accessors are the networks named "generator" and "discriminator".
class TrainingContext {
 public:
  virtual ~TrainingContext() = default;
  virtual torch::nn::Module& generator_module() = 0;              ///< G
  virtual torch::nn::Module& discriminator_module() = 0;          ///< D
  virtual torch::optim::Optimizer& generator_optimizer() = 0;      ///< G's optimizer
  virtual torch::optim::Optimizer& discriminator_optimizer() = 0;  ///< D's optimizer
  /// Every network with its optimizer, in a fixed order (checkpoints and broadcasts follow it).
  /// A GAN trainer's: "generator", then "discriminator".
  virtual std::vector<NetworkRef> networks() {
    return {{"generator", &generator_module(), &generator_optimizer()},
            {"discriminator", &discriminator_module(), &discriminator_optimizer()}};
  }
  /// The network called `name`; `OptionError` listing the names when there is none.
  NetworkRef network(const std::string& name) {
    std::string names;
    for (const auto& n : networks()) {
      if (n.name == name) return n;
      names += (names.empty() ? "" : ", ") + n.name;
    }
    throw OptionError(detail::str("this model has no network named '", name, "' (it has ", names, ")"));
  }
  /// What a checkpoint must agree with to be resumed exactly (sizes and schedules that shape
  /// the random streams, optimizer kinds); stored in `state.json` and compared on load.
  virtual nlohmann::json resume_critical_options() const {
    const TrainerOptions& o = options();
    return {{"latent_dim", o.latent_dim()},
            {"batch_size", o.batch_size()},
            {"d_steps_per_g_step", o.d_steps_per_g_step()},
            {"g_optimizer_kind", to_string(o.g_optimizer().kind())},
            {"d_optimizer_kind", to_string(o.d_optimizer().kind())}};
  }
  /// Runs the generator on latent `z` without building a graph and without changing any
  /// training state (see `SampleMode`).
  /// A conditional generator gets balanced labels, `i % num_classes` for row i.
  virtual torch::Tensor generate(const torch::Tensor& z) = 0;
  /// Runs a conditional generator on latents `z` and integer `labels` `[N]`, as `generate(z)`;
  /// `OptionError` for an unconditional one (the default).
  virtual torch::Tensor generate(const torch::Tensor& z, const torch::Tensor& labels) {
    (void)z;
    (void)labels;
    throw OptionError("generate: labels were given but the generator is not conditional");
  }
  /// The model's translating view: outputs for a batch of sources `[N, ...]`, on the CPU,
  /// without a graph and without changing any training state. `SampleGrid` and `Evaluate` use
  /// it when given sources. `OptionError` for a model that does not translate (the default).
  virtual torch::Tensor translate_view(const torch::Tensor& source) {
    (void)source;
    throw OptionError("translate: this model has no translating view (a Model with translate(x))");
  }
  virtual const TrainerOptions& options() const = 0;  ///< the trainer's options
  virtual int64_t step() const = 0;                    ///< generator updates done
  virtual int64_t epoch() const = 0;                   ///< completed passes over the data
  /// A copy of the loop's state: progress, random streams, position in the data.
  virtual LoopState loop_state() = 0;
  /// Puts the loop back into `state` (used when a checkpoint is restored).
  virtual void restore_loop_state(const LoopState& state) = 0;

  /// Extra state for checkpoints: `module`'s parameters and buffers are saved as
  /// `extra-<name>.pt` in every checkpoint and restored with it (`hooks::GeneratorEMA`'s averaged
  /// weights use this). Hooks register in `on_train_begin`, after `resume`: a module registered
  /// then is restored at once from the checkpoint loaded last, if that holds it. Returns whether
  /// it was restored. Registering a name again with another module replaces it; with the same
  /// module it changes nothing.
  bool add_checkpoint_state(const std::string& name, std::shared_ptr<torch::nn::Module> module) {
    for (auto& [n, m] : extra_state_) {
      if (n != name) continue;
      if (m == module) return false;  // the same module again (a second fit): already current
      m = module;
      return restore_extra_state_ && restore_extra_state_(name, *module);
    }
    extra_state_.emplace_back(name, module);
    return restore_extra_state_ && restore_extra_state_(name, *module);
  }
  /// The modules registered with `add_checkpoint_state`, in order.
  const std::vector<std::pair<std::string, std::shared_ptr<torch::nn::Module>>>& checkpoint_state() const {
    return extra_state_;
  }
  /// Set by `load_checkpoint`: how to restore a module registered later from that checkpoint.
  void set_extra_state_source(std::function<bool(const std::string&, torch::nn::Module&)> restore) {
    restore_extra_state_ = std::move(restore);
  }

  /// Tensors that `generate` (and so `sample` and the sample grids) uses in place of G's
  /// parameters, one per entry of `generator_module().parameters()`; empty: G's own.
  /// `hooks::GeneratorEMA` points it at the averaged weights.
  void set_sampling_parameters(std::function<std::vector<torch::Tensor>()> parameters) {
    sampling_parameters_ = std::move(parameters);
  }

 protected:
  /// The replacement parameters for sampling, or none.
  std::vector<torch::Tensor> sampling_parameters() const {
    return sampling_parameters_ ? sampling_parameters_() : std::vector<torch::Tensor>{};
  }

 private:
  std::vector<std::pair<std::string, std::shared_ptr<torch::nn::Module>>> extra_state_;
  std::function<bool(const std::string&, torch::nn::Module&)> restore_extra_state_;
  std::function<std::vector<torch::Tensor>()> sampling_parameters_;
};

}  // namespace gancraft
