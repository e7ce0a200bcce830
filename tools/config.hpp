#pragma once
// The experiment configuration of the `gancraft` tool: one schema (key, type, default, choices,
// description) that validates configs, fills in defaults, and generates docs/config.md.

#include <gancraft/error.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace gancraft::tools {

using nlohmann::json;

/// One leaf key of the configuration.
struct ConfigKey {
  std::string path;                  ///< dotted, e.g. "trainer.batch_size"
  std::string type;                  ///< "string", "integer", "number", "boolean"
  json default_value;                ///< null: optional with no default
  std::vector<std::string> choices;  ///< allowed strings, empty for any
  std::string description;
  json minimum = nullptr;            ///< smallest allowed number, null for none
};

/// Every key the tool understands, in documentation order.
inline const std::vector<ConfigKey>& config_schema() {
  static const std::vector<ConfigKey> keys = {
      {"model.kind", "string", "dcgan", {"dcgan", "sngan", "mlp", "pix2pix", "super_resolution", "cycle_gan", "vae_gan"}, "Generator/discriminator pair: DCGAN (images), the SNGAN ResNets (32×32 images; spectral norm in D) or MLP (vectors or images); or a model of docs/translation.md: pix2pix, SRGAN-style super-resolution, CycleGAN, VAE-GAN."},
      {"model.latent_dim", "integer", 100, {}, "Width of the latent noise z ~ N(0, I).", 1},
      {"model.image_size", "integer", 28, {}, "DCGAN: image side, 28, 32 or 64.", 1},
      {"model.channels", "integer", 1, {}, "DCGAN: image channels (1 gray, 3 RGB).", 1},
      {"model.base_width", "integer", 64, {}, "DCGAN: feature maps of the narrowest layer.", 1},
      {"model.d_batch_norm", "boolean", true, {}, "DCGAN: BatchNorm in the discriminator (turn off for gradient penalties)."},
      {"model.sngan_g_channels", "integer", 256, {}, "sngan: channels of the generator's residual blocks (the paper's 256).", 1},
      {"model.sngan_d_channels", "integer", 128, {}, "sngan: channels of the discriminator's residual blocks (the paper's 128).", 1},
      {"model.spectral_norm", "boolean", false, {}, "dcgan, mlp: spectral normalisation of every discriminator layer (nn::SpectralNorm); sngan's discriminator always has it."},
      {"model.pack", "integer", 1, {}, "dcgan, sngan, mlp: the discriminator judges groups of this many samples (PacGAN, nn::Pack); trainer.batch_size must be a multiple of it.", 1},
      {"model.hidden", "integer", 128, {}, "MLP: width of each hidden layer.", 1},
      {"model.layers", "integer", 2, {}, "MLP: number of hidden layers.", 0},
      {"model.g_width", "integer", nullptr, {}, "pix2pix, super_resolution, cycle_gan, vae_gan: width of the generator (U-Net, SRResNet, ResNet translator; the VAE-GAN's encoder and decoder); null: the model's default (32; cycle_gan 16).", 1},
      {"model.d_width", "integer", nullptr, {}, "pix2pix, super_resolution, cycle_gan, vae_gan: width of the PatchGAN discriminator; null: 32.", 1},
      {"model.levels", "integer", nullptr, {}, "pix2pix: levels of the U-Net and the PatchGAN; super_resolution: levels of the PatchGAN; null: 2.", 1},
      {"model.blocks", "integer", nullptr, {}, "super_resolution, cycle_gan: residual blocks of the generator; null: 4 and 3.", 1},
      {"model.scale", "integer", 2, {}, "super_resolution: upscaling factor (a power of 2); the low-resolution side is model.image_size / scale.", 2},
      {"model.adversarial", "boolean", true, {}, "pix2pix, super_resolution, vae_gan: false trains the non-adversarial baseline (L1 alone; plain VAE) with no discriminator."},
      {"model.adversarial_weight", "number", nullptr, {}, "pix2pix, super_resolution: weight of the adversarial term; null: 1 and 0.01.", 0},
      {"model.l1_weight", "number", nullptr, {}, "pix2pix: λ of the L1 term (null: 100); super_resolution: weight of the pixel L1 (null: 1).", 0},
      {"model.content_weight", "number", nullptr, {}, "super_resolution: weight of the content loss in D's feature space; null: 1.", 0},
      {"model.cycle_weight", "number", nullptr, {}, "cycle_gan: λ of each cycle L1; null: 10.", 0},
      {"model.identity_weight", "number", nullptr, {}, "cycle_gan: identity weight, relative to λ; null: 0.5.", 0},
      {"model.pool_size", "integer", nullptr, {}, "cycle_gan: images in each pool of past fakes (0: none); null: 50.", 0},
      {"model.gamma", "number", nullptr, {}, "vae_gan: γ, weight of the feature-space reconstruction in the decoder's loss; null: 1.", 0},
      {"model.sigma", "number", nullptr, {}, "vae_gan: σ of the reconstruction likelihood; null: 1.", 0},
      {"model.kl_weight", "number", nullptr, {}, "vae_gan: weight of the KL term; null: 1.", 0},
      {"loss.kind", "string", "non_saturating", {"minimax", "non_saturating", "least_squares", "wasserstein", "hinge", "relativistic_average"}, "Adversarial loss (docs/losses.md)."},
      {"loss.penalty", "string", "none", {"none", "gradient_penalty", "r1", "r2"}, "Discriminator penalty added to every discriminator step."},
      {"loss.penalty_weight", "number", 10.0, {}, "λ of the gradient penalty, γ of R1/R2.", 0},
      {"loss.weight_clip", "number", 0.0, {}, "If > 0, clamp discriminator weights to [-c, c] after each update (original WGAN).", 0},
      {"data.kind", "string", "fashion_mnist", {"fashion_mnist", "mnist", "cifar10", "image_folder", "ring", "grid", "fashion_mnist_edges", "fashion_mnist_low_res", "fashion_mnist_unpaired_edges", "paired_folders", "unpaired_folders"}, "Training data: an image data set, a folder of PNG/JPEG images (image_folder: data.path, read at model.image_size with model.channels), a 2-D Gaussian mixture, or a translation task (docs/translation.md): edge map → garment, low → high resolution, edge maps ↔ garments unpaired (from Fashion-MNIST), or folders of images."},
      {"data.path", "string", "/usr/share/datasets/fashion-mnist", {}, "Directory of the IDX files (MNIST, Fashion-MNIST and its tasks), of cifar-10-batches-bin, or image_folder's folder."},
      {"augment.diffaugment", "string", "none", {}, "dcgan, sngan, mlp on images: DiffAugment of every image D sees (nn::DiffAugment): none, or a comma-separated list of color, translation, cutout."},
      {"data.a", "string", nullptr, {}, "paired_folders, unpaired_folders: the folder of domain A (the sources)."},
      {"data.b", "string", nullptr, {}, "paired_folders, unpaired_folders: the folder of domain B (the targets); paired files share their names."},
      {"data.source_channels", "integer", nullptr, {}, "pix2pix on paired_folders: channels A is read with (1 or 3); null: model.channels.", 1},
      {"data.samples", "integer", 100000, {}, "Mixtures: size of the fixed training set.", 1},
      {"data.seed", "integer", 0, {}, "Mixtures: seed of the training set.", 0},
      {"trainer.batch_size", "integer", 64, {}, "Real samples per discriminator step; also the generator's batch.", 1},
      {"trainer.steps", "integer", 3000, {}, "Generator updates in total (counting resumed ones).", 0},
      {"trainer.epochs", "integer", nullptr, {}, "If set, train for this many passes over the data instead (trainer.steps is then ignored).", 1},
      {"trainer.d_steps_per_g_step", "integer", 1, {}, "Discriminator updates per generator update (n_critic).", 1},
      {"trainer.seed", "integer", 1, {}, "Seeds initialisation, noise, data order and penalties.", 0},
      {"trainer.threads", "integer", 1, {}, "LibTorch and BLAS threads (1 was fastest on a 2-core machine).", 1},
      {"trainer.device", "string", "cpu", {}, "\"cpu\" or \"cuda\" (\"cuda:1\" …) when LibTorch was built with CUDA."},
      {"trainer.g_optimizer.kind", "string", "adam", {"adam", "rmsprop", "sgd"}, "Generator optimizer."},
      {"trainer.g_optimizer.lr", "number", 2e-4, {}, "Generator learning rate."},
      {"trainer.g_optimizer.beta1", "number", 0.5, {}, "Adam β1 (generator)."},
      {"trainer.g_optimizer.beta2", "number", 0.999, {}, "Adam β2 (generator)."},
      {"trainer.g_optimizer.eps", "number", 1e-8, {}, "Adam and RMSprop ε (generator).", 0},
      {"trainer.g_optimizer.weight_decay", "number", 0.0, {}, "L2 weight decay (generator).", 0},
      {"trainer.d_optimizer.kind", "string", "adam", {"adam", "rmsprop", "sgd"}, "Discriminator optimizer."},
      {"trainer.d_optimizer.lr", "number", 2e-4, {}, "Discriminator learning rate."},
      {"trainer.d_optimizer.beta1", "number", 0.5, {}, "Adam β1 (discriminator)."},
      {"trainer.d_optimizer.beta2", "number", 0.999, {}, "Adam β2 (discriminator)."},
      {"trainer.d_optimizer.eps", "number", 1e-8, {}, "Adam and RMSprop ε (discriminator).", 0},
      {"trainer.d_optimizer.weight_decay", "number", 0.0, {}, "L2 weight decay (discriminator).", 0},
      {"trainer.lr_schedule", "string", "constant", {"constant", "linear"}, "Learning rates: constant, or linear decay to 0 from trainer.lr_decay_start to the last step."},
      {"trainer.lr_decay_start", "integer", 0, {}, "Linear schedule: the step after which the rates start to fall.", 0},
      {"trainer.clip_grad_norm", "number", 0.0, {}, "If > 0, the largest L2 norm of each network's gradients.", 0},
      {"trainer.accumulation", "integer", 1, {}, "Micro-batches per update (must divide batch_size); saves memory, same update.", 1},
      {"trainer.penalty_every", "integer", 1, {}, "Lazy regularisation: penalties on every k-th discriminator update, weighted by k.", 1},
      {"hooks.progress", "boolean", true, {}, "Show a progress line (steps, it/s, ETA, losses)."},
      {"hooks.log_every", "integer", 10, {}, "Steps between lines of metrics.jsonl.", 1},
      {"hooks.sample_every", "integer", 250, {}, "Steps between sample grids (image models; 0 = never).", 0},
      {"hooks.sample_count", "integer", 64, {}, "Images per sample grid (translation models: triples of source, output and target, from the first test sources or training examples).", 1},
      {"hooks.tensorboard", "boolean", false, {}, "Also log to TensorBoard in OUT/tensorboard: the scalars of metrics.jsonl (every hooks.log_every steps), the sample grids (every hooks.sample_every) and this config as text."},
      {"hooks.ema_decay", "number", 0.0, {}, "If > 0, keep an exponential moving average of G's weights with this decay (hooks::GeneratorEMA, e.g. 0.999); grids, evaluations, gancraft sample and export use it.", 0},
      {"hooks.ema_start", "integer", 0, {}, "The average follows G's weights until this step.", 0},
      {"hooks.checkpoint_every", "integer", 1000, {}, "Steps between checkpoints.", 1},
      {"hooks.keep_last", "integer", 3, {}, "Checkpoints to keep (0 = all).", 0},
      {"hooks.divergence_guard", "string", "rollback", {"off", "stop", "rollback"}, "On NaN/Inf: do nothing, stop with an error, or roll back and halve the learning rates."},
      {"hooks.guard_every", "integer", 100, {}, "Steps between divergence checks.", 1},
      {"hooks.eval_every", "integer", 0, {}, "Steps between FD-FMNIST evaluations into eval.jsonl (fashion_mnist data and its tasks only; 0 = never).", 0},
      {"hooks.eval_samples", "integer", 2000, {}, "Generated samples per evaluation (translation models: translations of the first test sources), compared with the 10,000 test images.", 129},
      {"hooks.eval_best", "boolean", true, {}, "Keep a checkpoint of the lowest FD-FMNIST in best/.", },
  };
  return keys;
}

