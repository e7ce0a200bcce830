#pragma once
/// @file gancraft/training/trainer.hpp

#include <gancraft/concepts/conditional_discriminator.hpp>
#include <gancraft/concepts/conditional_generator.hpp>
#include <gancraft/concepts/conditional_loss.hpp>
#include <gancraft/concepts/discriminator.hpp>
#include <gancraft/concepts/generator.hpp>
#include <gancraft/concepts/hook.hpp>
#include <gancraft/concepts/loss.hpp>
#include <gancraft/concepts/penalty.hpp>
#include <gancraft/core/batch_shard.hpp>
#include <gancraft/core/loop_state.hpp>
#include <gancraft/core/optimizer_options.hpp>
#include <gancraft/core/random.hpp>
#include <gancraft/core/step_report.hpp>
#include <gancraft/core/trainer_options.hpp>
#include <gancraft/core/training_context.hpp>
#include <gancraft/detail/exception_text.hpp>
#include <gancraft/detail/threads.hpp>
#include <gancraft/error.hpp>
#include <gancraft/io/checkpoint.hpp>
#include <gancraft/training/alternating_policy.hpp>
#include <gancraft/training/batch_source.hpp>
#include <gancraft/training/scoped_state.hpp>
#include <gancraft/training/training_loop.hpp>

#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace gancraft {
namespace detail {

}  // namespace detail

/// Discriminator results of one update, detached from the graph.
struct DiscriminatorStepResult {
  torch::Tensor loss;         ///< the loss's score term
  torch::Tensor penalty;      ///< the penalty term, undefined without one
  torch::Tensor real_scores;  ///< `[N]`
  torch::Tensor fake_scores;  ///< `[N]`
};

