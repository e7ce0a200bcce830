#pragma once
/// @file gancraft/training/training_loop.hpp
/// The machinery every trainer shares: hooks, random streams, the pass over the data, the step
/// loop, learning-rate schedules, signals and the loop state that checkpoints store.

#include <gancraft/concepts/hook.hpp>
#include <gancraft/core/batch_shard.hpp>
#include <gancraft/core/loop_state.hpp>
#include <gancraft/core/lr_schedule.hpp>
#include <gancraft/core/random.hpp>
#include <gancraft/core/step_losses.hpp>
#include <gancraft/core/step_report.hpp>
#include <gancraft/core/trainer_options.hpp>
#include <gancraft/core/training_context.hpp>
#include <gancraft/detail/threads.hpp>
#include <gancraft/error.hpp>
#include <gancraft/io/checkpoint.hpp>
#include <gancraft/training/batch_source.hpp>
#include <gancraft/training/hook_slot.hpp>
#include <gancraft/training/signal_stop.hpp>

#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace gancraft {
namespace detail {

/// `ds.get(i).data` and `ds.size()`: a map-style `torch::data` dataset.
template <class Ds>
concept map_dataset = requires(Ds& ds, size_t i) {
  { ds.get(i).data } -> std::convertible_to<torch::Tensor>;
  { ds.size().has_value() } -> std::convertible_to<bool>;  // c10::optional<size_t>
  { *ds.size() } -> std::convertible_to<size_t>;
};

/// A policy that splits every batch across processes: `BatchShard shard() const`.
template <class P>
concept sharding_policy = requires(const P& p) {
  { p.shard() } -> std::convertible_to<BatchShard>;
};

/// A policy that acts on the gradients between each backward pass and the optimizer step
/// (e.g. averages them across processes): `before_optimizer_step(TrainingContext&, Module&)`.
template <class P>
concept gradient_policy = requires(P& p, TrainingContext& c, torch::nn::Module& m) {
  p.before_optimizer_step(c, m);
};


/// A policy that makes the decision to stop on a signal for several processes together (so
/// they stop after the same step): `bool should_stop(bool signalled)`.
template <class P>
concept stopping_policy = requires(P& p, bool signalled) {
  { p.should_stop(signalled) } -> std::convertible_to<bool>;
};

}  // namespace detail

/// The part of a trainer that does not depend on what is trained: `Trainer` (a GAN) and
/// `ModelTrainer` (any `Model`) derive from it and supply one training step.
///
/// It owns the options, the training and sampling random streams, the position in the data,
/// the step counter and the hooks, and runs the loop: schedule the rates, run a step, report
/// it to the hooks, stop on a hook's request or a signal.
class TrainingLoop : public TrainingContext {
 public:
  /// Adds a hook (see `Hook`) and returns the stored copy.
  template <class H>
  H& add_hook(H hook) {
    static_assert(Hook<H>,
                  "gancraft add_hook: a hook needs at least one of on_train_begin, "
                  "on_step_end(const StepReport&), on_epoch_end, on_train_end, "
                  "on_discriminator_step_end; see docs/hooks.md");
    auto stored = std::make_shared<H>(std::move(hook));
    hooks_.push_back(detail::make_hook_slot(stored));
    return *stored;
  }

  at::Generator& training_stream() { return train_gen_; }  ///< noise, data order, penalties
  at::Generator& sampling_stream() { return sample_gen_; }  ///< `sample()` noise

  const TrainerOptions& options() const override { return options_; }
  int64_t step() const override { return step_; }
  int64_t epoch() const override { return data_order_.completed; }

  LoopState loop_state() override {
    LoopState s;
    s.step = step_;
    s.epoch = data_order_.completed;
    s.training_rng = train_gen_.get_state();
    s.sampling_rng = sample_gen_.get_state();
    {
      at::Generator global = at::detail::getDefaultCPUGenerator();
      std::lock_guard<std::mutex> lock(global.mutex());
      s.global_rng = global.get_state();
    }
    if (data_order_.order.defined()) s.data_order = data_order_.order.clone();
    s.data_position = data_order_.position;
    return s;
  }

