#pragma once
/// @file gancraft/hooks/evaluate.hpp

#include <gancraft/detail/atomic_file.hpp>
#include <gancraft/detail/jsonl_file.hpp>
#include <gancraft/error.hpp>
#include <gancraft/io/checkpoint.hpp>
#include <gancraft/metrics/density_coverage.hpp>
#include <gancraft/metrics/feature_extractor.hpp>
#include <gancraft/metrics/frechet_distance.hpp>
#include <gancraft/metrics/inception_score.hpp>
#include <gancraft/metrics/kernel_inception_distance.hpp>
#include <gancraft/metrics/precision_recall.hpp>
#include <gancraft/core/random.hpp>
#include <gancraft/core/step_report.hpp>
#include <gancraft/core/training_context.hpp>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gancraft::hooks {

/// A quality measure `Evaluate` can compute; each logs under the names given.
enum class Metric {
  FrechetDistance,  ///< "fd"
  Kid,              ///< "kid", "kid_std"
  PrecisionRecall,  ///< "precision", "recall"
  DensityCoverage,  ///< "density", "coverage"
  InceptionScore,   ///< "is", "is_std" (needs `EvaluateOptions::logits`)
};

/// Options of `Evaluate`.
/// @code
/// gc::hooks::EvaluateOptions().every(1000).samples(5000)
///     .metrics({gc::hooks::Metric::FrechetDistance, gc::hooks::Metric::PrecisionRecall})
///     .best_checkpoint("run/best");
/// @endcode
struct EvaluateOptions {
  /// Generator updates between evaluations.
  TORCH_ARG(int64_t, every) = 1000;
  /// Generated samples per evaluation (FD needs more than the feature size; 10× is advised).
  TORCH_ARG(int64_t, samples) = 5000;
  /// Samples generated and featurised at once.
  TORCH_ARG(int64_t, batch_size) = 250;
  /// Seed of the fixed latent set: every evaluation scores the same latents, so differences
  /// between steps come from training, not from drawing new noise.
  TORCH_ARG(uint64_t, seed) = 20170626;
  /// What to compute.
  TORCH_ARG(std::vector<Metric>, metrics) = {Metric::FrechetDistance};
  /// Options of KID.
  TORCH_ARG(metrics::KidOptions, kid) = metrics::KidOptions().subsets(100).subset_size(1000);
  /// Neighbourhood size k of precision/recall (3 in Kynkäänniemi et al.).
  TORCH_ARG(int64_t, precision_recall_k) = 3;
  /// Neighbourhood size k of density/coverage (5 in Naeem et al.).
  TORCH_ARG(int64_t, density_coverage_k) = 5;
  /// Classifier logits for `Metric::InceptionScore`.
  TORCH_ARG(metrics::FeatureExtractor, logits) = nullptr;
  /// Splits of the Inception Score.
  TORCH_ARG(int64_t, is_splits) = 10;
  /// When set, a checkpoint of the best evaluation so far is kept here (replaced atomically).
  TORCH_ARG(std::filesystem::path, best_checkpoint) = {};
  /// The value that picks the best checkpoint: "fd", "kid", "precision", "recall", "density",
  /// "coverage" or "is" (lower is better for fd and kid, higher for the rest).
  TORCH_ARG(std::string, best_by) = "fd";
  /// Also evaluate when training ends, if that step was not evaluated.
  TORCH_ARG(bool, at_end) = true;
  /// A translating model: when set, the images scored are the translations of these sources
  /// `[N, ...]` (`TrainingContext::translate_view`, in batches of `batch_size`) instead of generated
  /// samples, and `samples` becomes N.
  TORCH_ARG(torch::Tensor, sources) = {};
};

/// One evaluation: the step and each value by name ("fd", "precision", …).
struct Evaluation {
  int64_t step = 0;                       ///< generator updates done
  std::map<std::string, double> values;  ///< metric name → value
};

