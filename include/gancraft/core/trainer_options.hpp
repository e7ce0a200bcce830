#pragma once
/// @file gancraft/core/trainer_options.hpp

#include <gancraft/error.hpp>
#include <gancraft/core/lr_schedule.hpp>
#include <gancraft/core/optimizer_options.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <optional>

namespace gancraft {

/// How `Trainer::sample` and the sample hooks run the generator.
enum class SampleMode {
  /// `eval()` mode: BatchNorm uses its running statistics, dropout is off. Each sample depends
  /// only on its own noise. The default.
  Eval,
  /// `train()` mode with batch statistics, as DCGAN-style code often samples; the BatchNorm
  /// running statistics are saved before and restored after, so training is unaffected.
  BatchStatistics,
};

/// Options of `gancraft::Trainer`.
/// @code
/// auto options = gc::TrainerOptions().latent_dim(100).batch_size(64).epochs(5).seed(7);
/// @endcode
struct TrainerOptions {
  /// Width of the generator's latent input; noise is drawn as `[batch, latent_dim]` ~ N(0, 1).
  TORCH_ARG(int64_t, latent_dim) = 100;
  /// Real samples per discriminator step; also the generator's batch.
  TORCH_ARG(int64_t, batch_size) = 64;
  /// Training length in generator updates (a `ModelTrainer`: model steps). Set exactly one of
  /// `steps` and `epochs`.
  TORCH_ARG(std::optional<int64_t>, steps) = std::nullopt;
  /// Training length in passes over the real data (each discriminator step consumes one
  /// batch): `epochs · (samples / batch_size) / d_steps_per_g_step` generator updates (a
  /// `ModelTrainer`: divided by its model's `batches_per_step()` instead).
  TORCH_ARG(std::optional<int64_t>, epochs) = std::nullopt;
  /// Discriminator updates per generator update (n_critic; 5 for WGAN).
  TORCH_ARG(int64_t, d_steps_per_g_step) = 1;
  /// Generator optimizer.
  TORCH_ARG(OptimizerOptions, g_optimizer) = OptimizerOptions::adam();
  /// Discriminator optimizer.
  TORCH_ARG(OptimizerOptions, d_optimizer) = OptimizerOptions::adam();
  /// Seeds the trainer's own generators: training noise, data order, penalties, and (through
  /// a separate stream) sampling. LibTorch's global generator is left alone.
  TORCH_ARG(uint64_t, seed) = 0;
  /// Where the networks and batches live: CPU, or CUDA when the build and machine have it.
  TORCH_ARG(torch::Device, device) = torch::kCPU;
  /// If set, LibTorch's intra-op threads and the BLAS's threads are both set to this number
  /// when training starts. Unset, gancraft changes no process-wide setting.
  TORCH_ARG(std::optional<int>, threads) = std::nullopt;
  /// If set, the BLAS's thread count at the start of each `fit`, instead of `threads`. With
  /// OpenBLAS's pthread build, 2 LibTorch threads over a 2-thread BLAS oversubscribe 2 cores
  /// (319 ms per DCGAN step) where `threads(2).blas_threads(1)` does not (173 ms); see
  /// docs/performance.md. Unset, the BLAS gets `threads` when that is set and is left alone
  /// otherwise.
  TORCH_ARG(std::optional<int>, blas_threads) = std::nullopt;
  /// Module mode used for `sample()` and sample grids.
  TORCH_ARG(SampleMode, sample_mode) = SampleMode::Eval;
  /// If true, SIGINT and SIGTERM during `fit` finish the current step, run the `on_train_end`
  /// hooks (so a `Checkpointer` saves) and return; `Trainer::interrupted()` then says so. A
  /// second signal ends the process at once. Off by default: gancraft installs no signal
  /// handler unless asked.
  TORCH_ARG(bool, stop_on_signal) = false;
  /// Learning-rate schedule over generator updates (both optimizers).
  TORCH_ARG(LrSchedule, lr_schedule) = LrSchedule::constant();
  /// If > 0, each network's gradients are rescaled to at most this total L2 norm before its
  /// optimizer step.
  TORCH_ARG(double, clip_grad_norm) = 0.0;
  /// Each update processes its batch in this many equal micro-batches, summing their gradients:
  /// the same update up to rounding (BatchNorm aside, whose statistics become per micro-batch)
  /// with a fraction of the activation memory. `batch_size` must be a multiple of it.
  TORCH_ARG(int64_t, accumulation) = 1;
  /// Lazy regularisation (Karras et al. 2020, StyleGAN2, arXiv:1912.04958): the loss's penalties
  /// (R1, gradient penalty) are computed only on every k-th discriminator update and weighted
  /// by k. 1: every update.
  TORCH_ARG(int64_t, penalty_every) = 1;
  /// Number of classes of a conditional GAN (a `ConditionalGenerator`): fakes get uniform labels
  /// in `[0, num_classes)` and the real data must carry labels in that range. 0: unconditional.
  TORCH_ARG(int64_t, num_classes) = 0;

  // TORCH_ARG leaves the access at private.
 public:
  /// Throws `OptionError` naming the first invalid option.
  void validate() const {
    GANCRAFT_CHECK(latent_dim() > 0, OptionError, "TrainerOptions::latent_dim must be > 0, got ",
                   latent_dim());
    GANCRAFT_CHECK(batch_size() > 0, OptionError, "TrainerOptions::batch_size must be > 0, got ",
                   batch_size());
    GANCRAFT_CHECK(d_steps_per_g_step() > 0, OptionError,
                   "TrainerOptions::d_steps_per_g_step must be > 0, got ", d_steps_per_g_step());
    GANCRAFT_CHECK(!(steps() && epochs()), OptionError,
                   "TrainerOptions: set either steps (", *steps(), ") or epochs (", *epochs(),
                   "), not both");
    GANCRAFT_CHECK(!steps() || *steps() >= 0, OptionError,
                   "TrainerOptions::steps must be >= 0, got ", steps().value_or(0));
    GANCRAFT_CHECK(!epochs() || *epochs() >= 0, OptionError,
                   "TrainerOptions::epochs must be >= 0, got ", epochs().value_or(0));
    GANCRAFT_CHECK(!threads() || *threads() > 0, OptionError,
                   "TrainerOptions::threads must be > 0, got ", threads().value_or(0));
    GANCRAFT_CHECK(!blas_threads() || *blas_threads() > 0, OptionError,
                   "TrainerOptions::blas_threads must be > 0, got ", blas_threads().value_or(0));
    GANCRAFT_CHECK(accumulation() >= 1 && batch_size() % accumulation() == 0, OptionError,
                   "TrainerOptions::accumulation (", accumulation(),
                   ") must be >= 1 and divide batch_size (", batch_size(), ")");
    GANCRAFT_CHECK(penalty_every() >= 1, OptionError,
                   "TrainerOptions::penalty_every must be >= 1, got ", penalty_every());
    GANCRAFT_CHECK(clip_grad_norm() >= 0, OptionError,
                   "TrainerOptions::clip_grad_norm must be >= 0, got ", clip_grad_norm());
    GANCRAFT_CHECK(num_classes() >= 0, OptionError,
                   "TrainerOptions::num_classes must be >= 0, got ", num_classes());
    GANCRAFT_CHECK(lr_schedule().start() >= 0 && lr_schedule().end_factor() >= 0, OptionError,
                   "TrainerOptions::lr_schedule: start and end_factor must be >= 0");
  }
};

}  // namespace gancraft