/// The adversarial training loop: owns G, D, the loss and both optimizers.
///
/// @code
/// auto trainer = gc::Trainer(Gen{}, Critic{}, gc::losses::NonSaturating{},
///                            gc::TrainerOptions().latent_dim(8).steps(4000));
/// trainer.fit(real);                 // a tensor [N, ...] or a map-style torch::data dataset
/// torch::Tensor x = trainer.sample(1000);
/// @endcode
/// @tparam G      a `Generator`, or a `ConditionalGenerator` (docs/conditional.md)
/// @tparam D      a `Discriminator`, or with a conditional G a `ConditionalDiscriminator`
/// @tparam L      a `Loss`, possibly with penalties (`with_penalty`); with a conditional G also
///                a `ConditionalLoss` (`losses::AuxiliaryClassifier`)
/// @tparam Policy the schedule of updates; `AlternatingPolicy` by default
template <class G, class D, class L, class Policy = AlternatingPolicy>
class Trainer final : public TrainingLoop {
  // One message per missing piece, each only when the previous pieces are present.
  static_assert(detail::module_handle<G>,
                "gancraft::Trainer: the generator must be a torch::nn::Module holder "
                "(TORCH_MODULE) or a std::shared_ptr to a module; see docs/concepts.md");
  static_assert(!detail::module_handle<G> || detail::forward_one_tensor<G> ||
                    detail::forward_with_labels<G>,
                "gancraft::Trainer: the generator must have `torch::Tensor forward(torch::Tensor "
                "z)` (or `forward(z, labels)` for a conditional GAN); see docs/concepts.md");
  static_assert(!detail::module_handle<G> || detail::has_parameters<G>,
                "gancraft::Trainer: the generator must have `parameters()`");
  static_assert(detail::module_handle<D>,
                "gancraft::Trainer: the discriminator must be a torch::nn::Module holder "
                "(TORCH_MODULE) or a std::shared_ptr to a module; see docs/concepts.md");
  static_assert(!detail::module_handle<D> || detail::forward_one_tensor<D> ||
                    detail::forward_with_labels<D>,
                "gancraft::Trainer: the discriminator must have `torch::Tensor "
                "forward(torch::Tensor x)` (or `forward(x, labels)` for a conditional GAN); see "
                "docs/concepts.md");
  static_assert(ConditionalGenerator<G> || !(detail::takes_labels<D> || ConditionalLoss<L>),
                "gancraft::Trainer: a conditional discriminator or loss needs a conditional "
                "generator, `forward(z, labels)`; see docs/conditional.md");
  static_assert(!ConditionalGenerator<G> || detail::takes_labels<D> || ConditionalLoss<L>,
                "gancraft::Trainer: the generator's forward takes two tensors, so it is taken as a "
                "conditional generator `forward(z, labels)`; an unconditional generator's forward "
                "must take one tensor, `forward(torch::Tensor z)`. A conditional generator needs a "
                "discriminator that sees the labels, `forward(x, labels)` (projection), or a "
                "ConditionalLoss such as losses::AuxiliaryClassifier (AC-GAN); see docs/conditional.md");
  static_assert(!detail::module_handle<D> || detail::has_parameters<D>,
                "gancraft::Trainer: the discriminator must have `parameters()`");
  static_assert(ConditionalLoss<L> || detail::has_discriminator_loss<L>,
                "gancraft::Trainer: the loss must have `torch::Tensor discriminator_loss(const "
                "torch::Tensor& real_scores, const torch::Tensor& fake_scores)`; see docs/losses.md");
  static_assert(ConditionalLoss<L> || detail::has_generator_loss<L> ||
                    detail::has_relativistic_generator_loss<L>,
                "gancraft::Trainer: the loss must have `torch::Tensor generator_loss(const "
                "torch::Tensor& fake_scores)` or `generator_loss(fake_scores, real_scores)`; see "
                "docs/losses.md");
  /// A conditional GAN: G takes labels (and so the data must carry them).
  static constexpr bool conditional = ConditionalGenerator<G>;
  /// The generator loss also needs the real batch's scores (`generator_loss(fake, real)`); a
  /// `ConditionalLoss`'s `generator_loss(fake_out, labels)` has two arguments too but is not one.
  static constexpr bool relativistic = !ConditionalLoss<L> && detail::has_relativistic_generator_loss<L>;
  static constexpr bool valid =
      conditional ? ((ConditionalDiscriminator<D> && (Loss<L> || ConditionalLoss<L>)) ||
                     (Discriminator<D> && ConditionalLoss<L>))
                  : (Generator<G> && Discriminator<D> && Loss<L>);

 public:
  /// Takes ownership of the networks and the loss, moves the networks to `options.device()`,
  /// builds both optimizers, and checks with one probe pass (eval mode, no graph) that
  /// `latent_dim` fits G and G's output fits D. Throws `ShapeError` or `OptionError`.
  Trainer(G generator, D discriminator, L loss, TrainerOptions options = {}, Policy policy = {})
      : TrainingLoop(std::move(options)),
        g_(std::move(generator)),
        d_(std::move(discriminator)),
        loss_(std::move(loss)),
        policy_(std::move(policy)) {
    if constexpr (valid) {
      options_.validate();
      if constexpr (conditional)
        GANCRAFT_CHECK(options_.num_classes() >= 1, OptionError,
                       "the generator is conditional (forward(z, labels)): set "
                       "TrainerOptions::num_classes");
      else
        GANCRAFT_CHECK(options_.num_classes() == 0, OptionError, "TrainerOptions::num_classes is ",
                       options_.num_classes(), " but the generator is not conditional (it has no "
                       "forward(z, labels))");
      g_->to(options_.device());
      d_->to(options_.device());
      probe();
      g_opt_ = detail::make_optimizer(options_.g_optimizer(), g_->parameters(), "generator");
      d_opt_ = detail::make_optimizer(options_.d_optimizer(), d_->parameters(), "discriminator");
    }
  }

