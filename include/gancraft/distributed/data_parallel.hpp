#pragma once
/// @file gancraft/distributed/data_parallel.hpp
/// The data-parallel training policy: each rank trains on its part of every batch and the
/// gradients are averaged, so all ranks take the same steps as one process on the whole batch.

#include <gancraft/distributed/collectives.hpp>
#include <gancraft/distributed/data_parallel_options.hpp>
#include <gancraft/distributed/process_group.hpp>
#include <gancraft/training/alternating_policy.hpp>
#include <gancraft/core/batch_shard.hpp>
#include <gancraft/core/loop_state.hpp>
#include <gancraft/training/signal_stop.hpp>
#include <gancraft/core/training_context.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace gancraft::distributed {

/// The ranks of a data-parallel job do not start from the same training state: one did not
/// read the checkpoint the others read, or they were given different seeds or data.
class RankMismatchError : public Error {
 public:
  using Error::Error;
};

namespace detail {

/// FNV-1a (64 bits) of a tensor's bytes: a fingerprint of a generator state, to compare
/// states across ranks without sending them.
inline int64_t fingerprint(const torch::Tensor& t) {
  const torch::Tensor bytes = t.contiguous().cpu();
  const auto* p = static_cast<const unsigned char*>(bytes.data_ptr());
  const size_t n = static_cast<size_t>(bytes.numel()) * bytes.element_size();
  uint64_t h = 14695981039346656037ULL;
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ULL;
  int64_t out = 0;
  std::memcpy(&out, &h, sizeof out);
  return out;
}

}  // namespace detail

