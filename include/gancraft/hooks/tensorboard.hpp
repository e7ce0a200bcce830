#pragma once
/// @file gancraft/hooks/tensorboard.hpp

#include <gancraft/core/step_report.hpp>
#include <gancraft/core/training_context.hpp>
#include <gancraft/error.hpp>
#include <gancraft/hooks/sample_grid.hpp>
#include <gancraft/io/event_file.hpp>
#include <gancraft/io/png.hpp>

#include <torch/torch.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace gancraft::hooks {

/// Options of `TensorBoard`.
struct TensorBoardOptions {
  /// Generator updates between scalar events; losses are read on these steps.
  TORCH_ARG(int64_t, interval) = 1;
  /// Sample grids as images under the tag "samples", in `SampleGrid`'s way (its `every`,
  /// `count`, `nrow`, `seed`, `at_begin_and_end`, `sources`, `targets`); none when unset.
  TORCH_ARG(std::optional<SampleGridOptions>, images) = std::nullopt;
  /// Markdown written once, under the tag "config", when a fresh run begins (the tool writes
  /// its resolved config); nothing when empty.
  TORCH_ARG(std::string, config) = "";
};

/// Logs training to TensorBoard: the losses and every other reported scalar (tags as in
/// `JsonlLogger`: "d_loss", "g_loss", "penalty", ...), sample grids as images, and the config
/// as text, in an event file `dir/events.out.tfevents.SECONDS.HOST.PID` that
/// `tensorboard --logdir dir` reads. Each session writes a new file (sorted after the older
/// ones); a run resumed at step S begins it with a restart marker (`SessionLog` START at step
/// S + 1), so TensorBoard drops what the interrupted process logged after its checkpoint,
/// which is trained again; a `DivergenceGuard` rollback is marked the same way. Every event is
/// flushed as written. Under `DataParallel`, wrap it in
/// `distributed::RankZeroOnly`, as every hook that writes.
/// @code
/// trainer.add_hook(gc::hooks::TensorBoard("run/tensorboard", gc::hooks::TensorBoardOptions()
///     .interval(10).images(gc::hooks::SampleGridOptions().every(500))));
/// @endcode
class TensorBoard {
 public:
  /// Logs into `dir` (created when training begins); `OptionError` unless `interval` > 0 and
  /// the image options are valid (as `SampleGrid` checks them).
  explicit TensorBoard(std::filesystem::path dir, TensorBoardOptions options = {})
      : dir_(std::move(dir)), options_(std::move(options)) {
    GANCRAFT_CHECK(options_.interval() > 0, OptionError, "TensorBoard: interval must be > 0, got ",
                   options_.interval());
    if (options_.images()) grid_ = std::make_shared<SampleGrid>(dir_, *options_.images());
  }

  int64_t interval() const { return options_.interval(); }  ///< losses are read on these steps
  const std::filesystem::path& dir() const { return dir_; }  ///< the log directory
  /// The event file of this session (empty before training begins).
  std::filesystem::path file() const { return events_ ? events_->path() : std::filesystem::path(); }

  /// Opens a new event file; on a resume (step > 0) marks the restart, on a fresh run writes
  /// the config and the first grid.
  void on_train_begin(TrainingContext& ctx) {
    events_ = std::make_shared<io::EventFileWriter>(new_file());
    last_step_ = ctx.step();
    if (ctx.step() > 0) {
      events_->session_start(ctx.step() + 1);
    } else if (!options_.config().empty()) {
      events_->text("config", 0, options_.config());
    }
    if (grid_) {
      grid_->prepare(ctx);
      if (options_.images()->at_begin_and_end() && ctx.step() == 0) image(ctx);
    }
  }

  /// Scalars on every `interval`-th step that reports any; a grid on every `every`-th.
  void on_step_end(const StepReport& r, TrainingContext& ctx) {
    // A step at or before one already logged: DivergenceGuard rolled back. Mark it as a
    // restart too, so TensorBoard drops the diverged steps rather than overlaying them.
    if (r.step <= last_step_) events_->session_start(r.step);
    last_step_ = r.step;
    if (r.step % options_.interval() == 0) {
      if (r.d_loss) events_->scalar("d_loss", r.step, *r.d_loss);
      if (r.g_loss) events_->scalar("g_loss", r.step, *r.g_loss);
      for (const auto& [k, v] : r.scalars) events_->scalar(k, r.step, v);
    }
    if (grid_ && r.step % options_.images()->every() == 0) image(ctx);
  }

  /// The final grid (with `at_begin_and_end`), unless that step has one.
  void on_train_end(TrainingContext& ctx) {
    if (grid_ && options_.images()->at_begin_and_end() && ctx.step() % options_.images()->every() != 0) image(ctx);
  }

 private:
  void image(TrainingContext& ctx) {
    const torch::Tensor hwc = grid_->image(ctx);
    events_->image("samples", ctx.step(), io::encode_png(hwc, "TensorBoard grid"), hwc.size(0), hwc.size(1), hwc.size(2));
  }

  /// `events.out.tfevents.SECONDS.HOST.PID`, its seconds past every existing file's, so
  /// that TensorBoard (which reads files in name order) reads this session last.
  std::filesystem::path new_file() const {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    GANCRAFT_CHECK(!ec && std::filesystem::is_directory(dir_), IoError, "TensorBoard: cannot create ", dir_.string(), ": ",
                   ec ? ec.message() : std::string("not a directory"));
    int64_t seconds = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
    constexpr std::string_view prefix = "events.out.tfevents.";
    for (const auto& e : std::filesystem::directory_iterator(dir_)) {
      const std::string name = e.path().filename().string();
      if (name.rfind(prefix, 0) != 0) continue;
      try {
        seconds = std::max<int64_t>(seconds, std::stoll(name.substr(prefix.size())) + 1);
      } catch (const std::exception&) {
      }
    }
    char host[256] = "localhost";
    ::gethostname(host, sizeof host - 1);
    char name[400];
    std::snprintf(name, sizeof name, "%s%010lld.%s.%d", prefix.data(), static_cast<long long>(seconds), host,
                  static_cast<int>(::getpid()));
    return dir_ / name;
  }

  std::filesystem::path dir_;
  TensorBoardOptions options_;
  std::shared_ptr<SampleGrid> grid_;
  std::shared_ptr<io::EventFileWriter> events_;
  int64_t last_step_ = 0;
};

}  // namespace gancraft::hooks