  /// Trains on a tensor whose first dimension indexes samples (floating point, shaped like
  /// the generator's output). Runs until `steps` generator updates have been made in total
  /// (counting any restored from a checkpoint), or `epochs` passes.
  void fit(const torch::Tensor& real) {
    GANCRAFT_CHECK(!conditional, OptionError,
                   "fit: the generator is conditional; give the labels too: fit(real, labels)");
    fit_tensors(real, torch::Tensor());
  }

  /// Trains a conditional GAN on samples `real` `[N, ...]` with int64 class labels `[N]` in
  /// `[0, TrainerOptions::num_classes)`; otherwise as `fit(real)`.
  void fit(const torch::Tensor& real, const torch::Tensor& labels) {
    GANCRAFT_CHECK(conditional, OptionError,
                   "fit: labels were given but the generator is not conditional (it has no "
                   "forward(z, labels))");
    GANCRAFT_CHECK(real.defined() && labels.defined() && labels.dim() == 1 && real.dim() >= 1 &&
                       labels.size(0) == real.size(0),
                   ShapeError, "fit: expected one label per sample, [", real.defined() ? real.size(0) : 0,
                   "], got labels of shape ", labels.defined() ? labels.sizes() : c10::IntArrayRef{});
    check_labels(labels, "fit");
    fit_tensors(real, labels);
  }

  /// Trains on a map-style `torch::data` dataset (`get(i).data`, `size()`), such as
  /// `data::FashionMNIST`. A conditional GAN takes each sample's label from `get(i).target`
  /// (an integer scalar); an unconditional one ignores it.
  template <detail::map_dataset Ds>
  void fit(Ds dataset) {
    const auto n = dataset.size();
    GANCRAFT_CHECK(n.has_value(), ShapeError, "fit: the dataset does not report its size");
    GANCRAFT_CHECK(*n > 0, ShapeError, "fit: the dataset is empty");
    torch::Tensor first = dataset.get(0).data;
    check_sample_shape(first.sizes(), "fit: dataset samples");
    auto shared = std::make_shared<Ds>(std::move(dataset));
    const torch::Device device = options_.device();
    const int64_t classes = options_.num_classes();
    run(detail::BatchSource(
        static_cast<int64_t>(*n), options_.batch_size(),
        [shared, device, classes](const torch::Tensor& idx) {
          std::vector<torch::Tensor> items;
          std::vector<int64_t> labels;
          items.reserve(static_cast<size_t>(idx.numel()));
          const auto* p = idx.data_ptr<int64_t>();
          for (int64_t k = 0; k < idx.numel(); ++k) {
            auto example = shared->get(static_cast<size_t>(p[k]));
            items.push_back(example.data);
            if constexpr (conditional) {
              const auto& t = example.target;
              GANCRAFT_CHECK(t.defined() && t.numel() == 1 && !t.is_floating_point(), ShapeError,
                             "fit: sample ", p[k], " of the dataset has no integer label (target)");
              labels.push_back(t.template item<int64_t>());
              GANCRAFT_CHECK(labels.back() >= 0 && labels.back() < classes, ShapeError, "fit: sample ",
                             p[k], " has label ", labels.back(), " outside [0, ", classes,
                             ") (TrainerOptions::num_classes)");
            }
          }
          torch::data::Example<> batch{torch::stack(items).to(device), torch::Tensor()};
          if constexpr (conditional) batch.target = torch::tensor(labels, torch::kLong).to(device);
          return batch;
        },
        shard()));
  }

  /// `n` generator samples, `[n, ...]`, drawn with the trainer's sampling stream (never the
  /// training stream) in the mode `TrainerOptions::sample_mode` names; builds no graph and
  /// leaves all training state untouched.
  /// A conditional generator gets balanced labels, `i % num_classes` for sample i.
  torch::Tensor sample(int64_t n) {
    GANCRAFT_CHECK(n > 0, OptionError, "sample: n must be > 0, got ", n);
    return generate(torch::randn({n, options_.latent_dim()}, sample_gen_));
  }