/// Whether the key `model.<name>` applies to model kind `kind` (the report shows only those):
/// every kind but the ones listed here reads none of the keys listed.
inline bool model_key_applies(const std::string& name, const std::string& kind) {
  const std::vector<std::string> images = {"dcgan", "sngan", "pix2pix", "super_resolution", "cycle_gan", "vae_gan"};
  const std::vector<std::string> translation = {"pix2pix", "super_resolution", "cycle_gan", "vae_gan"};
  std::vector<std::string> with_mlp = images;  // mlp reads them on data.kind image_folder
  with_mlp.push_back("mlp");
  static const std::map<std::string, std::vector<std::string>> only = {
      {"latent_dim", {"dcgan", "sngan", "mlp", "vae_gan"}},
      {"image_size", with_mlp},
      {"channels", with_mlp},
      {"base_width", {"dcgan"}},
      {"sngan_g_channels", {"sngan"}},
      {"sngan_d_channels", {"sngan"}},
      {"spectral_norm", {"dcgan", "mlp"}},
      {"pack", {"dcgan", "sngan", "mlp"}},
      {"d_batch_norm", {"dcgan"}},
      {"hidden", {"mlp"}},
      {"layers", {"mlp"}},
      {"g_width", translation},
      {"d_width", translation},
      {"levels", {"pix2pix", "super_resolution"}},
      {"blocks", {"super_resolution", "cycle_gan"}},
      {"scale", {"super_resolution"}},
      {"adversarial", translation},
      {"adversarial_weight", {"pix2pix", "super_resolution"}},
      {"l1_weight", {"pix2pix", "super_resolution"}},
      {"content_weight", {"super_resolution"}},
      {"cycle_weight", {"cycle_gan"}},
      {"identity_weight", {"cycle_gan"}},
      {"pool_size", {"cycle_gan"}},
      {"gamma", {"vae_gan"}},
      {"sigma", {"vae_gan"}},
      {"kl_weight", {"vae_gan"}},
  };
  const auto it = only.find(name);
  return it == only.end() || std::find(it->second.begin(), it->second.end(), kind) != it->second.end();
}