  void restore_loop_state(const LoopState& s) override {
    GANCRAFT_CHECK(s.step >= 0 && s.epoch >= 0 && s.data_position >= 0, OptionError,
                   "restore_loop_state: negative step, epoch or data position");
    train_gen_.set_state(s.training_rng);
    sample_gen_.set_state(s.sampling_rng);
    if (s.global_rng.defined()) {
      at::Generator global = at::detail::getDefaultCPUGenerator();
      std::lock_guard<std::mutex> lock(global.mutex());
      global.set_state(s.global_rng);
    }
    data_order_.order = s.data_order.defined() ? s.data_order.clone() : torch::Tensor();
    data_order_.position = s.data_position;
    data_order_.completed = s.epoch;
    step_ = s.step;
  }

  /// Restores the newest valid checkpoint under `path` (a checkpoint directory or a
  /// `Checkpointer` root), falling back past damaged ones with a warning; the next `fit`
  /// continues exactly where that checkpoint was written. See `gancraft::resume`.
  ResumeInfo resume(const std::filesystem::path& path) { return gancraft::resume(*this, path); }

  /// True when the last `fit` stopped early because of SIGINT or SIGTERM
  /// (see `TrainerOptions::stop_on_signal`).
  bool interrupted() const { return interrupted_; }

 protected:
  /// XORed into the seed for the sampling stream, so that it is independent of training's.
  static constexpr uint64_t kSampleStream = 0x9E3779B97F4A7C15ULL;

  /// Seeds both streams from `options.seed()`; the derived trainer validates the options.
  explicit TrainingLoop(TrainerOptions options)
      : options_(std::move(options)),
        train_gen_(make_generator(options_.seed())),
        sample_gen_(make_generator(options_.seed() ^ kSampleStream)) {}

  /// An optimizer and the schedule that moves its rates (the derived trainer lists them).
  struct Scheduled {
    torch::optim::Optimizer* optimizer;  ///< whose rates move
    LrSchedule schedule;                 ///< how
  };

  /// Runs steps until `total_steps` (from `steps`, or `epochs` passes of `batches_per_step`
  /// batches each) are done: `step_fn(next_real, read_losses)` runs one and returns its
  /// losses. `policy` may decide stops for several processes together (`should_stop`).
  template <class Policy, class StepFn>
  void run_loop(const detail::BatchSource& source, int64_t batches_per_step, BatchShard shard,
                Policy& policy, const std::vector<Scheduled>& scheduled, StepFn&& step_fn) {
    const int64_t per_epoch = source.batches_per_epoch();
    const int64_t total =
        options_.steps() ? *options_.steps()
                         : (options_.epochs() ? *options_.epochs() * per_epoch / batches_per_step : -1);
    GANCRAFT_CHECK(total >= 0, OptionError,
                   "TrainerOptions: set steps or epochs to say how long to train");
    if (options_.threads()) torch::set_num_threads(*options_.threads());
    if (options_.blas_threads() || options_.threads())
      detail::set_blas_threads(options_.blas_threads().value_or(options_.threads().value_or(1)));
    ScopedTrainingGenerator scoped(train_gen_, shard);  // penalties draw for the whole batch
    int64_t report_epoch = data_order_.completed;
    for (auto& n : networks())  // a network without an optimizer keeps the mode its owner set
      if (n.optimizer) n.module->train();
    for (auto& h : hooks_)
      if (h.on_train_begin) h.on_train_begin(*this);

    const auto start = std::chrono::steady_clock::now();
    auto next_real = [&] { return source.next(data_order_, train_gen_); };
    interrupted_ = false;
    detail::SignalStop signals(options_.stop_on_signal());
    while (step_ < total) {
      const bool read = losses_wanted(step_ + 1);
      for (const auto& s : scheduled) apply_lr_schedule(*s.optimizer, s.schedule, step_ + 1, total);
      StepLosses losses = step_fn(next_real, read);
      ++step_;
      const int64_t previous_epoch = report_epoch;
      report_epoch = data_order_.completed;

      StepReport report;
      report.step = step_;
      report.total_steps = total;
      report.epoch = report_epoch;
      report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (read) {  // a custom policy or model may leave some undefined
        if (losses.d_loss.defined()) report.d_loss = losses.d_loss.item<double>();
        if (losses.g_loss.defined()) report.g_loss = losses.g_loss.item<double>();
        if (losses.penalty.defined()) report.scalars["penalty"] = losses.penalty.item<double>();
        if (losses.d_real.defined()) report.scalars["d_real"] = losses.d_real.item<double>();
        if (losses.d_fake.defined()) report.scalars["d_fake"] = losses.d_fake.item<double>();
        for (const auto& [name, value] : losses.scalars)
          if (value.defined()) report.scalars[name] = value.template item<double>();
      }
      bool stop = false;
      for (auto& h : hooks_) {
        if (h.on_step_end && h.on_step_end(report, *this)) stop = true;
        if (step_ != report.step) break;  // a hook rolled back: the report is stale for the rest
      }
      for (int64_t e = previous_epoch + 1; e <= report_epoch; ++e)
        for (auto& h : hooks_)
          if (h.on_epoch_end) h.on_epoch_end(e, *this);
      bool signalled = signals.raised();
      if constexpr (detail::stopping_policy<Policy>)  // every process asks, every step
        if (options_.stop_on_signal()) signalled = policy.should_stop(signalled);
      if (signalled && step_ < total) interrupted_ = true;
      if (stop || interrupted_) break;
    }
    for (auto& h : hooks_)
      if (h.on_train_end) h.on_train_end(*this);
  }