/// Scores the generator every `every` steps: draws `samples` images from a fixed latent set
/// (through `TrainingContext::generate`, so training is not disturbed; a translating model's
/// translations of `EvaluateOptions::sources` instead), featurises them with
/// `features`, compares with the real features, appends `{"step": S, "fd": …, …}` to a JSON
/// Lines log, and optionally keeps the best checkpoint.
///
/// Precision/recall and density/coverage compare against a random subset of the real features
/// as large as the generated set (the papers use equal sizes); FD uses all real features;
/// KID draws its subsets from both. On a resume the log is rewound to the checkpoint's step and
/// the best value so far is read back from it.
/// @code
/// auto fe = gc::metrics::fd_fmnist_extractor(gc::metrics::load_fd_fmnist_classifier(path));
/// auto real = gc::metrics::extract_features(fe, dataset.images());
/// trainer.add_hook(gc::hooks::Evaluate("run/eval.jsonl", fe, real,
///     gc::hooks::EvaluateOptions().every(500).best_checkpoint("run/best")));
/// @endcode
class Evaluate {
 public:
  /// Logs to `log`; `real_features` [N, D] are the reference set's features under
  /// `features`. `OptionError` on bad options (named), `ShapeError` on bad features.
  Evaluate(std::filesystem::path log, metrics::FeatureExtractor features, torch::Tensor real_features,
           EvaluateOptions options = {})
      : log_(std::move(log)), features_(std::move(features)), options_(std::move(options)) {
    if (const auto& src = options_.sources(); src.defined()) {
      GANCRAFT_CHECK(src.dim() >= 1 && src.size(0) > 0, ShapeError,
                     "Evaluate: sources must hold at least one sample, got shape ", src.sizes());
      options_.samples(src.size(0));
    }
    const auto& o = options_;
    GANCRAFT_CHECK(features_ != nullptr, OptionError, "Evaluate: no feature extractor");
    GANCRAFT_CHECK(o.every() > 0 && o.samples() > 1 && o.batch_size() > 0, OptionError,
                   "Evaluate: every, batch_size must be > 0 and samples > 1, got every=", o.every(),
                   " samples=", o.samples(), " batch_size=", o.batch_size());
    GANCRAFT_CHECK(!o.metrics().empty(), OptionError, "Evaluate: no metrics chosen");
    GANCRAFT_CHECK(real_features.defined() && real_features.dim() == 2 && real_features.size(0) > 1,
                   ShapeError, "Evaluate: real features must be [N, D] with N > 1, got shape ",
                   real_features.defined() ? real_features.sizes() : torch::IntArrayRef{});
    GANCRAFT_CHECK(!wants(Metric::InceptionScore) || o.logits() != nullptr, OptionError,
                   "Evaluate: Metric::InceptionScore needs EvaluateOptions::logits (a classifier)");
    GANCRAFT_CHECK(!wants(Metric::Kid) || (o.kid().subset_size() <= o.samples() &&
                                           o.kid().subset_size() <= real_features.size(0)),
                   OptionError, "Evaluate: the KID subset size ", o.kid().subset_size(),
                   " exceeds the generated samples (", o.samples(), ") or the real features (",
                   real_features.size(0), ")");
    GANCRAFT_CHECK(!wants(Metric::Kid) || o.kid().subsets() == 1 || o.kid().subset_size() < o.samples() ||
                       o.kid().subset_size() < real_features.size(0),
                   OptionError, "Evaluate: the KID subset size ", o.kid().subset_size(),
                   " is both the generated samples and the real features, so every one of the ", o.kid().subsets(),
                   " subsets would be the same; use a smaller subset size, or subsets(1)");
    static const std::vector<std::pair<std::string, Metric>> names = {
        {"fd", Metric::FrechetDistance}, {"kid", Metric::Kid},
        {"precision", Metric::PrecisionRecall}, {"recall", Metric::PrecisionRecall},
        {"density", Metric::DensityCoverage}, {"coverage", Metric::DensityCoverage},
        {"is", Metric::InceptionScore}};
    const auto by = std::find_if(names.begin(), names.end(),
                                 [&](const auto& n) { return n.first == o.best_by(); });
    GANCRAFT_CHECK(by != names.end(), OptionError, "Evaluate: best_by \"", o.best_by(),
                   "\" is not one of fd, kid, precision, recall, density, coverage, is");
    GANCRAFT_CHECK(o.best_checkpoint().empty() || wants(by->second), OptionError,
                   "Evaluate: best_by \"", o.best_by(),
                   "\" picks the best checkpoint but is not among the chosen metrics");
    // Everything the first evaluation would trip over is checked now, not after `every` steps.
    const int64_t dim = real_features.size(1), n_real = real_features.size(0);
    const int64_t m = std::min(o.samples(), n_real);  // the real subset of the manifold metrics
    GANCRAFT_CHECK(!wants(Metric::FrechetDistance) || (o.samples() > dim && n_real > dim), OptionError,
                   "Evaluate: the Fréchet distance needs more samples than features (", dim,
                   "): EvaluateOptions::samples is ", o.samples(), ", the real set has ", n_real);
    GANCRAFT_CHECK(!wants(Metric::Kid) || o.kid().subset_size() >= 2, OptionError,
                   "Evaluate: the KID subset size must be >= 2, got ", o.kid().subset_size());
    GANCRAFT_CHECK(!wants(Metric::PrecisionRecall) ||
                       (o.precision_recall_k() >= 1 && o.precision_recall_k() < m),
                   OptionError, "Evaluate: precision_recall_k must be in [1, ", m - 1,
                   "] (the sets hold ", m, " samples), got ", o.precision_recall_k());
    GANCRAFT_CHECK(!wants(Metric::DensityCoverage) ||
                       (o.density_coverage_k() >= 1 && o.density_coverage_k() < m),
                   OptionError, "Evaluate: density_coverage_k must be in [1, ", m - 1,
                   "] (the real subset holds ", m, " samples), got ", o.density_coverage_k());
    GANCRAFT_CHECK(!wants(Metric::InceptionScore) || (o.is_splits() >= 1 && o.is_splits() <= o.samples()),
                   OptionError, "Evaluate: is_splits must be in [1, samples = ", o.samples(),
                   "], got ", o.is_splits());
    real_ = real_features.detach().to(torch::kCPU, torch::kDouble);
    GANCRAFT_CHECK(torch::isfinite(real_).all().item<bool>(), OptionError,
                   "Evaluate: the real features contain NaN or Inf");
    if (wants(Metric::FrechetDistance)) real_stats_.add(real_);
    // The real subset for the manifold metrics is fixed once, like the latents.
    at::Generator gen = make_generator(o.seed() + 1);
    real_subset_ = m == real_.size(0) ? real_
                   : real_.index_select(0, torch::randperm(real_.size(0), gen,
                                                           torch::TensorOptions().dtype(torch::kLong))
                                               .narrow(0, 0, m));
  }