/// Whether the data are Fashion-MNIST or a task made from it (FD-FMNIST scores them against
/// its test images).
inline bool fashion_mnist_data(const json& config) {
  return config["data"]["kind"].get<std::string>().rfind("fashion_mnist", 0) == 0;
}

/// Whether the data are a translation task made from Fashion-MNIST.
inline bool fashion_mnist_task(const json& config) {
  return config["data"]["kind"].get<std::string>().rfind("fashion_mnist_", 0) == 0;
}

namespace detail {

inline size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

inline const ConfigKey* find_key(const std::string& path) {
  for (const auto& k : config_schema())
    if (k.path == path) return &k;
  return nullptr;
}

/// Whether `path` is a group (a prefix of some key), like "trainer" or "trainer.g_optimizer".
inline bool is_group(const std::string& path) {
  for (const auto& k : config_schema())
    if (k.path.rfind(path + ".", 0) == 0) return true;
  return false;
}

/// Up to three valid keys or groups closest to an unknown `path`.
inline std::string nearest_keys(const std::string& path) {
  std::vector<std::string> candidates;
  for (const auto& k : config_schema()) {
    candidates.push_back(k.path);
    for (size_t dot = k.path.find('.'); dot != std::string::npos; dot = k.path.find('.', dot + 1))
      candidates.push_back(k.path.substr(0, dot));
  }
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  std::stable_sort(candidates.begin(), candidates.end(), [&](const auto& a, const auto& b) {
    return edit_distance(path, a) < edit_distance(path, b);
  });
  std::string out;
  for (size_t i = 0; i < std::min<size_t>(3, candidates.size()); ++i)
    out += (i ? ", " : "") + candidates[i];
  return out;
}

/// A value as JSON for an error message: invalid UTF-8 replaced (dump() would throw on it,
/// found by fuzzing), and long values cut.
inline std::string shown(const json& v) {
  std::string text = v.dump(-1, ' ', false, json::error_handler_t::replace);
  return text.size() > 200 ? text.substr(0, 200) + "…" : text;
}

inline bool has_type(const json& v, const std::string& type) {
  if (type == "string") return v.is_string();
  if (type == "integer") return v.is_number_integer();
  if (type == "number") return v.is_number();
  if (type == "boolean") return v.is_boolean();
  return false;
}

/// Appends one "path: problem" line to `errors` for every key of `node` (under `prefix`) that
/// the schema does not know, or whose value has the wrong type, range or choice.
inline void check_tree(const json& node, const std::string& prefix, std::vector<std::string>& errors) {
  for (const auto& [name, value] : node.items()) {
    const std::string path = prefix.empty() ? name : prefix + "." + name;
    if (const ConfigKey* key = find_key(path)) {
      if (value.is_null() && key->default_value.is_null()) continue;  // an optional key left unset
      if (!has_type(value, key->type)) {
        errors.push_back(gancraft::detail::str(path, ": expected ", key->type, ", got ", shown(value)));
        continue;
      }
      if (!key->minimum.is_null() && value.get<double>() < key->minimum.get<double>())
        errors.push_back(gancraft::detail::str(path, ": must be at least ", key->minimum.dump(), ", got ", shown(value)));
      if (!key->choices.empty()) {
        const auto s = value.get<std::string>();
        if (std::find(key->choices.begin(), key->choices.end(), s) == key->choices.end()) {
          std::string list;
          for (const auto& c : key->choices) list += (list.empty() ? "" : ", ") + c;
          errors.push_back(gancraft::detail::str(path, ": \"", s, "\" is not one of ", list));
        }
      }
    } else if (is_group(path)) {
      if (!value.is_object())
        errors.push_back(gancraft::detail::str(path, ": expected an object of settings, got ", shown(value)));
      else
        check_tree(value, path, errors);
    } else {
      errors.push_back(gancraft::detail::str("unknown key \"", path, "\"; nearest valid keys: ", nearest_keys(path)));
    }
  }
}


}  // namespace detail

