#pragma once
/// @file gancraft/training/model_trainer.hpp

#include <gancraft/concepts/model.hpp>
#include <gancraft/core/model_step.hpp>
#include <gancraft/core/networks.hpp>
#include <gancraft/core/optimizer_options.hpp>
#include <gancraft/core/random.hpp>
#include <gancraft/core/step_losses.hpp>
#include <gancraft/core/trainer_options.hpp>
#include <gancraft/error.hpp>
#include <gancraft/io/checkpoint.hpp>
#include <gancraft/training/batch_source.hpp>
#include <gancraft/training/scoped_state.hpp>
#include <gancraft/training/training_loop.hpp>

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

/// The policy of a `ModelTrainer` on one process: nothing to coordinate.
struct SingleProcess {};

/// The training loop for any `Model`: several named networks, each with its optimizer,
/// schedule and clipping, updated by the model's own `train_step`. Hooks, checkpoints (exact
/// resume), `DivergenceGuard` and `DataParallel` work as with `Trainer`, through the networks'
/// names.
///
/// @code
/// auto trainer = gc::ModelTrainer(TwoCritics{...}, gc::TrainerOptions().batch_size(64).steps(2000));
/// trainer.add_hook(gc::hooks::Checkpointer("run/checkpoints"));
/// trainer.fit(real);
/// @endcode
/// @tparam M      a `Model`
/// @tparam Policy `SingleProcess`, or `distributed::DataParallel` to train on several processes
template <class M, class Policy = SingleProcess>
class ModelTrainer final : public TrainingLoop, private ModelStep {
  static_assert(detail::model_registers_networks<M>,
                "gancraft::ModelTrainer: the model needs `void register_networks(gc::Networks&)`; "
                "see docs/architecture.md");
  static_assert(detail::model_trains<M>,
                "gancraft::ModelTrainer: the model needs `gc::StepLosses train_step(gc::ModelStep&, "
                "const torch::data::Example<>&)`; see docs/architecture.md");

 public:
  /// Takes the model, asks it for its networks, moves them to `options.device()` and builds
  /// their optimizers. Throws `OptionError` for a bad name or options.
  explicit ModelTrainer(M model, TrainerOptions options = {}, Policy policy = {})
      : TrainingLoop(std::move(options)), model_(std::move(model)), policy_(std::move(policy)) {
    options_.validate();
    Networks registry;
    model_.register_networks(registry);
    GANCRAFT_CHECK(!registry.entries().empty(), OptionError,
                   "ModelTrainer: register_networks registered no network");
    for (const auto& e : registry.entries()) {
      detail::check_network_name(e.name);
      e.module->to(options_.device());
      Net n{e.name, e.module, nullptr, e.options};
      if (e.options.trained()) n.optimizer = detail::make_optimizer(e.options.optimizer(), e.module->parameters(), e.name);
      nets_.push_back(std::move(n));
    }
    if constexpr (detail::model_counts_batches<M>) {
      batches_per_step_ = model_.batches_per_step();
      GANCRAFT_CHECK(batches_per_step_ >= 1, OptionError, "ModelTrainer: batches_per_step() must be >= 1, got ",
                     batches_per_step_);
    }
  }

  /// Trains on samples `real` `[N, ...]` (each batch's `data`).
  void fit(const torch::Tensor& real) { fit(real, torch::Tensor()); }

  /// Trains on samples `real` `[N, ...]` with `targets` `[N, ...]` (each batch's `target`:
  /// class labels, or the paired images of a translation task).
  void fit(const torch::Tensor& real, const torch::Tensor& targets) {
    GANCRAFT_CHECK(real.defined() && real.dim() >= 1, ShapeError,
                   "fit: the real data must be a tensor with a sample dimension");
    GANCRAFT_CHECK(!targets.defined() || (targets.dim() >= 1 && targets.size(0) == real.size(0)), ShapeError,
                   "fit: expected one target per sample, [", real.size(0), ", ...], got ",
                   targets.defined() ? targets.sizes() : c10::IntArrayRef{});
    torch::Tensor data = real.to(options_.device());
    torch::Tensor y = targets.defined() ? targets.to(options_.device()) : targets;
    run(detail::tensor_batches(data, y, options_.batch_size(), shard()));
  }