  int64_t interval() const { return 0; }  ///< reads no losses
  const std::vector<Evaluation>& history() const { return history_; }  ///< this run's evaluations
  /// The best evaluation so far by `best_by` (restored from the log on a resume).
  const std::optional<Evaluation>& best() const { return best_; }

  /// Draws the fixed latents; starts the log (rewound on a resume) and recovers the best value.
  void on_train_begin(TrainingContext& ctx) {
    at::Generator gen = make_generator(options_.seed());
    if (!options_.sources().defined())
      latents_ = torch::randn({options_.samples(), ctx.options().latent_dim()}, gen);
    if (log_.has_parent_path()) std::filesystem::create_directories(log_.parent_path());
    best_.reset();
    last_logged_ = -1;
    if (ctx.step() > 0 && std::filesystem::exists(log_)) {
      for (const auto& j : detail::rewind_jsonl(log_, ctx.step())) {
        Evaluation e;
        e.step = j["step"].get<int64_t>();
        last_logged_ = std::max(last_logged_, e.step);
        for (const auto& [k, v] : j.items())
          if (k != "step" && v.is_number()) e.values[k] = v.get<double>();
        consider(e, ctx, /*save=*/false);
      }
    } else {
      detail::write_file_atomically(log_, "");
    }
  }
  /// Evaluates on every `every`-th generator update.
  void on_step_end(const StepReport& r, TrainingContext& ctx) {
    if (r.step % options_.every() == 0) evaluate(ctx);
  }
  /// Evaluates the final step (with `at_end`) unless the log already has it.
  void on_train_end(TrainingContext& ctx) {
    if (options_.at_end() && last_logged_ != ctx.step()) evaluate(ctx);
  }