  /// One sample of a conditional generator per entry of `labels` (int64 `[n]` in
  /// `[0, num_classes)`), otherwise as `sample(n)`.
  torch::Tensor sample(const torch::Tensor& labels) {
    GANCRAFT_CHECK(conditional, OptionError, "sample: labels were given but the generator is not conditional");
    GANCRAFT_CHECK(labels.defined() && labels.dim() == 1 && labels.size(0) > 0, OptionError,
                   "sample: labels must be a non-empty 1-D tensor, got ",
                   labels.defined() ? labels.sizes() : c10::IntArrayRef{});
    check_labels(labels, "sample");  // before drawing: a refused call leaves the stream alone
    return generate_impl(torch::randn({labels.size(0), options_.latent_dim()}, sample_gen_), labels);
  }

  /// One discriminator update on `real`; fakes come from fresh noise. With
  /// `TrainerOptions::accumulation` k the batch is processed in k micro-batches; with
  /// `penalty_every` k the penalties are added on every k-th update only, weighted by k.
  DiscriminatorStepResult discriminator_step(const torch::Tensor& real) {
    GANCRAFT_CHECK(!conditional, OptionError,
                   "discriminator_step: the GAN is conditional; pass the real batch's labels too");
    return discriminator_step(real, torch::Tensor());
  }

  /// One discriminator update on a batch as `next_real()` serves it to a policy: samples in
  /// `data`, labels (conditional GAN) in `target`.
  DiscriminatorStepResult discriminator_step(const torch::data::Example<>& batch) {
    return discriminator_step(batch.data, batch.target);
  }

  /// One discriminator update of a conditional GAN on `real` with int64 `labels` `[N]`; fakes
  /// get uniform labels from the training stream. Unconditional: `labels` is ignored.
  DiscriminatorStepResult discriminator_step(const torch::Tensor& real, const torch::Tensor& labels) {
    const int64_t n = real.size(0);
    const int64_t parts = micro_batches(n);
    torch::Tensor y;  // int64 on the device; undefined when unconditional
    if constexpr (conditional) {
      GANCRAFT_CHECK(labels.defined() && labels.dim() == 1 && labels.size(0) == n, ShapeError,
                     "discriminator_step: expected labels [", n, "], got ",
                     labels.defined() ? labels.sizes() : c10::IntArrayRef{});
      y = labels.to(options_.device(), torch::kLong);
    }
    torch::Tensor all_noise = noise(n);
    torch::Tensor all_fake_labels = fake_labels(n);
    ++d_updates_;
    const int64_t lazy = options_.penalty_every();
    GANCRAFT_CHECK(lazy >= 1, OptionError, "TrainerOptions::penalty_every must be >= 1, got ", lazy);
    const bool with_penalty = d_updates_ % lazy == 0;
    // Dropping the gradients (set to none) spares a fill; every parameter receives a new one.
    detail::module_of(d_).zero_grad(/*set_to_none=*/true);
    torch::Tensor loss_sum, penalty_sum;
    std::vector<torch::Tensor> real_parts, fake_parts;
    for (int64_t i = 0; i < parts; ++i) {
      const torch::Tensor r = part(real, i, parts), ry = part(y, i, parts);
      const torch::Tensor fy = part(all_fake_labels, i, parts);
      torch::Tensor fake;
      {
        torch::NoGradGuard no_grad;  // D's update needs no graph through G
        fake = g_forward(part(all_noise, i, parts), fy);
      }
      torch::Tensor real_out = d_forward(r, ry), fake_out = d_forward(fake, fy);
      torch::Tensor real_scores = scores_of(real_out), fake_scores = scores_of(fake_out);
      torch::Tensor loss;
      if constexpr (ConditionalLoss<L>)
        loss = loss_.discriminator_loss(real_out, fake_out, ry, fy);
      else
        loss = loss_.discriminator_loss(real_scores, fake_scores);
      torch::Tensor total = loss;
      if constexpr (detail::has_penalty<L>) {
        if (with_penalty) {
          // A conditional critic sees the real batch's labels, whatever the penalty evaluates
          // (right for R1; documented in docs/conditional.md for the others).
          DiscriminatorFn critic = [this, ry](const torch::Tensor& x) {
            return scores_of(d_forward(x, ry));
          };
          torch::Tensor penalty = loss_.penalty(critic, r, fake) * static_cast<double>(lazy);
          total = total + penalty;
          penalty_sum = penalty_sum.defined() ? penalty_sum + penalty.detach() : penalty.detach();
        }
      }
      (parts == 1 ? total : total / static_cast<double>(parts)).backward();
      loss_sum = loss_sum.defined() ? loss_sum + loss.detach() : loss.detach();
      real_parts.push_back(real_scores.detach());
      fake_parts.push_back(fake_scores.detach());
    }
    gradients_ready(detail::module_of(d_));
    clip(detail::module_of(d_));
    d_opt_->step();
    if constexpr (relativistic) {
      last_real_ = real;
      last_real_labels_ = y;
    }
    discriminator_step_ended();
    const double scale = 1.0 / static_cast<double>(parts);
    return {parts == 1 ? loss_sum : loss_sum * scale,
            penalty_sum.defined() ? (parts == 1 ? penalty_sum : penalty_sum * scale) : penalty_sum,
            parts == 1 ? real_parts[0] : torch::cat(real_parts),
            parts == 1 ? fake_parts[0] : torch::cat(fake_parts)};
  }

