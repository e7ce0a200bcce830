#pragma once
// What every `gancraft train` run shares, for a GAN's `Trainer` and a `ModelTrainer` alike:
// the hooks its config asks for (progress, metrics.jsonl, the divergence guard, sample grids,
// FD-FMNIST evaluation, checkpoints), and resuming, writing config.json, training and saying
// how it ended.

#include "config.hpp"
#include "job.hpp"

#include <gancraft/gan.hpp>

#include <gancraft/detail/atomic_file.hpp>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>

namespace gancraft::tools {

/// The FD-FMNIST classifier: `given`, else $GANCRAFT_FD_FMNIST, else next to an installed tool
/// (../share/gancraft/fd_fmnist.pt, wherever the install was moved), else the file gancraft's
/// CMake target compiled in (`metrics::fd_fmnist_weights`).
inline std::filesystem::path fd_fmnist_weights(const std::string& given = "") {
  namespace fs = std::filesystem;
  if (!given.empty()) return given;
  if (const char* env = std::getenv("GANCRAFT_FD_FMNIST"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec && fs::exists(exe.parent_path().parent_path() / "share/gancraft/fd_fmnist.pt"))
    return exe.parent_path().parent_path() / "share/gancraft/fd_fmnist.pt";
  return metrics::fd_fmnist_weights();
}

/// What a run's grids and evaluations show: generated samples (no sources), or a translating
/// model's outputs for fixed sources (with their targets beside them in the grids).
struct RunViews {
  torch::Tensor grid_sources, grid_targets;  ///< undefined: sample grids of generated images
  torch::Tensor eval_sources;                ///< undefined: evaluate generated images
};

/// hooks.eval_every: FD-FMNIST of `eval_samples` generated images (or of the translations of
/// `sources`) against the Fashion-MNIST test set, logged to eval.jsonl, the best kept in best/.
inline hooks::Evaluate make_evaluate(const json& config, const std::filesystem::path& out,
                                     const torch::Tensor& sources) {
  GANCRAFT_CHECK(fashion_mnist_data(config), OptionError,
                 "hooks.eval_every: FD-FMNIST evaluation needs data.kind fashion_mnist, got \"",
                 config["data"]["kind"].get<std::string>(),
                 "\" (or a task made from it: fashion_mnist_edges, fashion_mnist_low_res, fashion_mnist_unpaired_edges)");
  const auto& h = config["hooks"];
  const auto features = metrics::fd_fmnist_extractor(metrics::load_fd_fmnist_classifier(fd_fmnist_weights()));
  const data::FashionMNIST test(config["data"]["path"].get<std::string>(), data::Split::Test);
  auto options = hooks::EvaluateOptions()
                     .every(h["eval_every"].get<int64_t>())
                     .samples(h["eval_samples"].get<int64_t>())
                     .batch_size(500);
  if (sources.defined()) options.sources(sources.narrow(0, 0, std::min(sources.size(0), h["eval_samples"].get<int64_t>())));
  if (h["eval_best"].get<bool>()) options.best_checkpoint(out / "best");
  return hooks::Evaluate(out / "eval.jsonl", features, metrics::extract_features(features, test.images(), 500),
                         options);
}

/// Adds the hooks the config asks for to `trainer` (a `Trainer` or a `ModelTrainer`); only the
/// writer rank writes. Hooks check their options here, before the run directory is written.
template <class T>
void add_run_hooks(T& trainer, const json& config, const std::filesystem::path& out, const Job& job,
                   const RunViews& views, bool images) {
  const auto& h = config["hooks"];
  const std::filesystem::path ckpts = out / "checkpoints";
  // First, on every rank: the grids, evaluations and checkpoints below sample from the average.
  if (h["ema_decay"].get<double>() > 0)
    trainer.add_hook(hooks::GeneratorEMA(
        hooks::GeneratorEMAOptions().decay(h["ema_decay"].get<double>()).start(h["ema_start"].get<int64_t>())));
  if (h["progress"].get<bool>()) trainer.add_hook(job.on_writer(hooks::ProgressBar()));
  trainer.add_hook(job.on_writer(hooks::JsonlLogger(out / "metrics.jsonl", h["log_every"].get<int64_t>())));
  const std::string guard = h["divergence_guard"];
  if (guard != "off")
    trainer.add_hook(hooks::DivergenceGuard(
        hooks::DivergenceGuardOptions()
            .interval(h["guard_every"].get<int64_t>())
            .policy(guard == "stop" ? hooks::DivergencePolicy::Stop : hooks::DivergencePolicy::Rollback)
            .checkpoint_root(ckpts)));
  const bool grids = images && h["sample_every"].get<int64_t>() > 0;
  auto grid = hooks::SampleGridOptions().every(std::max<int64_t>(1, h["sample_every"].get<int64_t>())).count(h["sample_count"].get<int64_t>());
  if (views.grid_sources.defined()) {
    const int64_t n = std::min(views.grid_sources.size(0), h["sample_count"].get<int64_t>());
    grid.sources(views.grid_sources.narrow(0, 0, n));
    if (views.grid_targets.defined()) grid.targets(views.grid_targets.narrow(0, 0, n));
    grid.nrow(4);  // 4 triples (12 images) a row: as wide as a GAN's grid of 8 and easy to read
  }
  if (grids) trainer.add_hook(job.on_writer(hooks::SampleGrid(out / "samples", grid)));
  if (h["tensorboard"].get<bool>()) {
    // The config as a Markdown code block: every line indented by four spaces.
    std::string text;
    std::istringstream lines(config.dump(2));
    for (std::string line; std::getline(lines, line);) text += "    " + line + "\n";
    auto tb = hooks::TensorBoardOptions().interval(h["log_every"].get<int64_t>()).config(text);
    if (grids) tb.images(grid);
    trainer.add_hook(job.on_writer(hooks::TensorBoard(out / "tensorboard", tb)));
  }
  if (h["eval_every"].get<int64_t>() > 0) trainer.add_hook(job.on_writer(make_evaluate(config, out, views.eval_sources)));
  trainer.add_hook(job.on_writer(hooks::Checkpointer(
      ckpts, hooks::CheckpointerOptions().every(h["checkpoint_every"].get<int64_t>()).keep_last(h["keep_last"].get<int64_t>()))));
}

/// Resumes `trainer` from `out`/checkpoints with `resume`, runs `check()` (which refuses bad
/// input before anything is written), adds the config's hooks, writes `out`/config.json,
/// trains with `fit()` and says how it ended. Returns the exit status (130 when interrupted).
template <class T, class Check, class Fit>
int train_run(T& trainer, const json& config, const std::filesystem::path& out, bool resume, const Job& job,
              const RunViews& views, bool images, Check check, Fit fit) {
  const std::filesystem::path ckpts = out / "checkpoints";
  if (resume && !list_checkpoints(ckpts).empty()) {
    const auto info = trainer.resume(ckpts);
    if (job.writer()) std::cout << "resumed from " << info.checkpoint.string() << "\n";
  }
  check();
  add_run_hooks(trainer, config, out, job, views, images);
  // Hooks validated their options above; only now is the run directory written.
  if (job.writer()) {
    std::filesystem::create_directories(out);
    gancraft::detail::write_file_atomically(out / "config.json", config.dump(2) + "\n");
  }
  fit();
  if (!job.writer()) return trainer.interrupted() ? 130 : 0;  // rank 0 reports for the job
  if (trainer.interrupted()) {
    std::cout << "interrupted at step " << trainer.step() << "; checkpoint saved; continue with: gancraft train --out "
              << out.string() << " --resume\n";
    return 130;
  }
  std::cout << "done: " << trainer.step() << " steps in " << out.string() << "\n";
  return 0;
}

}  // namespace gancraft::tools