  /// `policy`'s `BatchShard`, checked; the whole batch without a sharding policy.
  template <class Policy>
  BatchShard policy_shard(const Policy& policy) const {
    if constexpr (detail::sharding_policy<Policy>) {
      const BatchShard s = policy.shard();
      GANCRAFT_CHECK(s.count >= 1 && s.index >= 0 && s.index < s.count, OptionError,
                     "the policy's BatchShard has index ", s.index, " and count ", s.count,
                     "; it needs 0 <= index < count");
      GANCRAFT_CHECK(options_.batch_size() % s.count == 0, OptionError,
                     "TrainerOptions::batch_size (", options_.batch_size(),
                     ") must be divisible by the number of processes sharing each batch (",
                     s.count, ")");
      return s;
    } else {
      (void)policy;
      return {};
    }
  }

  /// Calls every hook's `on_discriminator_step_end`.
  void discriminator_step_ended() {
    for (auto& h : hooks_)
      if (h.on_discriminator_step_end) h.on_discriminator_step_end(*this);
  }

  TrainerOptions options_;               ///< the loop's options
  at::Generator train_gen_;              ///< noise, data order, penalties
  at::Generator sample_gen_;             ///< `sample()` noise
  std::vector<detail::HookSlot> hooks_;  ///< in the order added
  detail::DataOrder data_order_;         ///< the position in the data
  int64_t step_ = 0;                     ///< steps done
  bool interrupted_ = false;             ///< the last `fit` stopped on a signal

 private:
  /// Moves `opt`'s rates from the schedule's factor of the previous update to this one's,
  /// multiplicatively, so that changes made by others (`DivergenceGuard` lowering the rates)
  /// persist and a resumed run, whose rates come from the checkpoint, continues exactly.
  static void apply_lr_schedule(torch::optim::Optimizer& opt, const LrSchedule& sch, int64_t step, int64_t total) {
    if (sch.kind() == LrSchedule::Kind::Constant) return;
    const double before = sch.factor(step - 1, total), now = sch.factor(step, total);
    if (before == now) return;
    for (auto& group : opt.param_groups())
      group.options().set_lr(before > 0 ? group.options().get_lr() * (now / before) : 0.0);
  }

  bool losses_wanted(int64_t step) const {
    for (const auto& h : hooks_) {
      if (!h.on_step_end) continue;  // only on_step_end sees the losses
      if (!h.interval) return true;
      const int64_t every = h.interval();
      if (every > 0 && step % every == 0) return true;
    }
    return false;
  }
};

}  // namespace gancraft
