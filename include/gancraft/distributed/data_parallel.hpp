#pragma once
/// @file gancraft/distributed/data_parallel.hpp
/// The data-parallel training policy: each rank trains on its part of every batch and the
/// gradients are averaged, so all ranks take the same steps as one process on the whole batch.

#include <gancraft/distributed/collectives.hpp>
#include <gancraft/distributed/data_parallel_options.hpp>
#include <gancraft/distributed/process_group.hpp>
#include <gancraft/training/alternating_policy.hpp>
#include <gancraft/training/batch_shard.hpp>
#include <gancraft/training/training_context.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace gancraft::distributed {

/// A `Trainer` policy that trains one model on several processes (Li et al. 2020, "PyTorch
/// Distributed: Experiences on Accelerating Data Parallel Training", arXiv:2006.15704, describe
/// the same scheme for DistributedDataParallel).
///
/// 1. Sharding: every rank draws each batch of real samples and of latents at the global
///    `TrainerOptions::batch_size` from the trainer's streams, as one process would, and trains
///    on rows `[rank · B / W, (rank + 1) · B / W)` of it (`BatchShard`); `B` must be divisible
///    by the world size `W`. With the same seed on every rank, the data order and the random
///    streams stay identical on all ranks and do not depend on `W`.
/// 2. Start: at the first step of each `fit` (and after anything else changed the step, such as
///    a rollback), G's and D's parameters and buffers are broadcast from rank 0.
/// 3. Gradients: after each backward pass, before the optimizer step, the network's gradients
///    are averaged across ranks in flat buckets (`DataParallelOptions::bucket_bytes`). For
///    losses that are means over the batch this is the gradient of the whole batch, so every
///    rank applies the same update as a single process trained on the global batches.
/// 4. BatchNorm: see `DataParallelOptions::average_buffers`.
/// 5. Reports: see `DataParallelOptions::average_losses`.
///
/// Each rank must build the same model, loss, options (same seed) and hooks; wrap hooks that
/// write files in `RankZeroOnly`. A rank that fails or vanishes makes the others throw
/// `CommunicationError` (at once, or after `ProcessGroupOptions::timeout`).
/// @code
/// auto group = gc::distributed::init_process_group(gc::distributed::ProcessGroupOptions::from_environment());
/// auto trainer = gc::Trainer(Gen{}, Critic{}, gc::losses::NonSaturating{}, options,
///                            gc::distributed::DataParallel(group));
/// @endcode
/// @tparam Inner the schedule run on every rank (`AlternatingPolicy`, or your own policy made of
///               `discriminator_step` and `generator_step`)
template <class Inner = AlternatingPolicy>
class DataParallel {
 public:
  /// Runs `inner` on the ranks of `group` (a job of one runs it unchanged).
  explicit DataParallel(ProcessGroup group, DataParallelOptions options = {}, Inner inner = {})
      : group_(std::move(group)), options_(options), inner_(std::move(inner)) {
    options_.validate();
  }

  /// This rank's part of every batch.
  BatchShard shard() const { return {group_.rank(), group_.world_size()}; }

  /// One step of the inner policy, after the start-up broadcast when it is due; the losses are
  /// averaged across ranks when they are read (`average_losses`).
  /// @tparam T        the trainer
  /// @tparam NextReal a callable returning the next real batch
  template <class T, class NextReal>
  StepLosses run_step(T& trainer, NextReal&& next_real, bool read_losses) {
    if (!synced_step_ || *synced_step_ != trainer.step()) broadcast_from_rank_zero(trainer);
    StepLosses out = inner_.run_step(trainer, std::forward<NextReal>(next_real), read_losses);
    if (read_losses && options_.average_losses()) average_losses(out);
    synced_step_ = trainer.step() + 1;  // what the trainer's counter will be at the next call
    return out;
  }

  /// Averages `network`'s gradients across ranks (called by the trainer after each backward
  /// pass). After the generator's, also G's and D's floating-point buffers (`average_buffers`):
  /// by then every forward pass of the step, which is what changes BatchNorm statistics, is done.
  void before_optimizer_step(TrainingContext& ctx, torch::nn::Module& network) {
    if (!group_.distributed()) return;
    std::vector<torch::Tensor> tensors;
    // A parameter without a gradient is left alone, as the optimizer leaves it; all ranks run
    // the same graph, so they skip the same ones.
    for (const auto& p : network.parameters())
      if (p.grad().defined()) tensors.push_back(p.grad());
    const bool generator = &network == &ctx.generator_module();
    if (generator && options_.average_buffers())
      for (auto* m : {&ctx.generator_module(), &ctx.discriminator_module()})
        for (const auto& b : m->buffers())
          if (b.is_floating_point()) tensors.push_back(b);
    all_reduce_mean(group_, tensors,
                    generator ? "generator gradients" : "discriminator gradients",
                    options_.bucket_bytes());
  }

  const ProcessGroup& group() const { return group_; }           ///< the ranks
  const DataParallelOptions& options() const { return options_; }  ///< the options
  Inner& inner() { return inner_; }                               ///< the schedule

 private:
  void broadcast_from_rank_zero(TrainingContext& ctx) {
    std::vector<torch::Tensor> tensors;
    for (auto* m : {&ctx.generator_module(), &ctx.discriminator_module()}) {
      for (const auto& p : m->parameters()) tensors.push_back(p);
      for (const auto& b : m->buffers()) tensors.push_back(b);
    }
    broadcast(group_, tensors, "the start-up weights", 0, options_.bucket_bytes());
  }

  void average_losses(StepLosses& out) const {
    if (!group_.distributed()) return;
    std::vector<torch::Tensor*> fields;
    for (auto* t : {&out.d_loss, &out.g_loss, &out.penalty, &out.d_real, &out.d_fake})
      if (t->defined()) fields.push_back(t);
    if (fields.empty()) return;
    std::vector<torch::Tensor> scalars;
    for (auto* t : fields) scalars.push_back(t->detach().reshape({}).to(torch::kDouble));
    torch::Tensor packed = torch::stack(scalars);
    all_reduce_mean(group_, {packed}, "reported losses", options_.bucket_bytes());
    for (size_t i = 0; i < fields.size(); ++i) *fields[i] = packed[static_cast<int64_t>(i)];
  }

  ProcessGroup group_;
  DataParallelOptions options_;
  Inner inner_;
  std::optional<int64_t> synced_step_;
};

}  // namespace gancraft::distributed