  /// Evaluates the generator now, logs the result and returns it.
  Evaluation evaluate(TrainingContext& ctx) {
    std::vector<torch::Tensor> feature_parts, logit_parts;
    for (int64_t start = 0; start < options_.samples(); start += options_.batch_size()) {
      const int64_t n = std::min(options_.batch_size(), options_.samples() - start);
      torch::Tensor images;
      if (const auto& src = options_.sources(); src.defined()) {
        images = ctx.translate_view(src.narrow(0, start, n));
      } else {
        const torch::Tensor z = latents_.narrow(0, start, n).to(ctx.options().device());
        // A conditional GAN: balanced labels over the whole sample set, i % num_classes.
        const int64_t classes = ctx.options().num_classes();
        images = classes > 0 ? ctx.generate(z, torch::arange(start, start + n, torch::kLong).remainder(classes))
                             : ctx.generate(z);
      }
      feature_parts.push_back(metrics::extract_features(features_, images, n));
      if (wants(Metric::InceptionScore))
        logit_parts.push_back(metrics::extract_features(options_.logits(), images, n));
    }
    const torch::Tensor fake_features = torch::cat(feature_parts);
    const torch::Tensor logits = logit_parts.empty() ? torch::Tensor() : torch::cat(logit_parts);
    Evaluation e;
    e.step = ctx.step();
    // A diverged generator gives NaN features: log the values as null (nlohmann writes NaN so)
    // rather than end the run, which `DivergenceGuard` may still roll back.
    if (!torch::isfinite(fake_features).all().item<bool>() ||
        (logits.defined() && !torch::isfinite(logits).all().item<bool>())) {
      for (const char* k : {"fd", "kid", "kid_std", "precision", "recall", "density", "coverage", "is", "is_std"})
        if (produced(k)) e.values[k] = std::numeric_limits<double>::quiet_NaN();
      log(e);
      return e;
    }
    if (wants(Metric::FrechetDistance))
      e.values["fd"] = metrics::frechet_distance(real_stats_, metrics::FeatureStatistics(fake_features));
    if (wants(Metric::Kid)) {
      const auto kid = metrics::kernel_inception_distance(real_, fake_features, options_.kid());
      e.values["kid"] = kid.mean;
      e.values["kid_std"] = kid.std;
    }
    if (wants(Metric::PrecisionRecall)) {
      const auto pr = metrics::precision_recall(real_subset_, fake_features, options_.precision_recall_k());
      e.values["precision"] = pr.precision;
      e.values["recall"] = pr.recall;
    }
    if (wants(Metric::DensityCoverage)) {
      const auto dc = metrics::density_coverage(real_subset_, fake_features, options_.density_coverage_k());
      e.values["density"] = dc.density;
      e.values["coverage"] = dc.coverage;
    }
    if (wants(Metric::InceptionScore)) {
      const auto s = metrics::inception_score(logits, options_.is_splits());
      e.values["is"] = s.mean;
      e.values["is_std"] = s.std;
    }
    log(e);
    consider(e, ctx, /*save=*/true);
    return e;
  }

 private:
  void log(const Evaluation& e) {
    nlohmann::json line = {{"step", e.step}, {"samples", options_.samples()}};
    for (const auto& [k, v] : e.values) line[k] = v;
    std::ofstream out(log_, std::ios::app);
    out << line.dump() << '\n';
    out.flush();
    GANCRAFT_CHECK(out.good(), IoError, log_.string(), ": write failed");
    history_.push_back(e);
    last_logged_ = e.step;
  }
  /// Whether a chosen metric logs the value `name`.
  bool produced(const std::string& name) const {
    if (name == "fd") return wants(Metric::FrechetDistance);
    if (name == "kid" || name == "kid_std") return wants(Metric::Kid);
    if (name == "precision" || name == "recall") return wants(Metric::PrecisionRecall);
    if (name == "density" || name == "coverage") return wants(Metric::DensityCoverage);
    return wants(Metric::InceptionScore);
  }
  bool wants(Metric m) const {
    const auto& v = options_.metrics();
    return std::find(v.begin(), v.end(), m) != v.end();
  }
  void consider(const Evaluation& e, TrainingContext& ctx, bool save) {
    const auto it = e.values.find(options_.best_by());
    if (it == e.values.end() || !std::isfinite(it->second)) return;
    const bool lower = options_.best_by() == "fd" || options_.best_by() == "kid";
    if (best_) {
      const double b = best_->values.at(options_.best_by());
      if (lower ? !(it->second < b) : !(it->second > b)) return;
    }
    best_ = e;
    if (save && !options_.best_checkpoint().empty()) save_checkpoint(ctx, options_.best_checkpoint());
  }

  std::filesystem::path log_;
  metrics::FeatureExtractor features_;
  EvaluateOptions options_;
  torch::Tensor real_, real_subset_, latents_;
  metrics::FeatureStatistics real_stats_;
  std::vector<Evaluation> history_;
  std::optional<Evaluation> best_;
  int64_t last_logged_ = -1;  // the log's last step (restored on a resume)
};

}  // namespace gancraft::hooks
