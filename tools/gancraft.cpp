// The gancraft command-line tool: run, resume, sample and inspect GAN experiments.
//
//   gancraft train --config FILE [--set key=value ...] [--out DIR] [--resume]
//   gancraft sample --run DIR|FILE.pt [--checkpoint STEP] --n N --out FILE.png|FILE.csv [--seed S]
//                   [--truncation T] [--interpolate K]
//   gancraft translate --run DIR [--checkpoint STEP] --in FOLDER --out FOLDER [--direction ab|ba]
//   gancraft export --run DIR [--checkpoint STEP] --out FILE.pt [--truncation T] [--direction ab|ba]
//   gancraft report DIR
//   gancraft info
//   gancraft config-doc            (prints docs/config.md)
//   gancraft eval fd|kid|pr|dc|is|fd-fmnist ...   (quality metrics; docs/metrics.md)
//   gancraft launch --nproc N [...] -- COMMAND   (data-parallel ranks; docs/distributed.md)
#include "config.hpp"
#include "experiment.hpp"
#include "job.hpp"
#include "launch.hpp"
#include "model_kinds.hpp"
#include "run.hpp"
#include "sample_files.hpp"
#if __has_include("report.hpp")
#include "report.hpp"
#define GANCRAFT_TOOL_HAS_REPORT 1
#endif

#include <gancraft/detail/threads.hpp>
#include <gancraft/detail/torch_compat.hpp>
#include <gancraft/gan.hpp>
#include <gancraft/io/export.hpp>

#include <torch/version.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <vector>

namespace gc = gancraft;
namespace gt = gancraft::tools;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kUsage =
    "usage: gancraft <command> [options]\n"
    "  train --config FILE [--set key=value ...] [--out DIR] [--resume]\n"
    "  sample --run DIR|FILE.pt [--checkpoint STEP] --n N --out FILE.png|FILE.csv [--seed S]\n"
    "         [--truncation T] [--interpolate K]\n"
    "  translate --run DIR [--checkpoint STEP] --in FOLDER --out FOLDER [--direction ab|ba]\n"
    "         (a translation model's outputs for a folder of images; see docs/translation.md)\n"
    "  export --run DIR [--checkpoint STEP] --out FILE.pt [--truncation T] [--direction ab|ba]\n"
    "         (the generator as TorchScript for torch::jit::load / torch.jit.load; docs/export.md)\n"
    "  report DIR\n"
    "  info\n"
    "  config-doc\n"
    "  launch --nproc N [--master-port P] [--nnodes K --node-rank R --master-addr A] [--timeout S]\n"
    "         -- COMMAND...   (e.g. -- gancraft train --config FILE; see docs/distributed.md)\n"
    "  eval fd|kid|pr|dc --a A.csv --b B.csv [--k K] [--subsets N --subset-size M --seed S]\n"
    "       (feature files: CSV, one row per sample; pr/dc: a is real, b generated)\n"
    "  eval is --logits L.csv [--splits 10]\n"
    "  eval fd-fmnist (--run DIR|FILE.pt [--checkpoint STEP] [--n 10000] [--seed S]\n"
    "                 | --samples FILE.png|FILE.csv|FILE.pt [--n N] [--padding 2] | --split test|train)\n"
    "       [--against train|test] [--data DIR] [--classifier FILE]   (see docs/metrics.md)\n"
    "  --run DIR: a run of gancraft train (config.json, checkpoints/) or of any program that\n"
    "  wrote generator.pt (hooks::ExportGenerator); or an exported generator file (docs/runs.md)\n";