  /// One generator update on a batch of `batch_size` fresh latents (this process's part of
  /// them, with a sharding policy); returns the detached loss.
  torch::Tensor generator_step() {
    detail::FrozenParameters frozen(d_->parameters());
    const int64_t n = options_.batch_size() / shard().count;
    const int64_t parts = micro_batches(n);
    torch::Tensor all_noise = noise(n);
    torch::Tensor all_labels = fake_labels(n);
    torch::Tensor all_real_scores;
    if constexpr (relativistic) {
      GANCRAFT_CHECK(last_real_.defined(), OptionError,
                     "generator_step: a relativistic loss needs a real batch; run "
                     "discriminator_step first");
      torch::NoGradGuard no_grad;
      all_real_scores = scores_of(d_forward(last_real_, last_real_labels_));
    }
    detail::module_of(g_).zero_grad(/*set_to_none=*/true);
    torch::Tensor loss_sum;
    for (int64_t i = 0; i < parts; ++i) {
      const torch::Tensor y = part(all_labels, i, parts);
      torch::Tensor fake_out = d_forward(g_forward(part(all_noise, i, parts), y), y);
      torch::Tensor loss;
      if constexpr (ConditionalLoss<L>) {
        loss = loss_.generator_loss(fake_out, y);
      } else if constexpr (relativistic) {
        const torch::Tensor fake_scores = scores_of(fake_out);
        loss = loss_.generator_loss(fake_scores, part(all_real_scores, i, parts));
      } else {
        loss = loss_.generator_loss(scores_of(fake_out));
      }
      (parts == 1 ? loss : loss / static_cast<double>(parts)).backward();
      loss_sum = loss_sum.defined() ? loss_sum + loss.detach() : loss.detach();
    }
    gradients_ready(detail::module_of(g_));
    clip(detail::module_of(g_));
    g_opt_->step();
    return parts == 1 ? loss_sum : loss_sum / static_cast<double>(parts);
  }

  G& generator() { return g_; }                ///< the generator
  D& discriminator() { return d_; }            ///< the discriminator
  L& loss() { return loss_; }                  ///< the loss
  Policy& policy() { return policy_; }         ///< the schedule

  // TrainingContext
  torch::nn::Module& generator_module() override { return detail::module_of(g_); }
  torch::nn::Module& discriminator_module() override { return detail::module_of(d_); }
  torch::optim::Optimizer& generator_optimizer() override { return *g_opt_; }
  torch::optim::Optimizer& discriminator_optimizer() override { return *d_opt_; }
  void restore_loop_state(const LoopState& s) override {
    TrainingLoop::restore_loop_state(s);
    d_updates_ = s.step * options_.d_steps_per_g_step();  // checkpoints fall between steps
  }

