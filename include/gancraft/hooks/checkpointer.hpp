#pragma once
/// @file gancraft/hooks/checkpointer.hpp

#include <gancraft/error.hpp>
#include <gancraft/training/optimizer_options.hpp>
#include <gancraft/training/step_report.hpp>
#include <gancraft/training/training_context.hpp>
#include <gancraft/version.hpp>

#include <nlohmann/json.hpp>
#include <torch/torch.h>
#include <torch/version.h>

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace gancraft {
namespace detail {

inline std::string step_dir_name(int64_t step) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "step-%06lld", static_cast<long long>(step));
  return buf;
}

/// Writes `text` to `path` through a temporary file and a rename, so readers never see a
/// partial file.
inline void write_text_atomically(const std::filesystem::path& path, const std::string& text) {
  const auto tmp = path.parent_path() / (path.filename().string() + ".tmp-" + std::to_string(getpid()));
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    out.flush();
    GANCRAFT_CHECK(out.good(), IoError, tmp.string(), ": write failed");
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace detail

/// The names of the files inside one checkpoint directory.
struct CheckpointFiles {
  static constexpr const char* generator = "generator.pt";
  static constexpr const char* discriminator = "discriminator.pt";
  static constexpr const char* generator_optimizer = "generator_optimizer.pt";
  static constexpr const char* discriminator_optimizer = "discriminator_optimizer.pt";
  static constexpr const char* state = "state.json";
  static constexpr int format_version = 1;
};

/// Saves G, D, both optimizers and the progress of `ctx` into the directory `dir`
/// (`generator.pt`, `discriminator.pt`, `generator_optimizer.pt`, `discriminator_optimizer.pt`,
/// `state.json`). The directory is assembled under a temporary name and renamed into place.
inline void save_checkpoint(TrainingContext& ctx, const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  const fs::path parent = dir.has_parent_path() ? dir.parent_path() : fs::path(".");
  fs::create_directories(parent);
  const fs::path tmp =
      parent / (".tmp-" + dir.filename().string() + "-" + std::to_string(getpid()));
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  auto save = [&](auto& object, const char* name) {
    torch::serialize::OutputArchive archive;
    object.save(archive);
    archive.save_to((tmp / name).string());
  };
  save(ctx.generator_module(), CheckpointFiles::generator);
  save(ctx.discriminator_module(), CheckpointFiles::discriminator);
  save(ctx.generator_optimizer(), CheckpointFiles::generator_optimizer);
  save(ctx.discriminator_optimizer(), CheckpointFiles::discriminator_optimizer);
  const nlohmann::json state = {
      {"format", "gancraft-checkpoint"},
      {"format_version", CheckpointFiles::format_version},
      {"step", ctx.step()},
      {"epoch", ctx.epoch()},
      {"gancraft_version", version},
      {"torch_version", TORCH_VERSION},
      {"latent_dim", ctx.options().latent_dim()},
      {"batch_size", ctx.options().batch_size()},
      {"seed", ctx.options().seed()},
      {"g_optimizer", to_string(ctx.options().g_optimizer().kind())},
      {"d_optimizer", to_string(ctx.options().d_optimizer().kind())}};
  std::ofstream(tmp / CheckpointFiles::state) << state.dump(2) << '\n';
  fs::remove_all(dir);
  fs::rename(tmp, dir);
}

/// Restores G, D, both optimizers and the progress counters from a checkpoint directory
/// written by `save_checkpoint`, or from a `Checkpointer` root (its `latest` checkpoint).
/// Throws `IoError` naming the missing or unreadable file.
inline void load_checkpoint(TrainingContext& ctx, std::filesystem::path dir) {
  namespace fs = std::filesystem;
  if (!fs::exists(dir / CheckpointFiles::state) && fs::exists(dir / "latest")) {
    std::ifstream latest(dir / "latest");
    std::string name;
    std::getline(latest, name);
    dir /= name;
  }
  const fs::path state_path = dir / CheckpointFiles::state;
  GANCRAFT_CHECK(fs::exists(state_path), IoError, state_path.string(),
                 ": missing; not a gancraft checkpoint directory");
  nlohmann::json state;
  try {
    state = nlohmann::json::parse(std::ifstream(state_path));
  } catch (const nlohmann::json::exception& e) {
    throw IoError(detail::str(state_path.string(), ": not valid JSON: ", e.what()));
  }
  GANCRAFT_CHECK(state.value("format", "") == "gancraft-checkpoint", IoError,
                 state_path.string(), ": not a gancraft checkpoint");
  GANCRAFT_CHECK(state.value("format_version", 0) == CheckpointFiles::format_version, IoError,
                 state_path.string(), ": checkpoint format version ",
                 state.value("format_version", 0), ", this gancraft reads version ",
                 CheckpointFiles::format_version);
  auto load = [&](auto& object, const char* name) {
    const fs::path file = dir / name;
    GANCRAFT_CHECK(fs::exists(file), IoError, file.string(), ": missing from the checkpoint");
    try {
      torch::serialize::InputArchive archive;
      archive.load_from(file.string(), ctx.options().device());
      object.load(archive);
    } catch (const c10::Error& e) {
      throw IoError(detail::str(file.string(), ": cannot be loaded: ",
                                std::string(e.what_without_backtrace()).substr(0, 300)));
    }
  };
  load(ctx.generator_module(), CheckpointFiles::generator);
  load(ctx.discriminator_module(), CheckpointFiles::discriminator);
  load(ctx.generator_optimizer(), CheckpointFiles::generator_optimizer);
  load(ctx.discriminator_optimizer(), CheckpointFiles::discriminator_optimizer);
  ctx.set_progress(state.at("step").get<int64_t>(), state.at("epoch").get<int64_t>());
}

namespace hooks {

/// Options of `Checkpointer`.
/// @code
/// trainer.add_hook(gc::hooks::Checkpointer("run/checkpoints",
///     gc::hooks::CheckpointerOptions().every(1000).keep_last(3)));
/// @endcode
struct CheckpointerOptions {
  /// Generator updates between checkpoints.
  TORCH_ARG(int64_t, every) = 1000;
  /// How many checkpoints to keep; 0 keeps all.
  TORCH_ARG(int64_t, keep_last) = 0;
  /// Also save when training ends (if that step has no checkpoint yet).
  TORCH_ARG(bool, save_on_end) = true;
};

/// Saves a checkpoint into `root/step-NNNNNN/` every `every` steps and points `root/latest`
/// (a one-line text file, replaced atomically) at the newest. Restore with `load_checkpoint`.
class Checkpointer {
 public:
  explicit Checkpointer(std::filesystem::path root, CheckpointerOptions options = {})
      : root_(std::move(root)), options_(options) {
    GANCRAFT_CHECK(options_.every() > 0, OptionError, "Checkpointer: every must be > 0, got ",
                   options_.every());
    GANCRAFT_CHECK(options_.keep_last() >= 0, OptionError,
                   "Checkpointer: keep_last must be >= 0, got ", options_.keep_last());
  }

  int64_t interval() const { return 0; }  ///< reads no losses
  const std::filesystem::path& root() const { return root_; }  ///< where checkpoints go

  void on_step_end(const StepReport& r, TrainingContext& ctx) {
    if (r.step % options_.every() == 0) save(ctx);
  }
  void on_train_end(TrainingContext& ctx) {
    if (options_.save_on_end() && last_saved_ != ctx.step()) save(ctx);
  }

  /// Saves the current state now.
  void save(TrainingContext& ctx) {
    const std::string name = detail::step_dir_name(ctx.step());
    save_checkpoint(ctx, root_ / name);
    detail::write_text_atomically(root_ / "latest", name + "\n");
    last_saved_ = ctx.step();
    prune();
  }

 private:
  void prune() {
    if (options_.keep_last() == 0) return;
    std::vector<std::filesystem::path> dirs;
    for (const auto& e : std::filesystem::directory_iterator(root_))
      if (e.is_directory() && e.path().filename().string().rfind("step-", 0) == 0)
        dirs.push_back(e.path());
    std::sort(dirs.begin(), dirs.end());  // zero-padded step numbers sort in step order
    const auto keep = static_cast<size_t>(options_.keep_last());
    for (size_t i = 0; i + keep < dirs.size(); ++i) std::filesystem::remove_all(dirs[i]);
  }

  std::filesystem::path root_;
  CheckpointerOptions options_;
  int64_t last_saved_ = -1;
};

}  // namespace hooks
}  // namespace gancraft