/// A `Trainer` (or `ModelTrainer`) policy that trains one model on several processes (Li et al. 2020, "PyTorch
/// Distributed: Experiences on Accelerating Data Parallel Training", arXiv:2006.15704, describe
/// the same scheme for DistributedDataParallel).
///
/// 1. Sharding: every rank draws each batch of real samples and of latents at the global
///    `TrainerOptions::batch_size` from the trainer's streams, as one process would, and trains
///    on rows `[rank · B / W, (rank + 1) · B / W)` of it (`BatchShard`); `B` must be divisible
///    by the world size `W`. With the same seed on every rank, the data order and the random
///    streams stay identical on all ranks and do not depend on `W`.
/// 2. Start: at the first step of each `fit` (and after anything else changed the step, such as
///    a rollback), the ranks check that they agree on the step, the position in the data and
///    the training stream (`RankMismatchError` names the rank that differs, on every rank),
///    then every network's parameters and buffers are broadcast from rank 0.
/// 3. Gradients: after each backward pass, before the optimizer step, the network's gradients
///    are averaged across ranks in flat buckets (`DataParallelOptions::bucket_bytes`). For
///    losses that are means over the batch this is the gradient of the whole batch, so every
///    rank applies the same update as a single process trained on the global batches.
/// 4. BatchNorm: see `DataParallelOptions::average_buffers`.
/// 5. Reports: see `DataParallelOptions::average_losses`.
/// 6. Stopping on a signal (`TrainerOptions::stop_on_signal`): each rank's stop request travels
///    with G's gradients, and `should_stop` gives every rank the same answer, so all ranks stop
///    after the same step even when only one received the signal.
///
/// Each rank must build the same model, loss, options (same seed) and hooks; wrap hooks that
/// write files in `RankZeroOnly`. A rank that fails or vanishes makes the others throw
/// `CommunicationError` (at once, or after `ProcessGroupOptions::timeout`).
/// @code
/// auto group = gc::distributed::init_process_group(gc::distributed::ProcessGroupOptions::from_environment());
/// auto trainer = gc::Trainer(Gen{}, Critic{}, gc::losses::NonSaturating{}, options,
///                            gc::distributed::DataParallel(group));
/// @endcode
/// With a `ModelTrainer` the model's own `train_step` is the schedule and `Inner` is unused:
/// `gc::ModelTrainer(model, options, gc::distributed::DataParallel(group))`.
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
    begin_step(trainer);
    // Within a GAN's step the generator update comes last: its exchange can carry the buffers.
    buffers_with_generator_ = true;
    StepLosses out = inner_.run_step(trainer, std::forward<NextReal>(next_real), read_losses);
    buffers_with_generator_ = false;
    end_step(trainer, out, read_losses);
    return out;
  }

  /// Before a step: the start-up check and broadcast when they are due. `run_step` calls it
  /// around the inner schedule; a `ModelTrainer` calls it around its model's step.
  void begin_step(TrainingContext& ctx) {
    device_ = ctx.options().device();
    if (!synced_step_ || *synced_step_ != ctx.step()) {
      check_ranks_agree(ctx);
      broadcast_from_rank_zero(ctx);
    }
    stop_exchanged_ = false;
    buffers_averaged_ = false;
  }

  /// After a step: the buffers (unless a GAN's generator update carried them; a model may run
  /// forward passes after any update, so its buffers are averaged here), and the reported
  /// losses (`average_losses`) are averaged across ranks.
  void end_step(TrainingContext& ctx, StepLosses& out, bool read_losses) {
    if (group_.distributed() && options_.average_buffers() && !buffers_averaged_) {
      std::vector<torch::Tensor> buffers;
      for (const auto& n : ctx.networks())
        for (const auto& b : n.module->buffers())
          if (b.is_floating_point()) buffers.push_back(b);
      if (!buffers.empty()) all_reduce_mean(group_, buffers, "buffers", options_.bucket_bytes());
    }
    if (read_losses && options_.average_losses()) average_losses(out);
    synced_step_ = ctx.step() + 1;  // what the trainer's counter will be at the next call
  }

  /// Averages `network`'s gradients across ranks (called by the trainer after each backward
  /// pass). After the generator's, also G's and D's floating-point buffers (`average_buffers`):
  /// by then every forward pass of the step, which is what changes BatchNorm statistics, is done;
  /// and, with `TrainerOptions::stop_on_signal`, one number saying whether this rank was asked
  /// to stop (its maximum over the ranks is what `should_stop` answers).
  void before_optimizer_step(TrainingContext& ctx, torch::nn::Module& network) {
    if (!group_.distributed()) return;
    std::vector<torch::Tensor> tensors;
    // A parameter without a gradient is left alone, as the optimizer leaves it; all ranks run
    // the same graph, so they skip the same ones.
    for (const auto& p : network.parameters())
      if (p.grad().defined()) tensors.push_back(p.grad());
    // In a GAN's step the generator is updated last: its exchange carries the buffers and the
    // stop requests (a model's buffers wait for end_step).
    const std::vector<NetworkRef> networks = ctx.networks();
    std::string name = "network";
    for (const auto& n : networks)
      if (n.module == &network) name = n.name;
    const bool generator = name == "generator";
    if (generator && buffers_with_generator_ && options_.average_buffers()) {
      for (const auto& n : networks)
        for (const auto& b : n.module->buffers())
          if (b.is_floating_point()) tensors.push_back(b);
      buffers_averaged_ = true;
    }
    torch::Tensor stop_flag;
    if (generator && ctx.options().stop_on_signal()) {
      // Same dtype and device as G's gradients, so it rides in their last bucket.
      const auto like = tensors.empty() ? torch::TensorOptions().device(ctx.options().device())
                                        : tensors.front().options();
      stop_flag = torch::full({1}, local_stop_requested() ? 1.0 : 0.0, like);
      tensors.push_back(stop_flag);
    }
    all_reduce_mean(group_, tensors, name + " gradients", options_.bucket_bytes());
    if (stop_flag.defined()) {
      // The mean is above 0 exactly when some rank sent 1 (a max). One host read per step,
      // and only with stop_on_signal: every rank must know before the step ends.
      collective_stop_ = stop_flag.item<double>() > 0.0;
      stop_exchanged_ = true;
    }
  }

  /// Whether every rank should stop after this step (asked by the trainer after each step when
  /// `TrainerOptions::stop_on_signal` is on): true when any rank had a stop request when G's
  /// gradients were exchanged, on all ranks alike. A request this rank receives later
  /// (`local`, or a signal that arrives after the exchange) is sent with the next step's, so
  /// the job stops one step later, still together. A step without a generator update (a
  /// custom schedule) exchanges the requests here, in one small message.
  bool should_stop(bool local) {
    if (!group_.distributed()) return local;
    pending_stop_ = pending_stop_ || local;
    if (!stop_exchanged_) {
      torch::Tensor flag = torch::full({1}, local_stop_requested() ? 1.0 : 0.0,
                                       torch::TensorOptions().device(device_));
      all_reduce_mean(group_, {flag}, "the stop requests", options_.bucket_bytes());
      collective_stop_ = flag.item<double>() > 0.0;
    }
    stop_exchanged_ = false;
    const bool stop = collective_stop_;
    collective_stop_ = false;
    if (stop) pending_stop_ = false;  // answered; a later fit starts without it
    return stop;
  }

  const ProcessGroup& group() const { return group_; }           ///< the ranks
  const DataParallelOptions& options() const { return options_; }  ///< the options
  Inner& inner() { return inner_; }                               ///< the schedule

 private:
  /// This rank has a stop request: one passed to `should_stop`, or a stop signal since `fit`
  /// began (the flag `SignalStop` sets; it is only read with `stop_on_signal`).
  bool local_stop_requested() const {
    return pending_stop_ || ::gancraft::detail::stop_signal_raised != 0;
  }

  /// Throws `RankMismatchError`, on every rank, when a rank's step, position in the data or
  /// training stream differs from rank 0's: it did not resume from the same checkpoint, or has
  /// another seed. Without this a rank that missed the checkpoint would silently train from
  /// step 0 on rank 0's broadcast weights but with its own data order and noise.
  void check_ranks_agree(TrainingContext& ctx) {
    if (!group_.distributed()) return;
    GANCRAFT_CHECK(group_.backend() != "nccl" || device_.is_cuda(), OptionError,
                   "DataParallel: the process group uses NCCL, which carries CUDA tensors only, "
                   "but TrainerOptions::device is ", device_,
                   "; train on torch::Device(torch::kCUDA, group.local_rank()), or create the "
                   "group with .backend(Backend::Gloo)");
    const LoopState s = ctx.loop_state();
    torch::Tensor mine =
        torch::tensor({s.step, s.epoch, s.data_position, detail::fingerprint(s.training_rng)}, torch::kLong)
            .to(device_);
    std::vector<std::vector<torch::Tensor>> all(1);
    for (int64_t r = 0; r < group_.world_size(); ++r) all[0].push_back(torch::empty_like(mine));
    std::vector<torch::Tensor> input{mine};
    detail::communicate(group_.options(), "all-gather of the ranks' training states",
                        [&] { group_.c10d().allgather(all, input)->wait(); });
    const torch::Tensor zero = all[0][0].cpu();
    const int64_t* z = zero.data_ptr<int64_t>();
    for (int64_t r = 1; r < group_.world_size(); ++r) {
      const torch::Tensor other = all[0][static_cast<size_t>(r)].cpu();
      const int64_t* o = other.data_ptr<int64_t>();
      GANCRAFT_CHECK(o[0] == z[0], distributed::RankMismatchError, "DataParallel: rank ", r,
                     " is at step ", o[0], ", rank 0 at ", z[0],
                     "; every rank must read the checkpoint (resume) before fit");
      GANCRAFT_CHECK(o[1] == z[1] && o[2] == z[2], distributed::RankMismatchError,
                     "DataParallel: rank ", r, " is at sample ", o[2], " of epoch ", o[1],
                     " of the data, rank 0 at sample ", z[2], " of epoch ", z[1],
                     "; every rank must read the same checkpoint and data");
      GANCRAFT_CHECK(o[3] == z[3], distributed::RankMismatchError, "DataParallel: rank ", r,
                     "'s training random stream differs from rank 0's at step ", z[0],
                     " (state fingerprints ", o[3], " and ", z[3],
                     "); every rank needs the same TrainerOptions::seed and the same checkpoint");
    }
  }

  void broadcast_from_rank_zero(TrainingContext& ctx) {
    std::vector<torch::Tensor> tensors;
    for (const auto& n : ctx.networks()) {
      for (const auto& p : n.module->parameters()) tensors.push_back(p);
      for (const auto& b : n.module->buffers()) tensors.push_back(b);
    }
    broadcast(group_, tensors, "the start-up weights", 0, options_.bucket_bytes());
  }

  void average_losses(StepLosses& out) const {
    if (!group_.distributed()) return;
    std::vector<torch::Tensor*> fields;
    for (auto* t : {&out.d_loss, &out.g_loss, &out.penalty, &out.d_real, &out.d_fake})
      if (t->defined()) fields.push_back(t);
    for (auto& [name, t] : out.scalars)
      if (t.defined()) fields.push_back(&t);
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
  torch::Device device_ = torch::kCPU;  // the trainer's, for the small messages
  bool pending_stop_ = false;           // a stop request not yet answered
  bool stop_exchanged_ = false;         // this step's G exchange carried the requests
  bool collective_stop_ = false;        // what that exchange said
  bool buffers_averaged_ = false;       // this step's generator exchange carried the buffers
  bool buffers_with_generator_ = false; // inside run_step: the generator's exchange may carry them
};

}  // namespace gancraft::distributed
