#pragma once
/// @file gancraft/hooks/progress_bar.hpp

#include <gancraft/core/step_report.hpp>
#include <gancraft/core/training_context.hpp>

#include <torch/torch.h>

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>

namespace gancraft::hooks {

/// Options of `ProgressBar`.
/// @code
/// trainer.add_hook(gc::hooks::ProgressBar(gc::hooks::ProgressBarOptions().interval(50)));
/// @endcode
struct ProgressBarOptions {
  using Stream = std::FILE*;  ///< spelled as an alias so TORCH_ARG's `const T&` means what it says

  /// Steps between refreshes (losses are read on these steps only).
  TORCH_ARG(int64_t, interval) = 10;
  /// Seconds between printed lines when the stream is not a terminal.
  TORCH_ARG(double, line_seconds) = 5.0;
  /// Where to draw; stderr by default.
  TORCH_ARG(Stream, stream) = stderr;
};

/// Shows steps done/total, iterations per second, ETA and the latest losses: one line redrawn
/// in place on a terminal, or a new line every `line_seconds` otherwise (logs, CI).
class ProgressBar {
 public:
  /// Draws on `options.stream()`; in place only when that stream is a terminal.
  explicit ProgressBar(ProgressBarOptions options = {})
      : options_(options), tty_(isatty(fileno(options_.stream())) != 0) {}

  int64_t interval() const { return options_.interval(); }  ///< refresh every this many steps

  /// Remembers where this `fit` starts, so a resumed run's rate counts only its own steps.
  void on_train_begin(TrainingContext& ctx) { first_step_ = ctx.step(); }

  /// Redraws (terminal) or prints a line (otherwise, at most every `line_seconds`) on every
  /// `interval`-th step, and always on the last one.
  void on_step_end(const StepReport& r) {
    const bool last = r.step == r.total_steps;
    if (r.step % options_.interval() != 0 && !last) return;
    if (!tty_ && !last && r.seconds - last_line_ < options_.line_seconds()) return;
    last_line_ = r.seconds;
    std::fprintf(options_.stream(), "%s%s", format(r, first_step_).c_str(), tty_ && !last ? "\r" : "\n");
    std::fflush(options_.stream());
  }

  /// The text of one progress line; `first_step` is the step this `fit` started from.
  static std::string format(const StepReport& r, int64_t first_step = 0) {
    const double rate = r.seconds > 0 ? static_cast<double>(r.step - first_step) / r.seconds : 0.0;
    const double eta = rate > 0 ? static_cast<double>(r.total_steps - r.step) / rate : 0.0;
    char buf[256];
    int n = std::snprintf(buf, sizeof buf, "step %lld/%lld  %.1f it/s  ETA %s",
                          static_cast<long long>(r.step), static_cast<long long>(r.total_steps),
                          rate, clock(eta).c_str());
    for (const auto& [name, value] : {std::pair{"d_loss", r.d_loss}, std::pair{"g_loss", r.g_loss}})
      if (value && n > 0 && n < static_cast<int>(sizeof buf))
        n += std::snprintf(buf + n, sizeof buf - static_cast<size_t>(n), "  %s %.4f", name, *value);
    return buf;
  }

 private:
  static std::string clock(double seconds) {
    const auto s = static_cast<long long>(seconds);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, (s / 60) % 60, s % 60);
    return buf;
  }

  ProgressBarOptions options_;
  bool tty_;
  double last_line_ = -1e300;
  int64_t first_step_ = 0;
};

}  // namespace gancraft::hooks