  torch::Tensor generate(const torch::Tensor& z) override {
    if constexpr (conditional)
      return generate_impl(z, torch::arange(z.size(0), torch::kLong).remainder(options_.num_classes()));
    else
      return generate_impl(z, torch::Tensor());
  }

  torch::Tensor generate(const torch::Tensor& z, const torch::Tensor& labels) override {
    GANCRAFT_CHECK(conditional, OptionError,
                   "generate: labels were given but the generator is not conditional");
    GANCRAFT_CHECK(labels.defined() && labels.dim() == 1 && labels.size(0) == z.size(0), ShapeError,
                   "generate: expected one label per latent, [", z.size(0), "], got ",
                   labels.defined() ? labels.sizes() : c10::IntArrayRef{});
    check_labels(labels, "generate");
    return generate_impl(z, labels);
  }

  /// Runs `f(generator())` in the sampling view that `generate` uses: no graph, G in the mode
  /// `TrainerOptions::sample_mode` names (restored after, with its buffers), LibTorch's global
  /// stream restored, the averaged weights swapped in when `hooks::GeneratorEMA` keeps them.
  /// `export_generator` traces G inside it.
  template <class F>
  auto view(F f) {
    torch::NoGradGuard no_grad;
    torch::nn::Module& m = detail::module_of(g_);
    detail::ModeGuard mode(m);
    // A generator that draws random numbers (dropout, noise injection) must not move the global
    // stream that training and checkpoints use.
    detail::GlobalGeneratorGuard global_rng;
    // Averaged weights (GeneratorEMA) stand in for G's own, which are put back afterwards.
    detail::ParameterSwap swap(m, sampling_parameters());
    std::unique_ptr<detail::BufferGuard> buffers;
    if (options_.sample_mode() == SampleMode::Eval) {
      m.eval();
    } else {
      buffers = std::make_unique<detail::BufferGuard>(m);
      m.train(true);
    }
    return f(g_);
  }

 private:
  torch::Tensor generate_impl(const torch::Tensor& z, const torch::Tensor& labels) {
    const torch::Tensor y = labels.defined() ? labels.to(options_.device(), torch::kLong) : labels;
    return view([&](G&) { return g_forward(z.to(options_.device()), y); });
  }

  /// `n` latents from the training stream. With a sharding policy they are this process's rows
  /// of a draw of `n · count`, so that the stream advances as in a single process.
  torch::Tensor noise(int64_t n) {
    return this_process_rows(torch::randn({n * shard().count, options_.latent_dim()}, train_gen_), n);
  }

  /// `n` uniform fake labels from the training stream for a conditional GAN (this process's rows
  /// of a whole-batch draw, as `noise`); undefined otherwise.
  torch::Tensor fake_labels(int64_t n) {
    if constexpr (!conditional)
      return torch::Tensor();
    else
      return this_process_rows(torch::randint(options_.num_classes(), {n * shard().count}, train_gen_, torch::kLong), n);
  }

  /// This process's `n` rows of a draw for the whole batch (all of it without a sharding
  /// policy), on the device: the streams advance as in a single process.
  torch::Tensor this_process_rows(const torch::Tensor& whole, int64_t n) const {
    const BatchShard s = shard();
    return (s.count == 1 ? whole : whole.narrow(0, s.index * n, n)).to(options_.device());
  }

  /// Micro-batch `i` of `parts` of `t` (all of it for one part; undefined stays undefined).
  static torch::Tensor part(const torch::Tensor& t, int64_t i, int64_t parts) {
    return parts == 1 || !t.defined() ? t : t.chunk(parts)[i];
  }

