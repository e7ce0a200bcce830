#pragma once
/// @file gancraft/hooks/checkpointer.hpp

#include <gancraft/detail/atomic_file.hpp>
#include <gancraft/error.hpp>
#include <gancraft/io/checkpoint.hpp>
#include <gancraft/core/step_report.hpp>
#include <gancraft/core/training_context.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace gancraft::hooks {

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
  /// Also save when training ends (normally, by a stop request, or on a signal), if that
  /// step has no checkpoint yet.
  TORCH_ARG(bool, save_on_end) = true;
};

/// Saves a crash-safe checkpoint (see `save_checkpoint`) into `root/step-NNNNNN/` every
/// `every` steps and then points `root/latest` at it (a one-line file replaced atomically).
/// Resume with `Trainer::resume(root)`.
class Checkpointer {
 public:
  /// Checkpoints into `root` (created when training begins); `OptionError` unless `every` > 0
  /// and `keep_last` >= 0.
  explicit Checkpointer(std::filesystem::path root, CheckpointerOptions options = {})
      : root_(std::move(root)), options_(options) {
    GANCRAFT_CHECK(options_.every() > 0, OptionError, "Checkpointer: every must be > 0, got ",
                   options_.every());
    GANCRAFT_CHECK(options_.keep_last() >= 0, OptionError,
                   "Checkpointer: keep_last must be >= 0, got ", options_.keep_last());
  }

  int64_t interval() const { return 0; }  ///< reads no losses
  const std::filesystem::path& root() const { return root_; }  ///< where checkpoints go

  /// Removes temporaries that a killed process left behind (hidden `.tmp-*` / `.trash-*`).
  void on_train_begin(TrainingContext&) {
    std::filesystem::create_directories(root_);
    for (const auto& e : std::filesystem::directory_iterator(root_)) {
      const std::string name = e.path().filename().string();
      if (name.rfind(".tmp-", 0) == 0 || name.rfind(".trash-", 0) == 0)
        std::filesystem::remove_all(e.path());
    }
  }
  /// Saves on every `every`-th generator update.
  void on_step_end(const StepReport& r, TrainingContext& ctx) {
    if (r.step % options_.every() == 0) save(ctx);
  }
  /// Saves the final step too (with `save_on_end`), unless it was just saved.
  void on_train_end(TrainingContext& ctx) {
    if (options_.save_on_end() && last_saved_ != ctx.step()) save(ctx);
  }

  /// Saves the current state now.
  void save(TrainingContext& ctx) {
    const std::string name = detail::step_dir_name(ctx.step());
    save_checkpoint(ctx, root_ / name);
    detail::write_file_atomically(root_ / CheckpointFiles::latest, name + "\n");
    last_saved_ = ctx.step();
    prune();
  }

 private:
  void prune() {
    if (options_.keep_last() == 0) return;
    std::vector<std::filesystem::path> dirs = list_checkpoints(root_);
    // list_checkpoints puts `latest` (just written) first, then descending steps: keep the head.
    for (size_t i = static_cast<size_t>(options_.keep_last()); i < dirs.size(); ++i) {
      // Retire by an atomic rename first, so a crash mid-delete never leaves a half-deleted
      // directory under a checkpoint's name.
      const auto trash = detail::hidden_sibling(dirs[i], "trash");
      std::filesystem::remove_all(trash);
      std::filesystem::rename(dirs[i], trash);
      std::filesystem::remove_all(trash);
    }
  }

  std::filesystem::path root_;
  CheckpointerOptions options_;
  int64_t last_saved_ = -1;
};

}  // namespace gancraft::hooks
