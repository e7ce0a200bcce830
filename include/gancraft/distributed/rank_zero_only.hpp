#pragma once
/// @file gancraft/distributed/rank_zero_only.hpp

#include <gancraft/concepts/hook.hpp>
#include <gancraft/distributed/collectives.hpp>
#include <gancraft/distributed/process_group.hpp>
#include <gancraft/core/step_report.hpp>
#include <gancraft/core/training_context.hpp>

#include <torch/torch.h>

#include <concepts>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

namespace gancraft::distributed {
namespace detail {
template <class H>
concept hook_interval = requires(const H& h) {
  { h.interval() } -> std::convertible_to<int64_t>;
};
}  // namespace detail

/// A hook that runs only on rank 0: for hooks that write (`Checkpointer`, `SampleGrid`,
/// `JsonlLogger`, `ProgressBar`), so that N ranks do not write the same files.
///
/// Add it on **every** rank: it has the wrapped hook's members, including `interval()`, so the
/// trainer asks for the losses on the same steps everywhere (reading them is a collective with
/// `DataParallel`). When the hook's `on_step_end` returns a stop request, rank 0's answer is
/// broadcast so that all ranks stop after the same step (one small message per step).
/// `on_discriminator_step_end` is forwarded as the rest. Hooks that change the training state
/// (`WeightClip`, `DivergenceGuard`) must run on every rank, unwrapped.
/// @code
/// trainer.add_hook(gc::distributed::RankZeroOnly(gc::hooks::JsonlLogger("run/metrics.jsonl"), group));
/// @endcode
/// @tparam H the wrapped `Hook`
template <Hook H>
class RankZeroOnly {
 public:
  /// Runs `hook` on rank 0 of `group` only.
  RankZeroOnly(H hook, ProcessGroup group) : hook_(std::move(hook)), group_(std::move(group)) {}

  H& hook() { return hook_; }  ///< the wrapped hook (it ran only on rank 0)

  /// The wrapped hook's `interval()`, on every rank.
  int64_t interval() const requires detail::hook_interval<H> { return hook_.interval(); }

  /// Forwards on rank 0.
  void on_train_begin(TrainingContext& ctx) requires ::gancraft::detail::hook_train_begin<H> {
    if (!group_.is_rank_zero()) return;
    if constexpr (requires { hook_.on_train_begin(ctx); })
      hook_.on_train_begin(ctx);
    else
      hook_.on_train_begin();
  }

  /// Forwards on rank 0; a stop request made there is returned on every rank.
  bool on_step_end(const StepReport& r, TrainingContext& ctx) requires ::gancraft::detail::hook_step_end<H> {
    auto call = [&] {
      if constexpr (requires { hook_.on_step_end(r, ctx); })
        return hook_.on_step_end(r, ctx);
      else
        return hook_.on_step_end(r);
    };
    using Result = decltype(call());
    if constexpr (std::is_convertible_v<Result, bool>) {
      bool stop = group_.is_rank_zero() ? static_cast<bool>(call()) : false;
      if (group_.distributed()) {
        torch::Tensor flag =
            torch::full({1}, stop ? 1.0 : 0.0, torch::TensorOptions().device(ctx.options().device()));
        broadcast(group_, {flag}, "a hook's stop request");
        stop = flag.item<double>() != 0.0;
      }
      return stop;
    } else {
      if (group_.is_rank_zero()) call();
      return false;
    }
  }

  /// Forwards on rank 0.
  void on_epoch_end(int64_t epoch, TrainingContext& ctx) requires ::gancraft::detail::hook_epoch_end<H> {
    if (!group_.is_rank_zero()) return;
    if constexpr (requires { hook_.on_epoch_end(epoch, ctx); })
      hook_.on_epoch_end(epoch, ctx);
    else if constexpr (requires { hook_.on_epoch_end(epoch); })
      hook_.on_epoch_end(epoch);
    else
      hook_.on_epoch_end();
  }

  /// Forwards on rank 0.
  void on_train_end(TrainingContext& ctx) requires ::gancraft::detail::hook_train_end<H> {
    if (!group_.is_rank_zero()) return;
    if constexpr (requires { hook_.on_train_end(ctx); })
      hook_.on_train_end(ctx);
    else
      hook_.on_train_end();
  }

  /// Forwards on rank 0.
  void on_discriminator_step_end(TrainingContext& ctx)
    requires ::gancraft::detail::hook_discriminator_step_end<H> {
    if (group_.is_rank_zero()) hook_.on_discriminator_step_end(ctx);
  }

 private:
  H hook_;
  ProcessGroup group_;
};

}  // namespace gancraft::distributed
