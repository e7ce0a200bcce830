#pragma once
/// @file gancraft/gan.hpp
/// Umbrella header: everything public in gancraft, in namespace `gancraft`.

#include <gancraft/error.hpp>
#include <gancraft/version.hpp>

#include <gancraft/concepts/conditional_discriminator.hpp>
#include <gancraft/concepts/conditional_generator.hpp>
#include <gancraft/concepts/conditional_loss.hpp>
#include <gancraft/concepts/discriminator.hpp>
#include <gancraft/concepts/generator.hpp>
#include <gancraft/concepts/hook.hpp>
#include <gancraft/concepts/loss.hpp>
#include <gancraft/concepts/model.hpp>
#include <gancraft/concepts/penalty.hpp>

#include <gancraft/losses/auxiliary_classifier.hpp>
#include <gancraft/losses/hinge.hpp>
#include <gancraft/losses/least_squares.hpp>
#include <gancraft/losses/minimax.hpp>
#include <gancraft/losses/non_saturating.hpp>
#include <gancraft/losses/relativistic_average.hpp>
#include <gancraft/losses/wasserstein.hpp>
#include <gancraft/losses/with_penalty.hpp>

#include <gancraft/penalties/gradient_penalty.hpp>
#include <gancraft/penalties/r1.hpp>

#include <gancraft/core/loop_state.hpp>
#include <gancraft/core/model_step.hpp>
#include <gancraft/core/network_options.hpp>
#include <gancraft/core/networks.hpp>
#include <gancraft/core/optimizer_options.hpp>
#include <gancraft/core/random.hpp>
#include <gancraft/core/step_losses.hpp>
#include <gancraft/core/step_report.hpp>
#include <gancraft/core/trainer_options.hpp>
#include <gancraft/core/training_context.hpp>

#include <gancraft/training/alternating_policy.hpp>
#include <gancraft/training/model_trainer.hpp>
#include <gancraft/training/scoped_state.hpp>
#include <gancraft/training/trainer.hpp>
#include <gancraft/training/weight_clip.hpp>

#include <gancraft/hooks/checkpointer.hpp>
#include <gancraft/hooks/divergence_guard.hpp>
#include <gancraft/hooks/evaluate.hpp>
#include <gancraft/hooks/generator_ema.hpp>
#include <gancraft/hooks/jsonl_logger.hpp>
#include <gancraft/hooks/progress_bar.hpp>
#include <gancraft/hooks/sample_grid.hpp>
#include <gancraft/hooks/tensorboard.hpp>

#include <gancraft/nn/diff_augment.hpp>
#include <gancraft/nn/image_pool.hpp>
#include <gancraft/nn/maxout.hpp>
#include <gancraft/nn/pack.hpp>
#include <gancraft/nn/projection_head.hpp>
#include <gancraft/nn/spectral_norm.hpp>

#include <gancraft/models/conditional_dcgan.hpp>
#include <gancraft/models/conv_encoder.hpp>
#include <gancraft/models/cycle_gan.hpp>
#include <gancraft/models/dcgan.hpp>
#include <gancraft/models/sngan.hpp>
#include <gancraft/models/fashion_mnist_classifier.hpp>
#include <gancraft/models/mlp.hpp>
#include <gancraft/models/patch_discriminator.hpp>
#include <gancraft/models/resnet_translator.hpp>
#include <gancraft/models/pix2pix.hpp>
#include <gancraft/models/sr_resnet.hpp>
#include <gancraft/models/super_resolution.hpp>
#include <gancraft/models/unet.hpp>
#include <gancraft/models/vae_gan.hpp>

#include <gancraft/metrics/density_coverage.hpp>
#include <gancraft/metrics/fd_fmnist.hpp>
#include <gancraft/metrics/feature_extractor.hpp>
#include <gancraft/metrics/feature_file.hpp>
#include <gancraft/metrics/feature_statistics.hpp>
#include <gancraft/metrics/frechet_distance.hpp>
#include <gancraft/metrics/inception_score.hpp>
#include <gancraft/metrics/kernel_inception_distance.hpp>
#include <gancraft/metrics/mixture_quality.hpp>
#include <gancraft/metrics/precision_recall.hpp>
#include <gancraft/metrics/psnr.hpp>
#include <gancraft/metrics/ssim.hpp>

#include <gancraft/data/cifar10.hpp>
#include <gancraft/data/gaussian_mixture.hpp>
#include <gancraft/data/image_folder.hpp>
#include <gancraft/data/image_transforms.hpp>
#include <gancraft/data/mnist.hpp>
#include <gancraft/data/paired_image_folder.hpp>
#include <gancraft/data/unpaired_image_folder.hpp>
#include <gancraft/data/translation_tasks.hpp>
#include <gancraft/io/checkpoint.hpp>
#include <gancraft/io/csv_matrix.hpp>
#include <gancraft/io/event_file.hpp>
#include <gancraft/io/cifar_format.hpp>
#include <gancraft/io/idx_format.hpp>
#include <gancraft/io/image_decode.hpp>
#include <gancraft/io/image_grid.hpp>
#include <gancraft/io/manifest.hpp>
#include <gancraft/io/png.hpp>

/// @namespace gancraft
/// gancraft's public API: the concepts (`Generator`, `Discriminator`, `Loss`, `Penalty`, hooks),
/// `Trainer` and its options, `ModelTrainer` for models of several networks (`Model`), checkpoints, and the error types. Machinery lives in
/// `gancraft::detail` and is not part of the API.

/// @namespace gancraft::losses
/// GAN losses: each is a `Loss`, with the paper it comes from.

/// @namespace gancraft::penalties
/// Discriminator penalties (`Penalty`), added to every discriminator step via `with_penalty`.

/// @namespace gancraft::hooks
/// Ready-made training hooks: logging, progress, sample grids, checkpoints, divergence guard.

/// @namespace gancraft::models
/// Reference generators and discriminators (DCGAN, SNGAN ResNet, MLP, the FD-FMNIST classifier) with their options.

/// @namespace gancraft::data
/// Datasets (MNIST, CIFAR-10, image folders, a 2-D Gaussian mixture) and splitting.

/// @namespace gancraft::io
/// File formats: checkpoint manifests, IDX and CIFAR-10 parsing, PNG/JPEG decoding, PNG writing
/// and image grids.