/// One `OptionError` for every problem in `errors`, if any: `one` followed by the problem when
/// there is one, else `many(count)` and one problem per line.
template <class Many>
void throw_problems(const std::vector<std::string>& errors, const std::string& one, Many&& many) {
  if (errors.empty()) return;
  if (errors.size() == 1) throw OptionError(one + errors[0]);
  std::string text = many(errors.size());
  for (const auto& e : errors) text += "\n  " + e;
  throw OptionError(text);
}

/// Checks `config` against the schema (unknown keys, types, choices) and returns it with every
/// default filled in. `source` names the config in errors.
inline json resolve_config(const json& config, const std::string& source) {
  GANCRAFT_CHECK(config.is_object(), OptionError, source, ": the config must be a JSON object");
  std::vector<std::string> errors;  // every problem at once, not one per attempt
  detail::check_tree(config, "", errors);
  throw_problems(errors, source + ": ", [&](size_t n) { return gancraft::detail::str(source, ": ", n, " problems:"); });
  json resolved = json::object();
  for (const auto& k : config_schema()) {
    // Appended rather than `"/" + path`: GCC 12 warns falsely (-Wstringop-overflow) on that.
    std::string pointer(1, '/');
    pointer += k.path;
    std::replace(pointer.begin(), pointer.end(), '.', '/');
    const json::json_pointer ptr(pointer);
    resolved[ptr] = config.contains(ptr) ? config.at(ptr) : k.default_value;
  }
  return resolved;
}

