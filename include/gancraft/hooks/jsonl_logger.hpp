#pragma once
/// @file gancraft/hooks/jsonl_logger.hpp

#include <gancraft/detail/jsonl_file.hpp>
#include <gancraft/error.hpp>
#include <gancraft/core/step_report.hpp>
#include <gancraft/core/training_context.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

namespace gancraft::hooks {

/// Writes one JSON object per logged step to a JSON Lines file:
/// `{"step":100,"epoch":0,"seconds":3.2,"d_loss":1.21,"g_loss":0.83,"d_real":0.4,...}`.
///
/// The file is created (with its parent directories) when training begins, truncated for a
/// fresh run; when the trainer resumed from a checkpoint (step > 0), lines after that step are
/// dropped (they are trained again) and new lines appended. Each line is flushed as written, so
/// a killed run keeps every line it logged.
class JsonlLogger {
 public:
  /// Logs every `interval` generator updates.
  explicit JsonlLogger(std::filesystem::path path, int64_t interval = 1)
      : path_(std::move(path)), interval_(interval) {
    GANCRAFT_CHECK(interval_ > 0, OptionError, "JsonlLogger: interval must be > 0, got ",
                   interval_);
  }

  int64_t interval() const { return interval_; }  ///< losses are read on these steps only
  const std::filesystem::path& path() const { return path_; }  ///< the log file

  /// Opens the file: truncated for a fresh run, appended to on a resume (step > 0).
  void on_train_begin(TrainingContext& ctx) {
    if (path_.has_parent_path()) std::filesystem::create_directories(path_.parent_path());
    if (ctx.step() > 0 && std::filesystem::exists(path_)) detail::rewind_jsonl(path_, ctx.step());
    out_ = std::make_shared<std::ofstream>(
        path_, ctx.step() > 0 ? std::ios::app : std::ios::trunc);
    GANCRAFT_CHECK(out_->good(), IoError, path_.string(), ": cannot open for writing");
  }

  /// Writes and flushes one JSON line (step, epoch, seconds, the losses and scalars present) on
  /// every `interval`-th step that reports any (a model may report only some, e.g. `kl`).
  void on_step_end(const StepReport& r) {
    if (r.step % interval_ != 0 || (!r.d_loss && !r.g_loss && r.scalars.empty())) return;
    nlohmann::json line = {{"step", r.step}, {"epoch", r.epoch}, {"seconds", r.seconds}};
    if (r.d_loss) line["d_loss"] = *r.d_loss;
    if (r.g_loss) line["g_loss"] = *r.g_loss;
    for (const auto& [k, v] : r.scalars) line[k] = v;
    *out_ << line.dump() << '\n';
    out_->flush();
    GANCRAFT_CHECK(out_->good(), IoError, path_.string(), ": write failed");
  }

 private:
  std::filesystem::path path_;
  int64_t interval_;
  std::shared_ptr<std::ofstream> out_;
};

}  // namespace gancraft::hooks