  /// G on latents `z`, with `labels` when it is conditional.
  torch::Tensor g_forward(const torch::Tensor& z, const torch::Tensor& labels) {
    if constexpr (conditional) return g_->forward(z, labels);
    else return g_->forward(z);
  }

  /// D's raw output for `x`, with `labels` when it sees them (projection discriminator).
  torch::Tensor d_forward(const torch::Tensor& x, const torch::Tensor& labels) {
    if constexpr (conditional && detail::takes_labels<D>) return d_->forward(x, labels);
    else return d_->forward(x);
  }

  /// The adversarial scores `[N]` in D's output: the loss picks them out of a wider output
  /// (AC-GAN), otherwise the output is one score per sample.
  torch::Tensor scores_of(const torch::Tensor& out) {
    if constexpr (ConditionalLoss<L>) return loss_.scores(out);
    else return out.reshape({-1});
  }

  /// `labels` are integers in `[0, num_classes)`, or a `ShapeError` naming `what`.
  void check_labels(const torch::Tensor& labels, const char* what) const {
    GANCRAFT_CHECK(!labels.is_floating_point() && !labels.is_complex() && labels.scalar_type() != torch::kBool,
                   ShapeError, what, ": labels must be integers, got ", labels.scalar_type());
    if (labels.numel() == 0) return;
    const int64_t lo = labels.min().item<int64_t>(), hi = labels.max().item<int64_t>();
    GANCRAFT_CHECK(lo >= 0 && hi < options_.num_classes(), ShapeError, what, ": labels range over [", lo,
                   ", ", hi, "] but must lie in [0, ", options_.num_classes(), ") (TrainerOptions::num_classes)");
  }

  /// The checked tensors of `fit`: samples and, for a conditional GAN, their labels.
  void fit_tensors(const torch::Tensor& real, const torch::Tensor& labels) {
    GANCRAFT_CHECK(real.defined() && real.dim() >= 1, ShapeError,
                   "fit: the real data must be a tensor with a sample dimension");
    GANCRAFT_CHECK(real.is_floating_point(), ShapeError, "fit: the real data has dtype ",
                   real.dtype(), "; it must be floating point, scaled like the generator output");
    check_sample_shape(real.sizes().slice(1), "fit: real samples");
    torch::Tensor data = real.to(options_.device());
    torch::Tensor y = labels.defined() ? labels.to(torch::kLong).to(options_.device()) : labels;
    run(detail::tensor_batches(data, y, options_.batch_size(), shard()));
  }

  /// The policy's `BatchShard`, checked; the whole batch without a sharding policy.
  BatchShard shard() const { return policy_shard(policy_); }

  /// The number of micro-batches of a batch of `n` (`TrainerOptions::accumulation`), checked.
  int64_t micro_batches(int64_t n) const {
    const int64_t k = options_.accumulation();
    GANCRAFT_CHECK(k >= 1 && n % k == 0, OptionError, "TrainerOptions::accumulation (", k,
                   ") must be >= 1 and divide the batch of ", n, " samples");
    return k;
  }

  /// `TrainerOptions::clip_grad_norm`: rescales `network`'s gradients to at most that norm.
  void clip(torch::nn::Module& network) {
    if (options_.clip_grad_norm() > 0)
      torch::nn::utils::clip_grad_norm_(network.parameters(), options_.clip_grad_norm());
  }

  /// Lets a gradient policy act between `network`'s backward pass and its optimizer step.
  void gradients_ready(torch::nn::Module& network) {
    if constexpr (detail::gradient_policy<Policy>) policy_.before_optimizer_step(*this, network);
  }