/// Reads a JSON config file; `OptionError` naming the file for a missing file or bad JSON.
inline json read_config_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  GANCRAFT_CHECK(in.good(), OptionError, path.string(), ": cannot read the config file");
  json j = json::parse(in, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
  GANCRAFT_CHECK(!j.is_discarded(), OptionError, path.string(), ": not valid JSON");
  return j;
}

/// Applies one `--set a.b=c` override: `c` is parsed as JSON, and taken as a string when it
/// is not valid JSON (so `--set data.path=/x` works without quotes).
inline void apply_override(json& config, const std::string& assignment) {
  const auto eq = assignment.find('=');
  GANCRAFT_CHECK(eq != std::string::npos && eq > 0, OptionError, "--set ", assignment,
                 ": expected key=value");
  const std::string key = assignment.substr(0, eq);
  const std::string text = assignment.substr(eq + 1);
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) value = text;
  std::string pointer = "/" + key;
  std::replace(pointer.begin(), pointer.end(), '.', '/');
  try {
    config[json::json_pointer(pointer)] = value;
  } catch (const json::exception&) {
    throw OptionError(gancraft::detail::str("--set ", assignment, ": ", key,
                                            " does not name a setting (a value is in the way)"));
  }
}

/// docs/config.md, generated from the schema (a test checks the file matches).
inline std::string config_markdown() {
  std::ostringstream out;
  out << "# Experiment configuration\n\n"
         "<!-- Generated by `gancraft config-doc > docs/config.md`; a test keeps it in step with "
         "the code. -->\n\n"
         "`gancraft train --config FILE` reads a JSON object with the keys below (any subset; "
         "the rest take their defaults). `--set key=value` overrides a key: the value is parsed "
         "as JSON, or taken as a string when it is not JSON. An unknown key, a wrong type or a "
         "value outside the choices stops the tool before anything is written, naming the key.\n\n"
         "| key | type | default | meaning |\n|---|---|---|---|\n";
  for (const auto& k : config_schema()) {
    std::string type = k.type;
    if (!k.choices.empty()) {
      type = "one of ";
      for (size_t i = 0; i < k.choices.size(); ++i) type += (i ? ", " : "") + ("`" + k.choices[i] + "`");
    }
    if (!k.minimum.is_null()) type += " ≥ " + k.minimum.dump();
    out << "| `" << k.path << "` | " << type << " | `" << k.default_value.dump() << "` | "
        << k.description << " |\n";
  }
  return out.str();
}

}  // namespace gancraft::tools