/// Each subcommand's usage, printed by `gancraft COMMAND --help` (docs/cli.md has the details).
const std::map<std::string, std::string>& command_help() {
  static const std::map<std::string, std::string> help = {
      {"train",
       "usage: gancraft train --config FILE [--set key=value ...] [--out DIR] [--resume]\n"
       "Trains the experiment a JSON config describes (docs/config.md) into a run directory.\n"
       "  --config FILE      the experiment; keys not given take their defaults (gancraft config-doc)\n"
       "  --set key=value    overrides one key (repeatable); the value is JSON, or else a string\n"
       "  --out DIR          the run directory (default: runs/<config file's name>)\n"
       "  --resume           continue the run in --out from its newest valid checkpoint\n"},
      {"sample",
       "usage: gancraft sample --run DIR|FILE.pt [--checkpoint STEP] --n N --out FILE.png|FILE.csv\n"
       "                       [--seed S] [--truncation T] [--interpolate K]\n"
       "Draws samples of a run's generator: a PNG grid, or one flattened sample per CSV row.\n"
       "  --run DIR|FILE.pt  a run of gancraft train, a run holding generator.pt (any program's;\n"
       "                     docs/runs.md), or an exported generator file\n"
       "  --checkpoint STEP  a checkpoint of a gancraft train run (default: the newest valid one)\n"
       "  --n N              samples (with --interpolate: walks)\n"
       "  --out FILE         .png (a grid, 8 a row) or .csv\n"
       "  --seed S           seed of the latents (default 0)\n"
       "  --truncation T     resample latent entries with |z| > T\n"
       "  --interpolate K    K steps along the great circle between two latents, one walk a row\n"},
      {"translate",
       "usage: gancraft translate --run DIR [--checkpoint STEP] --in FOLDER --out FOLDER [--direction ab|ba]\n"
       "Runs a translation model of a gancraft train run on every image of a folder.\n"
       "  --run DIR          a run of a translation model (pix2pix, super_resolution, cycle_gan, vae_gan)\n"
       "  --checkpoint STEP  a checkpoint (default: the newest valid one)\n"
       "  --in FOLDER        PNG/JPEG images, at the top or in sub-folders\n"
       "  --out FOLDER       where NAME.png go; must not exist or be empty\n"
       "  --direction ab|ba  ba: CycleGAN's B → A generator (default ab)\n"},
      {"export",
       "usage: gancraft export --run DIR [--checkpoint STEP] --out FILE.pt [--truncation T] [--direction ab|ba]\n"
       "Writes a gancraft train run's generator as TorchScript for torch::jit::load / torch.jit.load\n"
       "(docs/export.md).\n"
       "  --run DIR          a run of gancraft train\n"
       "  --checkpoint STEP  a checkpoint (default: the newest valid one)\n"
       "  --out FILE.pt      the TorchScript file, written atomically\n"
       "  --truncation T     the exported sample(n) resamples latent entries with |z| > T\n"
       "  --direction ab|ba  ba: CycleGAN's F (default ab)\n"},
      {"report",
       "usage: gancraft report DIR\n"
       "Writes DIR/report.html: the run's facts, a chart per metric, the sample grids and the config\n"
       "(docs/report.md). Any directory gets a page; what is missing is said on it.\n"},
      {"info",
       "usage: gancraft info\n"
       "Prints the gancraft and LibTorch versions, the devices, the thread counts and the BLAS.\n"},
      {"config-doc",
       "usage: gancraft config-doc\n"
       "Prints the reference of every config key (docs/config.md) as Markdown.\n"},
      {"eval",
       "usage: gancraft eval METRIC [options]   (docs/metrics.md)\n"
       "  fd|kid|pr|dc --a A.csv --b B.csv     feature files, one row per sample (pr/dc: a real, b generated)\n"
       "  is --logits L.csv [--splits 10]\n"
       "  fd-fmnist (--run DIR|FILE.pt | --samples FILE | --split test|train) [...]\n"
       "gancraft eval METRIC --help prints that metric's options.\n"},
      {"eval fd",
       "usage: gancraft eval fd --a A.csv --b B.csv\n"
       "The Fréchet distance between two feature files (CSV, one row per sample).\n"},
      {"eval kid",
       "usage: gancraft eval kid --a A.csv --b B.csv [--subsets 100] [--subset-size 1000] [--seed 0]\n"
       "The kernel inception distance (mean and standard deviation over random subsets); the subset\n"
       "size must be at most each sample count, and below one of them unless --subsets 1.\n"},
      {"eval pr",
       "usage: gancraft eval pr --a REAL.csv --b GENERATED.csv [--k 3]\n"
       "Precision and recall of the generated features against the real ones (k-NN manifolds).\n"},
      {"eval dc",
       "usage: gancraft eval dc --a REAL.csv --b GENERATED.csv [--k 5]\n"
       "Density and coverage of the generated features against the real ones.\n"},
      {"eval is",
       "usage: gancraft eval is --logits L.csv [--splits 10]\n"
       "The inception score of class logits (CSV, one row per sample).\n"},
      {"eval fd-fmnist",
       "usage: gancraft eval fd-fmnist (--run DIR|FILE.pt [--checkpoint STEP] [--n 10000] [--seed S]\n"
       "                                | --samples FILE.png|FILE.csv|FILE.pt [--n N] [--padding 2]\n"
       "                                | --split test|train)\n"
       "                               [--against train|test] [--data DIR] [--classifier FILE]\n"
       "FD-FMNIST: the Fréchet distance in the features of gancraft's Fashion-MNIST classifier.\n"
       "  --run DIR|FILE.pt  a run's generator (docs/runs.md), or an exported generator file\n"
       "  --samples FILE     28×28 grey images in [-1, 1]: a PNG grid (tiles --padding apart), a CSV\n"
       "                     (784 values a row) or a tensor file (torch.save / torch::save)\n"
       "  --split test|train the real images (the floor of the scale)\n"
       "  --n N              samples drawn from --run (default 10000), or the first N of --samples\n"
       "  --against train|test  the reference split (default train)\n"
       "  --data DIR         the Fashion-MNIST IDX files (default /usr/share/datasets/fashion-mnist)\n"
       "  --classifier FILE  other classifier weights\n"},
  };
  return help;
}

/// Prints `command`'s usage and exits 0 when `argv[first...]` holds --help or -h.
void help_if_asked(int argc, char** argv, int first, const std::string& command) {
  for (int i = first; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << command_help().at(command);
      std::exit(0);
    }
  }
}

/// `--name value` options of one subcommand; repeated `--set` collected in order.
struct Options {
  std::map<std::string, std::string> values;
  std::vector<std::string> sets;
  std::vector<std::string> flags;

