#pragma once
/// @file gancraft/hooks/sample_grid.hpp

#include <gancraft/error.hpp>
#include <gancraft/io/image_grid.hpp>
#include <gancraft/core/random.hpp>
#include <gancraft/core/step_report.hpp>
#include <gancraft/core/training_context.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

namespace gancraft::hooks {

/// Options of `SampleGrid`.
/// @code
/// trainer.add_hook(gc::hooks::SampleGrid("run/samples", gc::hooks::SampleGridOptions().every(500)));
/// @endcode
struct SampleGridOptions {
  /// Generator updates between grids.
  TORCH_ARG(int64_t, every) = 500;
  /// Images per grid.
  TORCH_ARG(int64_t, count) = 64;
  /// Images per grid row.
  TORCH_ARG(int64_t, nrow) = 8;
  /// Seed of the fixed latent batch, so every grid shows the same latents as training goes on.
  TORCH_ARG(uint64_t, seed) = 1234;
  /// Also write a grid at step 0 (before training) and when training ends.
  TORCH_ARG(bool, at_begin_and_end) = true;
  /// A translating model's grid: when set, each grid shows these sources `[N, C, h, w]`, their
  /// translations (`TrainingContext::translate_view`) and `targets`, side by side (source | output
  /// | target, `io::translation_triples`); `count` and `seed` are then unused, and `nrow`
  /// counts triples.
  TORCH_ARG(torch::Tensor, sources) = {};
  /// The targets shown beside `sources` (their ground truth, or for unpaired data any image
  /// of the output's shape); without them the grid is source | output.
  TORCH_ARG(torch::Tensor, targets) = {};
};

/// Writes `dir/step-NNNNNN.png`: a grid of the generator's images for one fixed latent batch,
/// every `every` steps. The latents come from the hook's own generator, and the images from
/// `TrainingContext::generate`, so drawing a grid never changes training. For a conditional GAN
/// (`TrainerOptions::num_classes` > 0) each row holds one class: row r shows class
/// r % num_classes (10 classes: `count(100).nrow(10)` gives a 10 × 10 grid, one class per row).
/// For a translating model, `SampleGridOptions::sources` (and `targets`) make each grid a set
/// of source | output | target triples:
/// @code
/// trainer.add_hook(gc::hooks::SampleGrid("run/samples", gc::hooks::SampleGridOptions()
///     .sources(test.source.narrow(0, 0, 16)).targets(test.target.narrow(0, 0, 16)).nrow(4)));
/// @endcode
class SampleGrid {
 public:
  /// Writes grids into `dir`; `OptionError` unless `every`, `count` and `nrow` are > 0.
  explicit SampleGrid(std::filesystem::path dir, SampleGridOptions options = {})
      : dir_(std::move(dir)), options_(options) {
    GANCRAFT_CHECK(options_.every() > 0, OptionError, "SampleGrid: every must be > 0, got ",
                   options_.every());
    GANCRAFT_CHECK(options_.count() > 0 && options_.nrow() > 0, OptionError,
                   "SampleGrid: count and nrow must be > 0, got ", options_.count(), " and ",
                   options_.nrow());
    const auto& src = options_.sources();
    const auto& tgt = options_.targets();
    GANCRAFT_CHECK(!tgt.defined() || src.defined(), OptionError, "SampleGrid: targets were given without sources");
    GANCRAFT_CHECK(!src.defined() || (src.dim() == 4 && src.size(0) > 0), ShapeError,
                   "SampleGrid: sources must be images [N, C, H, W] with N > 0, got shape ",
                   src.defined() ? src.sizes() : c10::IntArrayRef{});
    GANCRAFT_CHECK(!tgt.defined() || (tgt.dim() == 4 && tgt.size(0) == src.size(0)), ShapeError,
                   "SampleGrid: expected one target [C, H, W] per source (", src.defined() ? src.size(0) : 0,
                   "), got shape ", tgt.defined() ? tgt.sizes() : c10::IntArrayRef{});
  }

  int64_t interval() const { return 0; }  ///< reads no losses
  const std::filesystem::path& dir() const { return dir_; }  ///< where grids go

  /// Draws the fixed latent batch from `seed`, and writes a grid at step 0 with
  /// `at_begin_and_end`.
  void on_train_begin(TrainingContext& ctx) {
    prepare(ctx);
    if (options_.at_begin_and_end() && ctx.step() == 0) write(ctx);
  }
  /// Writes a grid on every `every`-th generator update.
  void on_step_end(const StepReport& r, TrainingContext& ctx) {
    if (r.step % options_.every() == 0) write(ctx);
  }
  /// Writes a grid for the final step too (with `at_begin_and_end`), unless it already has one.
  void on_train_end(TrainingContext& ctx) {
    if (options_.at_begin_and_end() && ctx.step() % options_.every() != 0) write(ctx);
  }

  /// The grid file for `step`.
  std::filesystem::path path_for(int64_t step) const {
    char name[32];
    std::snprintf(name, sizeof name, "step-%06lld.png", static_cast<long long>(step));
    return dir_ / name;
  }

  /// Draws the fixed latent batch from `seed` (`on_train_begin` does).
  void prepare(TrainingContext& ctx) {
    at::Generator gen = make_generator(options_.seed());
    latents_ = torch::randn({options_.count(), ctx.options().latent_dim()}, gen);
  }

  /// The grid of the model's current samples (or translations) as uint8 [H, W, C], what the
  /// PNG files hold; after `prepare`.
  torch::Tensor image(TrainingContext& ctx) {
    torch::Tensor images;
    if (const auto& src = options_.sources(); src.defined()) {
      const torch::Tensor out = ctx.translate_view(src).to(torch::kCPU);
      const torch::Tensor& tgt = options_.targets();
      GANCRAFT_CHECK(!tgt.defined() || out.sizes() == tgt.sizes(), ShapeError, "SampleGrid: the translations have shape ",
                     out.sizes(), " but the targets ", tgt.sizes());
      const int64_t per = tgt.defined() ? 3 : 2;
      images = io::translation_triples(src, out, tgt.defined() ? tgt : out);
      if (!tgt.defined())  // drop the third image of each triple
        images = images.view({src.size(0), 3, images.size(1), images.size(2), images.size(3)}).narrow(1, 0, 2).flatten(0, 1);
      return io::make_grid(images, io::GridOptions().nrow(options_.nrow() * per));
    }
    if (const int64_t classes = ctx.options().num_classes(); classes > 0) {
      // A conditional GAN: row r shows class r % num_classes, one class per row.
      const torch::Tensor rows = torch::arange(options_.count(), torch::kLong).div(options_.nrow(), "floor");
      images = ctx.generate(latents_, rows.remainder(classes)).to(torch::kCPU);
    } else {
      images = ctx.generate(latents_).to(torch::kCPU);
    }
    GANCRAFT_CHECK(images.dim() == 4 && (images.size(1) == 1 || images.size(1) == 3), ShapeError,
                   "SampleGrid: the generator's output has shape ", images.sizes(),
                   "; a grid needs images [N, 1 or 3, H, W]");
    return io::make_grid(images, io::GridOptions().nrow(options_.nrow()));
  }

 private:
  void write(TrainingContext& ctx) { io::write_png(path_for(ctx.step()), image(ctx)); }

  std::filesystem::path dir_;
  SampleGridOptions options_;
  torch::Tensor latents_;
};

}  // namespace gancraft::hooks
