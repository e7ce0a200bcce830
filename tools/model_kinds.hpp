#pragma once
// `gancraft` for the models of docs/translation.md (model.kind pix2pix, super_resolution,
// cycle_gan, vae_gan), trained by a `ModelTrainer`; implemented in model_kinds.cpp, so the
// tool's two halves compile side by side.

#include "config.hpp"
#include "job.hpp"

#include <torch/script.h>
#include <torch/torch.h>

#include <filesystem>
#include <functional>
#include <string>
#include <utility>

namespace gancraft::tools {

/// Whether `config`'s model.kind is trained by a `ModelTrainer` (not the GAN `Trainer`).
inline bool is_model_kind(const json& config) {
  const std::string kind = config["model"]["kind"];
  return kind == "pix2pix" || kind == "super_resolution" || kind == "cycle_gan" || kind == "vae_gan";
}

/// Whether the run's model draws samples from noise (a GAN, the VAE-GAN) rather than only
/// translating images.
inline bool samples_from_noise(const json& config) {
  return !is_model_kind(config) || config["model"]["kind"] == "vae_gan";
}

/// Checks the keys that a model kind constrains (its data kinds, sizes, the trainer settings
/// it does not use); `OptionError` naming the key. For every kind, so a GAN config that names
/// a translation task is refused too.
void check_model_config(const json& config);

/// `gancraft train` of a model kind: trains into `out` (resuming with `resume`) and returns
/// the exit status (130 when interrupted).
int train_model(const json& config, const std::filesystem::path& out, bool resume, const Job& job);

/// A restored model's view: a batch in, its outputs on the CPU out (no graph).
using ModelView = std::function<torch::Tensor(const torch::Tensor&)>;

/// The model of run `config` restored from `checkpoint` (a checkpoint directory, or a root
/// whose newest valid one is used, named in `used`): `generate(z)` for a model that samples
/// from noise (`samples_from_noise`), else `translate(x)` (with `reverse`, CycleGAN's F,
/// domain B → A). The view keeps the model alive.
ModelView restore_model_view(const json& config, const std::filesystem::path& checkpoint, bool generate, bool reverse,
                             std::filesystem::path* used);

/// The model of run `config` restored from `checkpoint` (as `restore_model_view`), exported
/// for `gancraft export`: the VAE-GAN's decoder (`export_generator`), a translator's G
/// (`export_translator`), or with `reverse` CycleGAN's F. `truncation` goes to the exported
/// `sample(n)` of a generator.
torch::jit::Module export_model(const json& config, const std::filesystem::path& checkpoint, bool reverse,
                                double truncation, std::filesystem::path* used);

/// The first `n` test sources of a Fashion-MNIST translation task (for `eval fd-fmnist`).
torch::Tensor task_test_sources(const json& config, int64_t n);

/// The side and channels a model kind's sources have (`reverse`: CycleGAN's domain B).
std::pair<int64_t, int64_t> source_format(const json& config, bool reverse);

}  // namespace gancraft::tools