  /// Trains on a map-style `torch::data` dataset (`get(i).data`, `size()`); each sample's
  /// `target`, when defined, is stacked into the batch's.
  template <detail::map_dataset Ds>
  void fit(Ds dataset) {
    const auto n = dataset.size();
    GANCRAFT_CHECK(n.has_value() && *n > 0, ShapeError, "fit: the dataset is empty or does not report its size");
    auto shared = std::make_shared<Ds>(std::move(dataset));
    const torch::Device device = options_.device();
    run(detail::BatchSource(
        static_cast<int64_t>(*n), options_.batch_size(),
        [shared, device](const torch::Tensor& idx) {
          std::vector<torch::Tensor> items, targets;
          const auto* p = idx.data_ptr<int64_t>();
          for (int64_t k = 0; k < idx.numel(); ++k) {
            auto example = shared->get(static_cast<size_t>(p[k]));
            items.push_back(example.data);
            if (example.target.defined()) targets.push_back(example.target);
          }
          GANCRAFT_CHECK(targets.empty() || targets.size() == items.size(), ShapeError,
                         "fit: some samples of the dataset have a target and some do not");
          return torch::data::Example<>{torch::stack(items).to(device),
                                        targets.empty() ? torch::Tensor() : torch::stack(targets).to(device)};
        },
        shard()));
  }

  /// Adds a hook (see `Hook`) and returns the stored copy. A hook that acts after discriminator
  /// updates (`on_discriminator_step_end`, e.g. `WeightClip`) is refused at compile time: only
  /// the model knows which of its updates those are, so it would never be called.
  template <class H>
  H& add_hook(H hook) {
    static_assert(!detail::hook_discriminator_step_end<H>,
                  "gancraft::ModelTrainer::add_hook: this hook has on_discriminator_step_end, which a "
                  "ModelTrainer never calls (only the model knows its discriminator updates); do its "
                  "work in the model's train_step instead");
    return TrainingLoop::add_hook(std::move(hook));
  }

  /// `n` samples of a model with `generate(z)`, from latents of `TrainerOptions::latent_dim`
  /// drawn with the sampling stream; builds no graph and leaves all training state untouched.
  torch::Tensor sample(int64_t n) {
    GANCRAFT_CHECK(n > 0, OptionError, "sample: n must be > 0, got ", n);
    return generate(torch::randn({n, options_.latent_dim()}, sample_gen_));
  }

  M& model() { return model_; }            ///< the model
  Policy& policy() { return policy_; }     ///< the policy

  // TrainingContext
  std::vector<NetworkRef> networks() override {
    std::vector<NetworkRef> out;
    for (auto& n : nets_) out.push_back({n.name, n.module.get(), n.optimizer.get()});
    return out;
  }
  torch::nn::Module& generator_module() override { return *network("generator").module; }
  torch::nn::Module& discriminator_module() override { return *network("discriminator").module; }
  torch::optim::Optimizer& generator_optimizer() override { return optimizer_of("generator"); }
  torch::optim::Optimizer& discriminator_optimizer() override { return optimizer_of("discriminator"); }

  /// A checkpoint must have the same latent size, batch size, batches per step and networks
  /// (names and optimizer kinds).
  nlohmann::json resume_critical_options() const override {
    nlohmann::json nets = nlohmann::json::array();
    for (const auto& n : nets_)
      nets.push_back({{"name", n.name},
                      {"optimizer", n.optimizer ? to_string(n.options.optimizer().kind()) : std::string("none")}});
    return {{"latent_dim", options_.latent_dim()},
            {"batch_size", options_.batch_size()},
            {"batches_per_step", batches_per_step_},
            {"networks", nets}};
  }

  /// The model's `generate(z)` without a graph, in the mode `TrainerOptions::sample_mode`
  /// names, leaving every training state (modes, buffers, LibTorch's global stream) as it was;
  /// with `hooks::GeneratorEMA`, the network "generator" uses the averaged weights.
  torch::Tensor generate(const torch::Tensor& z) override {
    if constexpr (detail::model_generates<M>) {
      return view([&](M& m) { return m.generate(z.to(options_.device())); });
    } else {
      (void)z;
      throw OptionError("generate: this model has no generate(z) (a sampling view)");
    }
  }

  /// The model's `translate(source)` (the translating view) in batches of `batch_size`, under
  /// the same guards as `generate`: no graph, training state untouched, EMA weights when
  /// `hooks::GeneratorEMA` keeps them. Returns the outputs on the CPU.
  torch::Tensor translate(const torch::Tensor& source, int64_t batch_size = 256)
    requires detail::model_translates<M>
  {
    GANCRAFT_CHECK(source.defined() && source.dim() >= 1 && source.size(0) > 0 && batch_size > 0, ShapeError,
                   "translate: expected a non-empty batch of sources and batch_size > 0, got ",
                   source.defined() ? source.sizes() : c10::IntArrayRef{}, " and ", batch_size);
    return view([&](M& m) {
      std::vector<torch::Tensor> parts;
      for (int64_t s = 0; s < source.size(0); s += batch_size)
        parts.push_back(m.translate(source.narrow(0, s, std::min(batch_size, source.size(0) - s))
                                        .to(options_.device()))
                            .to(torch::kCPU));
      return torch::cat(parts);
    });
  }