  void probe() {
    const int64_t latent = options_.latent_dim();
    // A packing discriminator (PacGAN) scores groups of `samples_per_score()` samples.
    const int64_t k = gancraft::samples_per_score(d_);
    GANCRAFT_CHECK(k >= 1 && options_.batch_size() % k == 0, OptionError,
                   "TrainerOptions::batch_size (", options_.batch_size(),
                   ") must be a multiple of the discriminator's samples per score (", k, ")");
    at::Generator probe_gen = make_generator(options_.seed());
    torch::Tensor z = torch::randn({2 * k, latent}, probe_gen).to(options_.device());
    torch::NoGradGuard no_grad;
    detail::ModeGuard g_mode(detail::module_of(g_));
    detail::ModeGuard d_mode(detail::module_of(d_));
    detail::module_of(g_).eval();
    detail::module_of(d_).eval();
    // A conditional GAN is probed with labels 0, 1, … (mod num_classes).
    const torch::Tensor y = conditional ? torch::arange(2 * k, torch::kLong).remainder(std::max<int64_t>(options_.num_classes(), 1)).to(options_.device())
                                        : torch::Tensor();
    torch::Tensor out;
    try {
      out = g_forward(z, y);
    } catch (const std::exception& e) {
      throw ShapeError(detail::str("generator rejected a latent batch of shape [", 2 * k, ", ", latent,
                                   "] (TrainerOptions::latent_dim = ", latent,
                                   "): ", detail::short_what(e)));
    }
    GANCRAFT_CHECK(out.dim() >= 1 && out.size(0) == 2 * k, ShapeError,
                   "generator returned shape ", out.sizes(), " for a latent batch of ", 2 * k,
                   "; the first dimension must index samples");
    torch::Tensor d_out;
    try {
      d_out = d_forward(out, y);
    } catch (const std::exception& e) {
      throw ShapeError(detail::str("discriminator rejected the generator's output of shape ",
                                   out.sizes(), ": ", detail::short_what(e)));
    }
    if constexpr (ConditionalLoss<L>)
      GANCRAFT_CHECK(d_out.dim() == 2 && d_out.size(0) == 2 * k && d_out.size(1) == 1 + options_.num_classes(),
                     ShapeError, "discriminator returned shape ", d_out.sizes(), " for a batch of ", 2 * k,
                     " but the conditional loss needs [N, 1 + ", options_.num_classes(),
                     "] (an adversarial logit, then one logit per class)");
    // The discriminator's own output, not its flattened scores: [2, 2] must not read as [4].
    const torch::Tensor& shown = ConditionalLoss<L> ? scores_of(d_out) : d_out;
    // [2], [2, 1] or [2, 1, 1, 1] (a conv head): one score per row, whatever the trailing 1s.
    GANCRAFT_CHECK(shown.dim() >= 1 && shown.size(0) == 2 && shown.numel() == 2,
                   ShapeError, "discriminator returned ", ConditionalLoss<L> ? "scores of " : "", "shape ",
                   shown.sizes(), " for a batch of ", 2 * k, "; it must return one score per ",
                   k == 1 ? std::string("sample") : detail::str("group of ", k, " samples"),
                   " ([", 2, "] or [", 2, ", 1])");
    sample_shape_ = out.sizes().slice(1).vec();
  }

  void check_sample_shape(c10::IntArrayRef shape, const char* what) const {
    GANCRAFT_CHECK(shape.vec() == sample_shape_, ShapeError, what, " have shape ", shape,
                   " but the generator produces samples of shape ",
                   c10::IntArrayRef(sample_shape_));
  }

  void run(const detail::BatchSource& source) {
    run_loop(source, options_.d_steps_per_g_step(), shard(), policy_,
             {{g_opt_.get(), options_.lr_schedule()}, {d_opt_.get(), options_.lr_schedule()}},
             [this](auto& next_real, bool read) { return policy_.run_step(*this, next_real, read); });
  }

  G g_;
  D d_;
  L loss_;
  Policy policy_;
  std::unique_ptr<torch::optim::Optimizer> g_opt_;
  std::unique_ptr<torch::optim::Optimizer> d_opt_;
  std::vector<int64_t> sample_shape_;
  torch::Tensor last_real_;
  torch::Tensor last_real_labels_;
  int64_t d_updates_ = 0;  // discriminator updates done (for penalty_every)
};

}  // namespace gancraft