  /// Parses `argv[first...]` for `command` (whose usage --help prints).
  Options(int argc, char** argv, int first, const std::string& command, const std::vector<std::string>& known,
          const std::vector<std::string>& known_flags) {
    help_if_asked(argc, argv, first, command);
    for (int i = first; i < argc; ++i) {
      std::string a = argv[i];
      GANCRAFT_CHECK(a.rfind("--", 0) == 0, OptionError, "unexpected argument '", a,
                     "' (options are --name value; see gancraft ", command, " --help)");
      std::string name = a.substr(2);
      if (const auto eq = name.find('='); eq != std::string::npos) {  // --name=value
        GANCRAFT_CHECK(std::find(known.begin(), known.end(), name.substr(0, eq)) != known.end(),
                       OptionError, "unknown option --", name.substr(0, eq), " (see gancraft ", command, " --help)");
        if (name.substr(0, eq) == "set")
          sets.push_back(name.substr(eq + 1));
        else
          values[name.substr(0, eq)] = name.substr(eq + 1);
        continue;
      }
      if (std::find(known_flags.begin(), known_flags.end(), name) != known_flags.end()) {
        flags.push_back(name);
        continue;
      }
      GANCRAFT_CHECK(std::find(known.begin(), known.end(), name) != known.end(), OptionError,
                     "unknown option ", a, " (see gancraft ", command, " --help)");
      GANCRAFT_CHECK(i + 1 < argc, OptionError, a, " needs a value");
      if (name == "set")
        sets.push_back(argv[++i]);
      else
        values[name] = argv[++i];
    }
  }
  bool flag(const std::string& f) const { return std::find(flags.begin(), flags.end(), f) != flags.end(); }
  std::string get(const std::string& k, const std::string& fallback = "") const {
    auto it = values.find(k);
    return it == values.end() ? fallback : it->second;
  }
  std::string need(const std::string& k) const {
    auto it = values.find(k);
    GANCRAFT_CHECK(it != values.end(), OptionError, "--", k, " is required");
    return it->second;
  }
};