  /// Runs `f(model)` in the sampling and translating view, for a model's other views (say
  /// CycleGAN's `translate_ba`): no graph, every network in the mode
  /// `TrainerOptions::sample_mode` names (restored after, with its buffers), LibTorch's global
  /// stream restored, EMA weights swapped into "generator" when a hook keeps them.
  /// @code
  /// torch::Tensor garments = trainer.view([&](auto& m) { return m.translate_ba(edges); });
  /// @endcode
  template <class F>
  auto view(F f) {
    torch::NoGradGuard no_grad;
    detail::GlobalGeneratorGuard global_rng;
    std::vector<std::unique_ptr<detail::ModeGuard>> modes;
    std::vector<std::unique_ptr<detail::BufferGuard>> buffers;
    for (auto& n : nets_) {
      modes.push_back(std::make_unique<detail::ModeGuard>(*n.module));
      if (options_.sample_mode() == SampleMode::Eval) {
        n.module->eval();
      } else {
        buffers.push_back(std::make_unique<detail::BufferGuard>(*n.module));
        n.module->train(true);
      }
    }
    std::unique_ptr<detail::ParameterSwap> swap;
    if (const auto replacement = sampling_parameters(); !replacement.empty())
      swap = std::make_unique<detail::ParameterSwap>(generator_module(), replacement);
    return f(model_);
  }

 private:
  struct Net {
    std::string name;
    std::shared_ptr<torch::nn::Module> module;
    std::unique_ptr<torch::optim::Optimizer> optimizer;
    NetworkOptions options;
  };

  torch::optim::Optimizer& optimizer_of(const std::string& name) {
    auto* opt = network(name).optimizer;
    GANCRAFT_CHECK(opt != nullptr, OptionError, "network '", name, "' is not trained (it has no optimizer)");
    return *opt;
  }

  Net& net(const std::string& name) {
    for (auto& n : nets_)
      if (n.name == name) return n;
    (void)network(name);  // throws, listing the names
    throw OptionError(name);
  }

  void run(const detail::BatchSource& source) {
    std::vector<Scheduled> scheduled;
    for (auto& n : nets_)
      if (n.optimizer) scheduled.push_back({n.optimizer.get(), n.options.lr_schedule().value_or(options_.lr_schedule())});
    run_loop(source, batches_per_step_, shard(), policy_, scheduled, [this](auto& next_real, bool read) {
      next_batch_ = [&next_real] { return next_real(); };
      struct Clear {  // next_real lives for this step only, even when train_step throws
        std::function<torch::data::Example<>()>& f;
        ~Clear() { f = nullptr; }
      } clear{next_batch_};
      if constexpr (requires { policy_.begin_step(*this); }) policy_.begin_step(*this);
      StepLosses out = model_.train_step(static_cast<ModelStep&>(*this), next_real());
      if constexpr (requires { policy_.end_step(*this, out, read); }) policy_.end_step(*this, out, read);
      return out;
    });
  }

  /// What hooks given sources call: `translate`, or `OptionError` for a model without it.
  torch::Tensor translate_view(const torch::Tensor& source) override {
    if constexpr (detail::model_translates<M>) {
      return translate(source);
    } else {
      return TrainingLoop::translate_view(source);
    }
  }

  // ModelStep
  TrainingContext& context() override { return *this; }
  torch::data::Example<> next_batch() override {
    GANCRAFT_CHECK(next_batch_ != nullptr, OptionError, "next_batch: only inside train_step");
    return next_batch_();
  }
  torch::Tensor noise(int64_t n, c10::IntArrayRef dim) override {
    const BatchShard s = shard();
    std::vector<int64_t> shape{n * s.count};
    shape.insert(shape.end(), dim.begin(), dim.end());
    const torch::Tensor whole = torch::randn(shape, train_gen_);
    return (s.count == 1 ? whole : whole.narrow(0, s.index * n, n)).to(options_.device());
  }
  void zero_grad(const std::string& name) override { net(name).module->zero_grad(/*set_to_none=*/true); }
  void update(const std::string& name) override {
    Net& n = net(name);
    GANCRAFT_CHECK(n.optimizer != nullptr, OptionError, "update: network '", name,
                   "' is not trained (NetworkOptions::trained is false)");
    if constexpr (detail::gradient_policy<Policy>) policy_.before_optimizer_step(*this, *n.module);
    const double clip = n.options.clip_grad_norm().value_or(options_.clip_grad_norm());
    if (clip > 0) torch::nn::utils::clip_grad_norm_(n.module->parameters(), clip);
    n.optimizer->step();
  }
  BatchShard shard() const override { return policy_shard(policy_); }

  M model_;
  Policy policy_;
  std::vector<Net> nets_;
  int64_t batches_per_step_ = 1;
  std::function<torch::data::Example<>()> next_batch_;
};

}  // namespace gancraft
