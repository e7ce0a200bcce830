#pragma once
// `gancraft` for the models of docs/translation.md (model.kind pix2pix, super_resolution,
// cycle_gan, vae_gan), trained by a `ModelTrainer`; implemented in model_kinds.cpp, so the
// tool's two halves compile side by side.

#include "config.hpp"
#include "job.hpp"

#include <torch/torch.h>

#include <filesystem>
#include <string>

namespace gancraft::tools {

/// Whether `config`'s model.kind is trained by a `ModelTrainer` (not the GAN `Trainer`).
inline bool is_model_kind(const json& config) {
  const std::string kind = config["model"]["kind"];
  return kind == "pix2pix" || kind == "super_resolution" || kind == "cycle_gan" || kind == "vae_gan";
}

/// Checks the keys that a model kind constrains (its data kinds, the trainer settings it does
/// not use); `OptionError` naming the key. For every kind, so a GAN config that names a model
/// kind's data is refused too.
void check_model_config(const json& config);

/// `gancraft train` of a model kind: trains into `out` (resuming with `resume`) and returns
/// the exit status (130 when interrupted).
int train_model(const json& config, const std::filesystem::path& out, bool resume, const Job& job);

/// The model of run `config` restored from `checkpoint` (a checkpoint directory, or a root
/// whose newest valid one is used, named in `used`), in its sampling view: `generate(z)` on
/// the CPU, or `OptionError` for a model that only translates.
torch::Tensor model_generate(const json& config, const std::filesystem::path& checkpoint, const torch::Tensor& z,
                             std::filesystem::path* used = nullptr);

/// As `model_generate`, the translating view: outputs for `sources` on the CPU; `reverse`
/// asks CycleGAN for F (domain B → A).
torch::Tensor model_translate(const json& config, const std::filesystem::path& checkpoint,
                              const torch::Tensor& sources, bool reverse,
                              std::filesystem::path* used = nullptr);

/// The first `n` test sources of a Fashion-MNIST translation task (for `eval fd-fmnist`).
torch::Tensor task_test_sources(const json& config, int64_t n);

/// The side and channels a model kind's sources have (`reverse`: CycleGAN's domain B).
std::pair<int64_t, int64_t> source_format(const json& config, bool reverse);

}  // namespace gancraft::tools