double number(const std::string& text, const std::string& what) {
  try {
    size_t used = 0;
    const double v = std::stod(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  throw gc::OptionError(what + " needs a number, got '" + text + "'");
}

int64_t integer(const std::string& text, const std::string& what) {
  const double v = number(text, what);
  GANCRAFT_CHECK(v == std::floor(v), OptionError, what, " needs an integer, got '", text, "'");
  return static_cast<int64_t>(v);
}

bool image_model(const json& c) { return gt::sample_shape(c).size() == 3; }

void write_report_if_available(const fs::path& dir) {
#ifdef GANCRAFT_TOOL_HAS_REPORT
  gt::write_report(dir);
  std::cout << "report: " << (dir / "report.html").string() << "\n";
#else
  (void)dir;
#endif
}

int cmd_train(int argc, char** argv) {
  Options o(argc, argv, 2, "train", {"config", "set", "out"}, {"resume"});
  const gt::Job job = gt::join_job();
  const bool resume = o.flag("resume");
  json raw = json::object();
  std::string source = "(defaults)";
  if (o.values.count("config")) {
    source = o.get("config");
    raw = gt::read_config_file(source);
  } else {
    GANCRAFT_CHECK(resume, OptionError, "train: --config FILE is required (or --resume --out DIR)");
  }
  const fs::path out = o.get("out", o.values.count("config")
                                        ? (fs::path("runs") / fs::path(source).stem()).string()
                                        : "");
  GANCRAFT_CHECK(!out.empty(), OptionError, "train --resume needs --out DIR or --config FILE");
  if (resume && !o.values.count("config")) {
    GANCRAFT_CHECK(fs::exists(out / "config.json"), OptionError, out.string(),
                   " has no config.json, so gancraft train did not write it: the tool resumes only its own runs (a "
                   "program's own run resumes in that program, with Trainer::resume; docs/runs.md)");
    raw = gt::read_config_file(out / "config.json");
    source = (out / "config.json").string();
  }
  // Every problem of the file and the --set overrides at once.
  std::vector<std::string> problems;
  for (const auto& s : o.sets) {
    try {
      json single = json::object();
      gt::apply_override(single, s);
      gt::resolve_config(single, "--set " + s);  // names the --set, not the file, in errors
      gt::apply_override(raw, s);
    } catch (const gc::OptionError& e) {
      problems.push_back(e.what());
    }
  }
  json config;
  try {
    config = gt::resolve_config(raw, source);
  } catch (const gc::OptionError& e) {
    problems.push_back(e.what());
  }
  if (!problems.empty()) {
    std::string text = problems[0];
    for (size_t i = 1; i < problems.size(); ++i) text += "\n" + problems[i];
    throw gc::OptionError(text);
  }
  gt::check_model_config(config);

  const bool has_run = fs::exists(out / "checkpoints") || fs::exists(out / "metrics.jsonl");
  GANCRAFT_CHECK(resume || !has_run || !job.writer(), OptionError, out.string(),
                 " already holds a run; pass --resume to continue it, or choose another --out");

  if (gt::is_model_kind(config)) {  // pix2pix, super-resolution, CycleGAN, VAE-GAN
    const int rc = gt::train_model(config, out, resume, job);
    if (job.writer()) write_report_if_available(out);
    return rc;
  }
  // Everything that can fail on bad input happens before the run directory is touched.
  torch::Tensor real = gt::load_data(config);
  torch::manual_seed(config["trainer"]["seed"].get<uint64_t>());
  gt::RuntimeNet generator = gt::make_generator(config);
  gt::RuntimeNet discriminator = gt::make_discriminator(config);

  int rc = 0;
  gt::with_configured_loss(config, [&](auto loss) {
    auto trainer = gc::Trainer(generator, discriminator, std::move(loss), gt::trainer_options(config), job.policy());
    if (config["loss"]["weight_clip"].get<double>() > 0)
      trainer.add_hook(gc::WeightClip(config["loss"]["weight_clip"].get<double>()));
    // The generator's samples must have the data's shape: checked before anything is written.
    auto check = [&] {
      const auto produced = trainer.generate(torch::zeros({1, config["model"]["latent_dim"].get<int64_t>()})).sizes().slice(1);
      GANCRAFT_CHECK(produced == real.sizes().slice(1), OptionError, "model: the ", config["model"]["kind"].get<std::string>(),
                     " generator makes samples of shape ", produced, " but ", config["data"]["kind"].get<std::string>(),
                     " samples have shape ", real.sizes().slice(1), " (check model.image_size and model.channels)");
    };
    rc = gt::train_run(trainer, config, out, resume, job, {}, image_model(config), check, [&] { trainer.fit(real); });
  });
  if (job.writer()) write_report_if_available(out);
  return rc;
}

/// Spherical interpolation between latent rows a and b at t.
torch::Tensor slerp(const torch::Tensor& a, const torch::Tensor& b, double t) {
  const auto an = a / a.norm(), bn = b / b.norm();
  const double omega = std::acos(std::clamp((an * bn).sum().item<double>(), -1.0, 1.0));
  if (omega < 1e-6) return (1 - t) * a + t * b;
  return (std::sin((1 - t) * omega) * a + std::sin(t * omega) * b) / std::sin(omega);
}

/// What `--run` names: a run that `gancraft train` wrote (config.json and checkpoints/: the
/// networks are rebuilt from the config and loaded from a checkpoint), or an exported
/// generator (TorchScript: a run's generator.pt, which `hooks::ExportGenerator` writes from any
/// program, or such a file itself). The layout is docs/runs.md.
struct RunSource {
  json config;         ///< the run's resolved config (a tool run)
  fs::path from;       ///< the checkpoint directory, or the root whose newest valid one is used
  fs::path exported;   ///< the TorchScript file (an exported generator); empty for a tool run
  torch::jit::Module module;  ///< the exported generator, loaded

  bool is_exported() const { return !exported.empty(); }
  /// The exported module's `kind` ("generator", "conditional_generator", "translator").
  std::string kind() const { return module.attr("kind").toStringRef(); }
};

/// The exported module at `path`, with what the tool reads from it checked.
torch::jit::Module load_exported(const fs::path& path) {
  torch::jit::Module m = gc::io::load_module(path);
  for (const char* attr : {"kind", "latent_dim", "num_classes", "truncation"})
    GANCRAFT_CHECK(m.hasattr(attr), OptionError, path.string(), ": a TorchScript module without the attribute '", attr,
                   "', so not a generator exported by gancraft (gc::export_generator or hooks::ExportGenerator)");
  return m;
}

/// The run or exported generator that `--run` (and `--checkpoint STEP`) name.
RunSource open_run(const fs::path& run, const Options& o) {
  RunSource r;
  const bool tool_run = fs::exists(run / "config.json") && fs::is_directory(run / "checkpoints");
  if (fs::is_regular_file(run) || (!tool_run && fs::is_regular_file(run / "generator.pt"))) {
    r.exported = fs::is_regular_file(run) ? run : run / "generator.pt";
    GANCRAFT_CHECK(!o.values.count("checkpoint"), OptionError, "--checkpoint: ", run.string(),
                   fs::is_regular_file(run) ? " is an exported generator"
                                            : " holds no config.json, so its generator is the exported generator.pt",
                   "; the tool rebuilds networks from checkpoints only for runs that gancraft train wrote");
    r.module = load_exported(r.exported);
    return r;
  }
  GANCRAFT_CHECK(tool_run, OptionError, run.string(),
                 " is not a gancraft run: it needs config.json and checkpoints/ (a run of gancraft train) or "
                 "generator.pt (hooks::ExportGenerator writes it from any program; see docs/runs.md), or --run "
                 "names an exported generator file");
  r.config = gt::resolve_config(gt::read_config_file(run / "config.json"), (run / "config.json").string());
  r.from = run / "checkpoints";
  if (o.values.count("checkpoint")) {
    r.from /= gc::detail::step_dir_name(integer(o.get("checkpoint"), "--checkpoint"));
    if (!fs::is_directory(r.from)) {
      std::string have;
      for (const auto& dir : gc::list_checkpoints(run / "checkpoints")) have.append(" ").append(dir.filename().string());
      throw gc::OptionError(gc::detail::str(r.from.string(), ": no such checkpoint; this run has:",
                                            have.empty() ? std::string(" none") : have));
    }
  }
  return r;
}

/// Whether the source samples from noise (and does not translate).
bool source_samples_from_noise(const RunSource& r) {
  return r.is_exported() ? r.kind() != "translator" : gt::samples_from_noise(r.config);
}

/// What the source's model is called in messages.
std::string source_kind(const RunSource& r) {
  return r.is_exported() ? "the exported " + r.kind() : r.config["model"]["kind"].get<std::string>();
}

/// `forward` on `x` in batches of 500, without a graph (no-grad rather than inference mode,
/// which TorchScript modules need not support).
torch::Tensor in_batches(const std::function<torch::Tensor(const torch::Tensor&)>& forward, const torch::Tensor& x) {
  torch::NoGradGuard guard;
  std::vector<torch::Tensor> parts;
  for (int64_t s = 0; s < x.size(0); s += 500) parts.push_back(forward(x.narrow(0, s, std::min<int64_t>(500, x.size(0) - s))));
  return torch::cat(parts);
}

/// The latent size of the source's generator.
int64_t source_latent_dim(const RunSource& r) {
  return r.is_exported() ? r.module.attr("latent_dim").toInt()
                         : r.config["model"]["latent_dim"].get<int64_t>();
}

/// Samples of the source's generator for latents `z`, in batches without a graph (a
/// conditional exported generator gets labels `i % num_classes`, as `Trainer::generate`);
/// `used` receives the checkpoint or file loaded.
torch::Tensor run_samples(const RunSource& r, const torch::Tensor& z, fs::path* used) {
  std::function<torch::Tensor(const torch::Tensor&)> forward;
  gt::RuntimeNet generator{nullptr};
  torch::jit::Module module = r.module;
  int64_t offset = 0;  // a conditional generator's labels continue across batches: row i gets i % classes
  if (r.is_exported()) {
    *used = r.exported;
    const int64_t classes = module.attr("num_classes").toInt();
    if (r.kind() == "conditional_generator") {
      forward = [&, classes](const torch::Tensor& batch) {
        const auto labels = (torch::arange(batch.size(0), torch::kLong) + offset).remainder(classes);
        offset += batch.size(0);
        return module.forward({batch, labels}).toTensor();
      };
    } else {
      forward = [&](const torch::Tensor& batch) { return module.forward({batch}).toTensor(); };
    }
  } else if (gt::is_model_kind(r.config)) {
    forward = gt::restore_model_view(r.config, r.from, /*generate=*/true, /*reverse=*/false, used);
  } else {
    generator = gt::load_run_generator(r.config, r.from, used);
    forward = [&](const torch::Tensor& batch) { return generator->forward(batch); };
  }
  return in_batches(forward, z);
}

int cmd_sample(int argc, char** argv) {
  Options o(argc, argv, 2, "sample", {"run", "checkpoint", "n", "out", "seed", "truncation", "interpolate"}, {});
  const fs::path run = o.need("run");
  const fs::path out = o.need("out");
  const int64_t n = integer(o.need("n"), "--n");
  GANCRAFT_CHECK(n > 0, OptionError, "--n must be > 0, got ", n);
  const std::string ext = out.extension().string();
  GANCRAFT_CHECK(ext == ".png" || ext == ".csv", OptionError, "--out must end in .png or .csv, got ", out.string());
  fs::path used;
  const RunSource source = open_run(run, o);
  GANCRAFT_CHECK(source_samples_from_noise(source), OptionError, "this run's model (", source_kind(source),
                 ") translates images and does not sample from noise: use gancraft translate");
  GANCRAFT_CHECK(ext == ".csv" || source.is_exported() || image_model(source.config), OptionError,
                 "this run generates vectors, not images: use --out FILE.csv");

  const int64_t latent = source_latent_dim(source);
  at::Generator gen = gc::make_generator(static_cast<uint64_t>(integer(o.get("seed", "0"), "--seed")));
  // An exported generator's stored truncation applies unless --truncation overrides it.
  const double threshold = o.values.count("truncation") ? number(o.get("truncation"), "--truncation")
                           : source.is_exported()       ? source.module.attr("truncation").toDouble()
                                                        : 0.0;
  GANCRAFT_CHECK(threshold >= 0, OptionError, "--truncation must be >= 0 (0: none), got ", threshold);
  // Resamples every latent entry beyond the threshold (the truncation trick, Brock et al. 2018,
  // arXiv:1809.11096); interpolations truncate their end points, so the walk stays smooth.
  auto truncate = [&](torch::Tensor latents, at::Generator& g) {
    if (threshold <= 0) return latents;
    for (torch::Tensor outside = latents.abs() > threshold; outside.any().item<bool>();
         outside = latents.abs() > threshold)
      latents = torch::where(outside, torch::randn(latents.sizes(), g), latents);
    return latents;
  };
  torch::Tensor z;
  int64_t nrow = 8;
  if (o.values.count("interpolate")) {
    const int64_t k = integer(o.get("interpolate"), "--interpolate");
    GANCRAFT_CHECK(k >= 2, OptionError, "--interpolate needs at least 2 steps, got ", k);
    const torch::Tensor ends = truncate(torch::randn({n, 2, latent}, gen), gen);
    std::vector<torch::Tensor> rows;
    for (int64_t r = 0; r < n; ++r)
      for (int64_t i = 0; i < k; ++i)
        rows.push_back(slerp(ends[r][0], ends[r][1], static_cast<double>(i) / static_cast<double>(k - 1)));
    z = torch::stack(rows);
    nrow = k;
  } else {
    z = truncate(torch::randn({n, latent}, gen), gen);
  }

  const torch::Tensor x = run_samples(source, z, &used);
  GANCRAFT_CHECK(ext == ".csv" || (x.dim() == 4 && (x.size(1) == 1 || x.size(1) == 3)), OptionError,
                 used.string(), " generates samples of shape ", x.sizes().slice(1),
                 ", not images [C, H, W] with 1 or 3 channels: use --out FILE.csv");
  if (ext == ".png") {
    gc::io::save_grid(out, x, nrow);
  } else {
    std::ostringstream csv;
    csv.precision(9);
    const torch::Tensor flat = x.flatten(1).contiguous();
    const auto* p = flat.data_ptr<float>();
    for (int64_t r = 0; r < flat.size(0); ++r) {
      for (int64_t c = 0; c < flat.size(1); ++c) csv << (c ? "," : "") << p[r * flat.size(1) + c];
      csv << "\n";
    }
    gc::detail::write_file_atomically(out, csv.str());
  }
  std::cout << "wrote " << x.size(0) << " samples from " << used.string() << " to " << out.string() << "\n";
  return 0;
}

/// `gancraft translate`: a trained translator (or the VAE-GAN's reconstruction) applied to
/// every image of a folder, in batches, written as PNGs under the same relative names.
int cmd_translate(int argc, char** argv) {
  Options o(argc, argv, 2, "translate", {"run", "checkpoint", "in", "out", "direction"}, {});
  const fs::path run = o.need("run"), in = o.need("in"), out = o.need("out");
  const std::string direction = o.get("direction", "ab");
  GANCRAFT_CHECK(direction == "ab" || direction == "ba", OptionError, "--direction must be ab or ba, got '", direction, "'");
  const RunSource source = open_run(run, o);
  GANCRAFT_CHECK(!source.is_exported(), OptionError, "translate: ", source.exported.string(),
                 " is an exported module; the tool translates with runs that gancraft train wrote (an exported "
                 "translator runs in your program: docs/export.md)");
  const json& config = source.config;
  const fs::path& from = source.from;
  GANCRAFT_CHECK(gt::is_model_kind(config), OptionError, "this run's model (", config["model"]["kind"].get<std::string>(),
                 ") generates from noise and translates nothing: use gancraft sample");
  GANCRAFT_CHECK(!fs::exists(out) || (fs::is_directory(out) && fs::is_empty(out)), OptionError, "--out ", out.string(),
                 " already exists and is not an empty folder; choose another (nothing is overwritten)");
  const auto [side, channels] = gt::source_format(config, direction == "ba");
  gc::data::ImageFolder images(in, gc::data::ImageFolderOptions().image_size(side).channels(channels));
  // Every output is NAME.png: two inputs that differ only in their extension would collide.
  std::vector<fs::path> targets;  // the output of images.paths()[i]
  std::map<fs::path, fs::path> written_from;
  for (const auto& p : images.paths()) {
    targets.push_back(out / p.lexically_relative(in).replace_extension(".png"));
    const auto [it, fresh] = written_from.emplace(targets.back(), p);
    GANCRAFT_CHECK(fresh, OptionError, p.string(), " and ", it->second.string(), " would both be written to ",
                   targets.back().string(), "; rename one");
  }
  fs::path used;
  const auto translate = gt::restore_model_view(config, from, /*generate=*/false, direction == "ba", &used);
  constexpr size_t kBatch = 64;
  for (size_t start = 0; start < images.paths().size(); start += kBatch) {
    std::vector<torch::Tensor> sources;
    const size_t end = std::min(images.paths().size(), start + kBatch);
    for (size_t i = start; i < end; ++i) sources.push_back(images.get(i).data);
    const torch::Tensor outputs = translate(torch::stack(sources));
    for (size_t i = start; i < end; ++i) {
      fs::create_directories(targets[i].parent_path());
      gc::io::write_png(targets[i], gc::io::to_uint8_image(outputs[static_cast<int64_t>(i - start)]));
    }
  }
  std::cout << "translated " << images.paths().size() << " images of " << in.string() << " (" << side << "×" << side
            << ", " << channels << " channel" << (channels > 1 ? "s" : "") << ") with " << used.string() << " into "
            << out.string() << "\n";
  return 0;
}

/// `gancraft export`: a run's generator (or translator) as a TorchScript file (docs/export.md).
int cmd_export(int argc, char** argv) {
  Options o(argc, argv, 2, "export", {"run", "checkpoint", "out", "truncation", "direction"}, {});
  const fs::path run = o.need("run"), out = o.need("out");
  const std::string direction = o.get("direction", "ab");
  GANCRAFT_CHECK(direction == "ab" || direction == "ba", OptionError, "--direction must be ab or ba, got '", direction, "'");
  const double truncation = o.values.count("truncation") ? number(o.get("truncation"), "--truncation") : 0.0;
  GANCRAFT_CHECK(!o.values.count("truncation") || truncation > 0, OptionError, "--truncation must be > 0, got ", truncation);
  const RunSource source = open_run(run, o);
  GANCRAFT_CHECK(!source.is_exported(), OptionError, "export: ", source.exported.string(),
                 " is already an exported generator (copy the file; sample, eval and report read it as it is)");
  const json& config = source.config;
  const fs::path& from = source.from;
  GANCRAFT_CHECK(!o.values.count("truncation") || gt::samples_from_noise(config), OptionError,
                 "--truncation: this run's model (", config["model"]["kind"].get<std::string>(),
                 ") translates images and draws no latents");
  fs::path used;
  torch::jit::Module module;
  if (gt::is_model_kind(config)) {
    module = gt::export_model(config, from, direction == "ba", truncation, &used);
  } else {
    GANCRAFT_CHECK(direction == "ab", OptionError, "--direction ba: only cycle_gan translates both ways");
    gt::RuntimeNet generator = gt::load_run_generator(config, from, &used);
    module = gc::export_generator(generator, config["model"]["latent_dim"].get<int64_t>(), 0,
                                  gc::ExportOptions().truncation(truncation));
  }
  gc::io::save_module(module, out);
  std::cout << "exported the " << module.attr("kind").toStringRef() << " of " << used.string() << " to "
            << out.string() << "\n";
  return 0;
}

/// FD-FMNIST of a run's generator (or of the test set, the floor) against a Fashion-MNIST split.
json eval_fd_fmnist(const Options& o) {
  auto classifier = gc::metrics::load_fd_fmnist_classifier(gt::fd_fmnist_weights(o.get("classifier")));
  const auto features = gc::metrics::fd_fmnist_extractor(classifier);
  const fs::path data = o.get("data", "/usr/share/datasets/fashion-mnist");
  const std::string against = o.get("against", "train");
  GANCRAFT_CHECK(against == "train" || against == "test", OptionError,
                 "--against must be train or test, got '", against, "'");
  const gc::data::FashionMNIST reference(data, against == "train" ? gc::data::Split::Train : gc::data::Split::Test);
  json out;
  torch::Tensor images;
  GANCRAFT_CHECK(o.values.count("run") + o.values.count("split") + o.values.count("samples") == 1, OptionError,
                 "fd-fmnist needs exactly one of --run DIR|FILE.pt (a run's generator), --samples FILE (images "
                 "in a .png grid, .csv or .pt file) or --split test|train (real images)");
  GANCRAFT_CHECK(!o.values.count("padding") || o.values.count("samples"), OptionError,
                 "--padding is the border of a --samples PNG grid");
  if (o.values.count("samples")) {
    gt::SampleFileOptions file;
    file.padding = integer(o.get("padding", "2"), "--padding");
    GANCRAFT_CHECK(file.padding >= 0, OptionError, "--padding must be >= 0, got ", file.padding);
    if (o.values.count("n")) file.limit = integer(o.get("n"), "--n");
    GANCRAFT_CHECK(!o.values.count("n") || file.limit > 0, OptionError, "--n must be > 0, got ", file.limit);
    images = gt::read_sample_images(o.get("samples"), file);
    GANCRAFT_CHECK(images.size(0) > gc::models::FashionMnistClassifierImpl::feature_dim, OptionError, "--samples ",
                   o.get("samples"), ": ", images.size(0),
                   " images; the Fréchet distance needs more than the feature size, 128");
    out["samples"] = o.get("samples");
  } else if (o.values.count("split")) {
    const std::string split = o.get("split");
    GANCRAFT_CHECK(split == "train" || split == "test", OptionError, "--split must be train or test, got '", split, "'");
    images = gc::data::FashionMNIST(data, split == "train" ? gc::data::Split::Train : gc::data::Split::Test).images();
    out["images"] = split;
  } else {
    const RunSource source = open_run(o.get("run"), o);
    const int64_t n = integer(o.get("n", "10000"), "--n");
    GANCRAFT_CHECK(n > gc::models::FashionMnistClassifierImpl::feature_dim, OptionError,
                   "--n must exceed the feature size 128, got ", n);
    fs::path used;
    if (!source_samples_from_noise(source)) {
      GANCRAFT_CHECK(!source.is_exported(), OptionError, "fd-fmnist: ", source.exported.string(),
                     " is an exported translator, which has no task to draw sources from; translate the "
                     "sources yourself and pass the outputs as --samples FILE");
      // A translation model: its outputs for the first n test sources of its task.
      images = in_batches(gt::restore_model_view(source.config, source.from, /*generate=*/false, /*reverse=*/false, &used),
                          gt::task_test_sources(source.config, n));
    } else {
      at::Generator gen = gc::make_generator(static_cast<uint64_t>(integer(o.get("seed", "0"), "--seed")));
      const torch::Tensor z = torch::randn({n, source_latent_dim(source)}, gen);
      images = run_samples(source, z, &used);
    }
    out["generator"] = used.string();
    out["run"] = o.get("run");
    if (o.values.count("checkpoint")) out["checkpoint"] = integer(o.get("checkpoint"), "--checkpoint");
  }
  const auto a = gc::metrics::extract_features(features, images, 500);
  const auto b = gc::metrics::extract_features(features, reference.images(), 500);
  out["fd_fmnist"] = gc::metrics::frechet_distance(a, b);
  out["n_a"] = a.size(0);
  out["n_b"] = b.size(0);
  out["dim"] = a.size(1);
  out["against"] = against;
  return out;
}

int cmd_eval(int argc, char** argv) {
  if (argc >= 3 && (std::string(argv[2]) == "--help" || std::string(argv[2]) == "-h")) help_if_asked(argc, argv, 2, "eval");
  GANCRAFT_CHECK(argc >= 3, OptionError,
                 "gancraft eval needs a metric: fd, kid, pr, dc, is or fd-fmnist (see gancraft eval --help)");
  const std::string metric = argv[2];
  json out;
  if (metric == "fd-fmnist") {
    Options o(argc, argv, 3, "eval fd-fmnist",
              {"run", "checkpoint", "n", "seed", "split", "samples", "padding", "against", "data", "classifier"}, {});
    out = eval_fd_fmnist(o);
  } else if (metric == "is") {
    Options o(argc, argv, 3, "eval is", {"logits", "splits"}, {});
    const torch::Tensor logits = gc::metrics::read_features_csv(o.need("logits"));
    const auto s = gc::metrics::inception_score(logits, integer(o.get("splits", "10"), "--splits"));
    out = {{"is", s.mean}, {"is_std", s.std}, {"n", logits.size(0)}, {"classes", logits.size(1)}};
  } else if (metric == "fd" || metric == "kid" || metric == "pr" || metric == "dc") {
    const std::vector<std::string> known =
        metric == "fd"    ? std::vector<std::string>{"a", "b"}
        : metric == "kid" ? std::vector<std::string>{"a", "b", "subsets", "subset-size", "seed"}
                          : std::vector<std::string>{"a", "b", "k"};
    Options o(argc, argv, 3, "eval " + metric, known, {});
    const torch::Tensor a = gc::metrics::read_features_csv(o.need("a"));
    const torch::Tensor b = gc::metrics::read_features_csv(o.need("b"));
    if (metric == "fd") {
      out["fd"] = gc::metrics::frechet_distance(a, b);
    } else if (metric == "kid") {
      auto kid_options = gc::metrics::KidOptions()
                             .subsets(integer(o.get("subsets", "100"), "--subsets"))
                             .subset_size(integer(o.get("subset-size", "1000"), "--subset-size"))
                             .seed(static_cast<uint64_t>(integer(o.get("seed", "0"), "--seed")));
      const auto kid = gc::metrics::kernel_inception_distance(a, b, kid_options);
      out = {{"kid", kid.mean}, {"kid_std", kid.std}, {"subsets", kid_options.subsets()},
             {"subset_size", kid_options.subset_size()}};
    } else if (metric == "pr") {
      const auto pr = gc::metrics::precision_recall(a, b, integer(o.get("k", "3"), "--k"));
      out = {{"precision", pr.precision}, {"recall", pr.recall}, {"k", integer(o.get("k", "3"), "--k")}};
    } else {
      const auto dc = gc::metrics::density_coverage(a, b, integer(o.get("k", "5"), "--k"));
      out = {{"density", dc.density}, {"coverage", dc.coverage}, {"k", integer(o.get("k", "5"), "--k")}};
    }
    out["n_a"] = a.size(0);
    out["n_b"] = b.size(0);
    out["dim"] = a.size(1);
  } else {
    throw gc::OptionError("gancraft eval: unknown metric '" + metric + "' (use fd, kid, pr, dc, is or fd-fmnist; see gancraft eval --help)");
  }
  std::cout << out.dump() << "\n";
  return 0;
}

int cmd_info() {
  std::cout << "gancraft " << gc::version << "\n"
            << "LibTorch " << gc::detail::linked_torch_version() << " (linked; compiled against headers "
            << TORCH_VERSION << ")\n"
            << "device: cpu" << (torch::cuda::is_available() ? ", cuda (" + std::to_string(torch::cuda::device_count()) + " devices)" : " (no CUDA)") << "\n"
            << "threads: LibTorch intra-op " << torch::get_num_threads() << ", inter-op "
            << torch::get_num_interop_threads() << ", BLAS " << gc::detail::blas_threads() << "\n"
            << "BLAS: " << gc::detail::blas_description() << " (LibTorch built with BLAS_INFO="
            << gc::detail::torch_build_setting("BLAS_INFO") << ")\n";
  // What training would use: the environment's defaults unless a config sets trainer.threads.
  const char* coretype = std::getenv("OPENBLAS_CORETYPE");
  std::cout << "thread settings: TrainerOptions::threads unset leaves these as they are; set, it "
               "gives LibTorch and the BLAS that many (OMP_NUM_THREADS="
            << (std::getenv("OMP_NUM_THREADS") ? std::getenv("OMP_NUM_THREADS") : "unset")
            << ", OPENBLAS_NUM_THREADS="
            << (std::getenv("OPENBLAS_NUM_THREADS") ? std::getenv("OPENBLAS_NUM_THREADS") : "unset")
            << ", OPENBLAS_CORETYPE=" << (coretype ? coretype : "unset") << ")\n";
  if (const std::string advice = gc::detail::blas_core_advice(); !advice.empty())
    std::cout << "advice: " << advice << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) try {
  const std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "train") return cmd_train(argc, argv);
  if (cmd == "sample") return cmd_sample(argc, argv);
  if (cmd == "translate") return cmd_translate(argc, argv);
  if (cmd == "export") return cmd_export(argc, argv);
  if (cmd == "info" || cmd == "config-doc" || cmd == "report") {
    help_if_asked(argc, argv, 2, cmd);
    GANCRAFT_CHECK(cmd == "report" || argc == 2, OptionError, "gancraft ", cmd, " takes no arguments, got '", argv[2],
                   "' (see gancraft ", cmd, " --help)");
  }
  if (cmd == "info") return cmd_info();
  if (cmd == "launch") return gt::cmd_launch(argc, argv);
  if (cmd == "config-doc") {
    std::cout << gt::config_markdown();
    return 0;
  }
  if (cmd == "report") {
    GANCRAFT_CHECK(argc == 3, OptionError, "usage: gancraft report DIR (see gancraft report --help)");
    const fs::path dir = argv[2];
    GANCRAFT_CHECK(fs::is_directory(dir), OptionError, dir.string(), ": no such directory");
#ifdef GANCRAFT_TOOL_HAS_REPORT
    gt::write_report(argv[2]);
    std::cout << "report: " << (fs::path(argv[2]) / "report.html").string() << "\n";
    return 0;
#else
    throw gc::OptionError("gancraft report is not available in this build");
#endif
  }
  if (cmd == "eval") return cmd_eval(argc, argv);
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    std::cout << kUsage;
    return 0;
  }
  std::cerr << (cmd.empty() ? "" : "gancraft: unknown command '" + cmd + "'\n") << kUsage;
  return 2;
#ifdef GANCRAFT_HAS_DISTRIBUTED
} catch (const gc::distributed::CommunicationError& e) {
  static_assert(gc::distributed::kCommunicationErrorExitCode == gt::kCommunicationErrorExitCode);
  // A status of its own, so that `gancraft launch` blames the rank that really failed. _Exit:
  // a rendezvous past its deadline leaves c10d's threads behind, which static destructors at a
  // normal exit could trip over; every file of the run is closed by now.
  std::cerr << "gancraft: " << e.what() << std::endl;
  std::cout.flush();
  std::fflush(nullptr);
  std::_Exit(gc::distributed::kCommunicationErrorExitCode);
#endif
} catch (const c10::Error& e) {  // e.g. an unknown trainer.device: no LibTorch backtrace
  std::cerr << "gancraft: " << e.what_without_backtrace() << "\n";
  return 1;
} catch (const std::exception& e) {
  std::cerr << "gancraft: " << e.what() << "\n";
  return 1;
}
