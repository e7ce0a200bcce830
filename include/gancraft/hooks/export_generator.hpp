#pragma once
/// @file gancraft/hooks/export_generator.hpp
/// Not part of `gancraft/gan.hpp` (it includes TorchScript's headers, see `gancraft/io/export.hpp`).

#include <gancraft/core/step_report.hpp>
#include <gancraft/core/training_context.hpp>
#include <gancraft/error.hpp>
#include <gancraft/io/export.hpp>

#include <torch/script.h>
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <utility>

namespace gancraft::hooks {

/// Options of `ExportGenerator`.
struct ExportGeneratorOptions {
  /// Generator updates between exports; 0: only when training ends.
  TORCH_ARG(int64_t, every) = 0;
  /// The exported `sample(n)`'s truncation (`ExportOptions::truncation`); 0: none.
  TORCH_ARG(double, truncation) = 0;
  /// For a model that translates rather than generates: a batch of sources to trace on (see
  /// `export_translator`); unused for generators.
  TORCH_ARG(torch::Tensor, example);
};

/// Writes the trainer's generator as TorchScript (see `export_generator`) to `path`, by
/// convention `RUN/generator.pt`, the file `gancraft sample`, `eval` and `report` read from a
/// run written by any program (docs/runs.md). It exports every `every` steps and when
/// training ends (normally, by a stop request or on a signal), atomically, so a killed
/// process leaves the previous file. The module carries the attribute `step` besides those of
/// `export_generator`. Under `DataParallel`, wrap it in `distributed::RankZeroOnly`.
/// @code
/// auto trainer = gc::Trainer(G, D, gc::losses::NonSaturating());
/// trainer.add_hook(gc::hooks::ExportGenerator(trainer, "run/generator.pt"));
/// @endcode
/// @tparam T the trainer type (`Trainer<...>` or `ModelTrainer<...>`), deduced from the trainer
///           passed to the constructor; the hook keeps no reference to it.
template <class T>
class ExportGenerator {
 public:
  /// Exports `trainer`'s generator (the one this hook is added to) to `path`; `OptionError`
  /// unless `every` >= 0 and `truncation` >= 0, or, for a translating model, without an
  /// `example`.
  ExportGenerator(const T& trainer, std::filesystem::path path, ExportGeneratorOptions options = {})
      : path_(std::move(path)), options_(std::move(options)) {
    (void)trainer;
    GANCRAFT_CHECK(options_.every() >= 0, OptionError, "ExportGenerator: every must be >= 0, got ",
                   options_.every());
    detail::check_export_options(ExportOptions().truncation(options_.truncation()));
    if constexpr (!exports_generator) {
      static_assert(requires(T& t) { export_translator(t, torch::Tensor()); },
                    "gancraft::hooks::ExportGenerator: this trainer's model neither generates nor translates");
      GANCRAFT_CHECK(options_.example().defined(), OptionError,
                     "ExportGenerator: this model translates; give ExportGeneratorOptions::example, a batch "
                     "of sources to trace on");
    }
  }

  int64_t interval() const { return 0; }                      ///< reads no losses
  const std::filesystem::path& path() const { return path_; }  ///< where the module goes

  /// Checks that the hook runs in a trainer of the type it was made for (not only when it
  /// first saves, which may be the end of the run).
  void on_train_begin(TrainingContext& ctx) {
    GANCRAFT_CHECK(dynamic_cast<T*>(&ctx) != nullptr, OptionError,
                   "ExportGenerator: added to a trainer of another type than the one it was made with");
  }
  /// Exports on every `every`-th generator update.
  void on_step_end(const StepReport& r, TrainingContext& ctx) {
    if (options_.every() > 0 && r.step % options_.every() == 0) save(ctx);
  }
  /// Exports the final step, unless it was just exported.
  void on_train_end(TrainingContext& ctx) {
    if (last_saved_ != ctx.step()) save(ctx);
  }

  /// Exports the generator now. `OptionError` when `ctx` is not a `T` (the hook was made for
  /// another trainer type); `IoError` when the file cannot be written.
  void save(TrainingContext& ctx) {
    T* trainer = dynamic_cast<T*>(&ctx);
    GANCRAFT_CHECK(trainer != nullptr, OptionError,
                   "ExportGenerator: added to a trainer of another type than the one it was made with");
    const ExportOptions o = ExportOptions().truncation(options_.truncation());
    torch::jit::Module module;
    if constexpr (exports_generator)
      module = export_generator(*trainer, o);
    else
      module = export_translator(*trainer, options_.example(), o);
    module.register_attribute("step", c10::IntType::get(), ctx.step());
    std::filesystem::create_directories(path_.parent_path().empty() ? "." : path_.parent_path());
    io::save_module(module, path_);
    last_saved_ = ctx.step();
  }

 private:
  static constexpr bool exports_generator = requires(T& t) { export_generator(t, ExportOptions()); };

  std::filesystem::path path_;
  ExportGeneratorOptions options_;
  int64_t last_saved_ = -1;
};

}  // namespace gancraft::hooks
