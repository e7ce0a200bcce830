// `gancraft` for the models of docs/translation.md: builds pix2pix, super-resolution,
// CycleGAN and the VAE-GAN from a config, with their data, and runs them in a `ModelTrainer`.
#include "model_kinds.hpp"

#include "experiment.hpp"
#include "run.hpp"

#include <gancraft/detail/atomic_file.hpp>
#include <gancraft/gan.hpp>
#include <gancraft/io/export.hpp>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace gancraft::tools {
namespace {

namespace fs = std::filesystem;

/// The value of an optional key (null: the model's default).
template <class T>
std::optional<T> opt(const json& c, const char* key) {
  const json& v = c["model"][key];
  if (v.is_null()) return std::nullopt;
  return v.get<T>();
}

int64_t image_size(const json& c) { return c["model"]["image_size"].get<int64_t>(); }
int64_t channels(const json& c) { return c["model"]["channels"].get<int64_t>(); }

models::Pix2PixOptions pix2pix_options(const json& c) {
  auto o = models::Pix2PixOptions(source_format(c, /*reverse=*/false).second, channels(c))
               .generator_optimizer(optimizer_options(c["trainer"]["g_optimizer"]))
               .discriminator_optimizer(optimizer_options(c["trainer"]["d_optimizer"]));
  if (auto v = opt<int64_t>(c, "g_width")) o.generator_width(*v);
  if (auto v = opt<int64_t>(c, "d_width")) o.discriminator_width(*v);
  if (auto v = opt<int64_t>(c, "levels")) o.generator_levels(*v).discriminator_levels(*v);
  if (auto v = opt<double>(c, "l1_weight")) o.l1_weight(*v);
  if (auto v = opt<double>(c, "adversarial_weight")) o.adversarial_weight(*v);
  if (!c["model"]["adversarial"].get<bool>()) o.adversarial_weight(0);
  return o;
}

models::SuperResolutionOptions super_resolution_options(const json& c) {
  auto o = models::SuperResolutionOptions(channels(c))
               .scale(c["model"]["scale"].get<int64_t>())
               .generator_optimizer(optimizer_options(c["trainer"]["g_optimizer"]))
               .discriminator_optimizer(optimizer_options(c["trainer"]["d_optimizer"]));
  if (auto v = opt<int64_t>(c, "g_width")) o.generator_width(*v);
  if (auto v = opt<int64_t>(c, "blocks")) o.generator_blocks(*v);
  if (auto v = opt<int64_t>(c, "d_width")) o.discriminator_width(*v);
  if (auto v = opt<int64_t>(c, "levels")) o.discriminator_levels(*v);
  if (auto v = opt<double>(c, "l1_weight")) o.pixel_weight(*v);
  if (auto v = opt<double>(c, "content_weight")) o.content_weight(*v);
  if (auto v = opt<double>(c, "adversarial_weight")) o.adversarial_weight(*v);
  if (!c["model"]["adversarial"].get<bool>()) o.content_weight(0).adversarial_weight(0);
  return o;
}

models::CycleGANOptions cycle_gan_options(const json& c) {
  auto o = models::CycleGANOptions({channels(c), image_size(c), image_size(c)})
               .generator_optimizer(optimizer_options(c["trainer"]["g_optimizer"]))
               .discriminator_optimizer(optimizer_options(c["trainer"]["d_optimizer"]));
  if (auto v = opt<int64_t>(c, "g_width")) o.generator_width(*v);
  if (auto v = opt<int64_t>(c, "blocks")) o.generator_blocks(*v);
  if (auto v = opt<int64_t>(c, "d_width")) o.discriminator_width(*v);
  if (auto v = opt<double>(c, "cycle_weight")) o.cycle_weight(*v);
  if (auto v = opt<double>(c, "identity_weight")) o.identity_weight(*v);
  if (auto v = opt<int64_t>(c, "pool_size")) o.pool_size(*v);
  return o;
}

models::VAEGANOptions vae_gan_options(const json& c) {
  const auto g = optimizer_options(c["trainer"]["g_optimizer"]);
  auto o = models::VAEGANOptions(image_size(c))
               .channels(channels(c))
               .latent_dim(c["model"]["latent_dim"].get<int64_t>())
               .adversarial(c["model"]["adversarial"].get<bool>())
               .encoder_optimizer(g)
               .decoder_optimizer(g)
               .discriminator_optimizer(optimizer_options(c["trainer"]["d_optimizer"]));
  if (auto v = opt<int64_t>(c, "g_width")) o.encoder_width(*v).decoder_width(*v);
  if (auto v = opt<int64_t>(c, "d_width")) o.discriminator_width(*v);
  if (auto v = opt<double>(c, "gamma")) o.gamma(*v);
  if (auto v = opt<double>(c, "sigma")) o.sigma(*v);
  if (auto v = opt<double>(c, "kl_weight")) o.kl_weight(*v);
  return o;
}

/// Calls `run(model)` with the model the config describes, for the configured loss.
template <class Run>
void with_configured_model(const json& c, Run&& run) {
  with_configured_loss(c, [&](auto loss) {
    using L = decltype(loss);
    const std::string kind = c["model"]["kind"];
    if (kind == "pix2pix") return run(models::Pix2Pix<L>(pix2pix_options(c), std::move(loss)));
    if (kind == "super_resolution")
      return run(models::SuperResolutionGAN<L>(super_resolution_options(c), std::move(loss)));
    if (kind == "cycle_gan") return run(models::CycleGAN<L>(cycle_gan_options(c), std::move(loss)));
    return run(models::VAEGAN<L>(vae_gan_options(c), std::move(loss)));
  });
}

/// A model kind's training data and the views its grids and evaluations show.
struct ModelData {
  torch::Tensor data, target;  ///< tensors: fit(data) or fit(data, target)
  std::optional<data::PairedImageFolder> paired;
  std::optional<data::UnpairedImageFolder> unpaired;
  RunViews views;
};

std::string data_kind(const json& c) { return c["data"]["kind"]; }

data::ImageFolderOptions folder_options(int64_t side, int64_t ch) {
  return data::ImageFolderOptions().image_size(side).channels(ch);
}

fs::path folder(const json& c, const char* key) {
  GANCRAFT_CHECK(!c["data"][key].is_null(), OptionError, "data.", key, ": data.kind ", data_kind(c),
                 " needs the folder of domain ", key[0] == 'a' ? "A" : "B");
  return c["data"][key].get<std::string>();
}

/// Fashion-MNIST's split, its images and labels.
std::pair<torch::Tensor, torch::Tensor> fashion_mnist(const json& c, data::Split split) {
  const fs::path path = c["data"]["path"].get<std::string>();
  GANCRAFT_CHECK(fs::is_directory(path), IoError, "data.path: ", path.string(), ": no such directory");
  const data::FashionMNIST set(path, split);
  return {set.images(), set.labels()};
}

/// The source → target pairs of a Fashion-MNIST task for `split` (the unpaired task's test
/// split pairs each edge map with its garment, for grids and scores).
data::PairedImages task_pairs(const json& c, data::Split split) {
  const auto [images, labels] = fashion_mnist(c, split);
  const std::string kind = data_kind(c);
  if (kind == "fashion_mnist_low_res") return data::low_to_high_resolution(images, labels, c["model"]["scale"].get<int64_t>());
  return data::edges_to_images(images, labels);
}

/// The first `n` examples of a folder data set, stacked (the grid's fixed sources).
template <class Ds>
std::pair<torch::Tensor, torch::Tensor> first_examples(Ds& ds, int64_t n) {
  std::vector<torch::Tensor> a, b;
  for (size_t i = 0; i < std::min<size_t>(static_cast<size_t>(n), *ds.size()); ++i) {
    auto e = ds.get(i);
    a.push_back(e.data);
    b.push_back(e.target);
  }
  return {torch::stack(a), torch::stack(b)};
}

ModelData load_model_data(const json& c) {
  ModelData d;
  const std::string kind = data_kind(c);
  const int64_t grid_n = c["hooks"]["sample_count"].get<int64_t>();
  if (kind == "fashion_mnist_edges" || kind == "fashion_mnist_low_res") {
    const auto train = task_pairs(c, data::Split::Train);
    const auto test = task_pairs(c, data::Split::Test);
    d.data = train.source;
    d.target = train.target;
    d.views = {test.source, test.target, test.source};
  } else if (kind == "fashion_mnist_unpaired_edges") {
    // Domain A: edge maps, B: garments, so that translate (G: A → B) is the edges → garment
    // direction that FD-FMNIST and the classifier can score.
    const auto [images, labels] = fashion_mnist(c, data::Split::Train);
    const auto u = data::images_and_edges(images, labels);
    const int64_t n = std::min(u.a.size(0), u.b.size(0));
    d.data = u.b.narrow(0, 0, n);
    d.target = u.a.narrow(0, 0, n);
    const auto test = task_pairs(c, data::Split::Test);
    d.views = {test.source, test.target, test.source};
  } else if (kind == "paired_folders") {
    const auto [side, ch] = source_format(c, false);
    const fs::path a = folder(c, "a"), b = folder(c, "b");  // A's error first
    d.paired.emplace(a, b, folder_options(side, ch), folder_options(image_size(c), channels(c)));
    const auto [src, tgt] = first_examples(*d.paired, grid_n);
    d.views.grid_sources = src;
    d.views.grid_targets = tgt;
  } else if (kind == "unpaired_folders") {
    const fs::path a = folder(c, "a"), b = folder(c, "b");
    d.unpaired.emplace(a, b, folder_options(image_size(c), channels(c)));
    d.views.grid_sources = first_examples(*d.unpaired, grid_n).first;
  } else {
    d.data = load_data(c);  // an image data set: the VAE-GAN
  }
  return d;
}

template <class T>
void fit_on(T& trainer, ModelData& d) {
  if (d.paired) return trainer.fit(*d.paired);
  if (d.unpaired) return trainer.fit(*d.unpaired);
  trainer.fit(d.data, d.target);
}

}  // namespace

std::pair<int64_t, int64_t> source_format(const json& c, bool reverse) {
  const std::string kind = c["model"]["kind"];
  if (kind == "super_resolution" && !reverse) return {image_size(c) / c["model"]["scale"].get<int64_t>(), channels(c)};
  if (kind == "pix2pix" && !c["data"]["source_channels"].is_null()) return {image_size(c), c["data"]["source_channels"].get<int64_t>()};
  return {image_size(c), channels(c)};
}

void check_model_config(const json& c) {
  const std::string kind = c["model"]["kind"], data = data_kind(c);
  std::vector<std::string> errors;  // every problem at once, not one per attempt
  auto need = [&](bool ok, const auto&... message) {
    if (!ok) errors.push_back(gancraft::detail::str(message...));
  };
  auto refuse = [&](const std::string& allowed) {
    errors.push_back(gancraft::detail::str("data.kind: model.kind ", kind, " trains on ", allowed, ", got \"", data, "\""));
  };
  auto report = [&] {
    throw_problems(errors, "", [](size_t n) { return gancraft::detail::str("the config has ", n, " problems:"); });
  };
  const bool image_set = data == "fashion_mnist" || data == "mnist" || data == "cifar10" || data == "image_folder";
  const auto& m = c["model"];
  const int64_t side = image_size(c);
  const bool gan = kind == "dcgan" || kind == "sngan" || kind == "mlp";
  need(gan || c["hooks"]["ema_decay"].get<double>() == 0, "hooks.ema_decay: applies to dcgan, sngan and mlp, not ", kind);
  need(gan || c["augment"]["diffaugment"] == "none", "augment.diffaugment: applies to dcgan, sngan and mlp, not ", kind);
  need(gan || m["pack"].get<int64_t>() == 1, "model.pack: applies to dcgan, sngan and mlp, not ", kind);
  need(kind == "dcgan" || kind == "mlp" || !m["spectral_norm"].get<bool>(), "model.spectral_norm: applies to dcgan and mlp",
       kind == "sngan" ? " (sngan's discriminator always has it)" : "", ", not ", kind);
  if (gan) {
    if (!image_set && data != "ring" && data != "grid")
      refuse("fashion_mnist, mnist, cifar10, image_folder, ring or grid (the translation tasks need a translation model)");
    const int64_t pack = m["pack"].get<int64_t>();
    need(c["trainer"]["batch_size"].get<int64_t>() % pack == 0, "trainer.batch_size: must be a multiple of model.pack = ",
         pack, ", got ", c["trainer"]["batch_size"].get<int64_t>());
    need(kind != "sngan" || side == 32, "model.image_size: sngan's ResNets make 32×32 images, got ", side);
    need(kind == "mlp" || image_set, "data.kind: model.kind ", kind, " makes images; ", data, " holds 2-D points (use mlp)");
    need(c["augment"]["diffaugment"] == "none" || image_set, "augment.diffaugment: augments images; ", data,
         " holds 2-D points");
    try {
      diffaugment_options(c);
    } catch (const OptionError& e) {
      errors.push_back(e.what());
    }
    return report();
  }
  if (kind == "pix2pix" && data != "fashion_mnist_edges" && data != "paired_folders")
    refuse("fashion_mnist_edges or paired_folders");
  if (kind == "super_resolution" && data != "fashion_mnist_low_res" && data != "paired_folders")
    refuse("fashion_mnist_low_res or paired_folders");
  if (kind == "cycle_gan" && data != "fashion_mnist_unpaired_edges" && data != "unpaired_folders")
    refuse("fashion_mnist_unpaired_edges or unpaired_folders");
  if (kind == "vae_gan" && (!image_set || data == "image_folder")) refuse("fashion_mnist, mnist or cifar10");
  need(kind != "cycle_gan" || m["adversarial"].get<bool>(), 
                 "model.adversarial: cycle_gan has no non-adversarial baseline; leave it true");
  // CycleGAN's pools hold one process's fakes: refused before a run directory exists.
  const char* world = std::getenv("WORLD_SIZE");
  need(kind != "cycle_gan" || world == nullptr || std::string(world) == "1", 
                 "model.kind cycle_gan trains on one process only (its image pools are per process), but WORLD_SIZE is ",
                 world ? world : "");
  const json& sc = c["data"]["source_channels"];
  need(sc.is_null() || (kind == "pix2pix" && data == "paired_folders"), 
                 "data.source_channels: applies to pix2pix on paired_folders only (the other tasks' sources have "
                 "model.channels), got ", sc.dump(), " for ", kind, " on ", data);
  need(sc.is_null() || sc == 1 || sc == 3, "data.source_channels: must be 1 or 3, got ", sc.dump());
  need(channels(c) == 1 || channels(c) == 3, "model.channels: must be 1 or 3, got ", channels(c));
  if (fashion_mnist_data(c) || data == "mnist")
    need(side == 28 && channels(c) == 1, "model.image_size and model.channels: ", data,
                   " images are 28×28 with 1 channel, got ", side, " and ", channels(c));
  if (data == "cifar10")
    need(side == 32 && channels(c) == 3, 
                   "model.image_size and model.channels: cifar10 images are 32×32 with 3 channels, got ", side,
                   " and ", channels(c));
  // Sizes the networks need, named by key rather than met as a shape error inside a layer.
  if (kind == "pix2pix") {
    const int64_t levels = m["levels"].is_null() ? 2 : m["levels"].get<int64_t>();
    need(levels < 16 && side % (int64_t{1} << levels) == 0, "model.levels: the U-Net halves the image ",
                   levels, " times, so model.image_size must be a multiple of 2^levels = ", int64_t{1} << std::min<int64_t>(levels, 16),
                   ", got ", side);
  }
  if (kind == "super_resolution") {
    const int64_t scale = m["scale"].get<int64_t>();
    need((scale & (scale - 1)) == 0 && side % scale == 0, 
                   "model.scale: must be a power of 2 that divides model.image_size ", side, ", got ", scale);
  }
  if (kind == "cycle_gan")
    need(side % 4 == 0 && side >= 8, 
                   "model.image_size: the ResNet translator halves the image twice, so it must be a multiple of 4 "
                   "and at least 8, got ", side);
  if (kind == "vae_gan")
    need(side == 28 || side == 32 || side == 64, 
                   "model.image_size: the VAE-GAN's decoder (DCGAN) makes 28, 32 or 64 px images, got ", side);
  const auto& t = c["trainer"];
  for (const char* key : {"d_steps_per_g_step", "accumulation", "penalty_every"})
    need(t[key].get<int64_t>() == 1, "trainer.", key, ": model.kind ", kind,
                   " updates its networks in its own step, so this must be 1 (it applies to dcgan and mlp), got ",
                   t[key].get<int64_t>());
  need(c["loss"]["weight_clip"].get<double>() == 0, "loss.weight_clip: model.kind ", kind,
                 " does not clip weights (it applies to dcgan and mlp)");
  report();
}

int train_model(const json& config, const fs::path& out, bool resume, const Job& job) {
  ModelData data = load_model_data(config);
  torch::manual_seed(config["trainer"]["seed"].get<uint64_t>());
  int rc = 0;
  with_configured_model(config, [&](auto model) {
    auto trainer = ModelTrainer(std::move(model), trainer_options(config), job.model_policy());
    // The model's outputs must have the targets' shape (for unpaired domains, the sources'):
    // checked on one source before anything is written.
    auto check = [&] {
      const auto& v = data.views;
      if (!v.grid_sources.defined()) return;  // the VAE-GAN: nothing to translate
      const torch::Tensor& like = v.grid_targets.defined() ? v.grid_targets : v.grid_sources;
      const torch::Tensor one = trainer.translate(v.grid_sources.narrow(0, 0, 1));
      GANCRAFT_CHECK(one.sizes().slice(1) == like.sizes().slice(1), OptionError, "model: the ",
                     config["model"]["kind"].get<std::string>(), " model makes images of shape ", one.sizes().slice(1),
                     " from sources of shape ", v.grid_sources.sizes().slice(1), " but the ",
                     v.grid_targets.defined() ? "targets" : "other domain", " have shape ", like.sizes().slice(1),
                     " (check model.image_size, model.scale and model.channels)");
    };
    rc = train_run(trainer, config, out, resume, job, data.views, /*images=*/true, check,
                   [&] { fit_on(trainer, data); });
  });
  return rc;
}

ModelView restore_model_view(const json& config, const fs::path& checkpoint, bool generate, bool reverse,
                             fs::path* used) {
  ModelView view;
  with_configured_model(config, [&](auto model) {
    using M = decltype(model);
    auto trainer = std::make_shared<ModelTrainer<M>>(std::move(model), trainer_options(config));
    const auto info = trainer->resume(checkpoint);
    if (used) *used = info.checkpoint;
    if (generate) {
      if constexpr (gancraft::detail::model_generates<M>)
        view = [trainer](const torch::Tensor& z) { return trainer->generate(z).to(torch::kCPU); };
    } else if (reverse) {
      if constexpr (requires(M& m, const torch::Tensor& x) { m.translate_ba(x); })
        view = [trainer](const torch::Tensor& x) {
          return trainer->view([&](M& m) { return m.translate_ba(x.to(trainer->options().device())).to(torch::kCPU); });
        };
    } else {
      view = [trainer](const torch::Tensor& x) { return trainer->translate(x); };
    }
  });
  GANCRAFT_CHECK(view != nullptr, OptionError,
                 generate ? "this run's model translates images and does not sample from noise: use gancraft translate"
                          : "--direction ba: only cycle_gan translates both ways");
  return view;
}

torch::jit::Module export_model(const json& config, const fs::path& checkpoint, bool reverse, double truncation,
                                fs::path* used) {
  std::optional<torch::jit::Module> out;
  const auto options = ExportOptions().truncation(truncation);
  with_configured_model(config, [&](auto model) {
    using M = decltype(model);
    ModelTrainer<M> trainer(std::move(model), trainer_options(config));
    const auto info = trainer.resume(checkpoint);
    if (used) *used = info.checkpoint;
    const auto [side, ch] = source_format(config, reverse);
    const torch::Tensor example = torch::zeros({2, ch, side, side});
    if constexpr (requires(M& m, const torch::Tensor& x) { m.translate_ba(x); }) {
      if (reverse) {
        torch::nn::Module& f = *trainer.network("generator_ba").module;
        out = trainer.view([&](M& m) {
          auto traced = trace_network(f, {example.to(trainer.options().device())},
                                      [&](const std::vector<torch::Tensor>& x) { return m.translate_ba(x[0]); });
          gancraft::detail::describe_export(traced, "translator", 0, 0, options);
          return traced;
        });
        return;
      }
    }
    GANCRAFT_CHECK(!reverse, OptionError, "--direction ba: only cycle_gan translates both ways");
    if constexpr (gancraft::detail::model_generates<M>)
      out = export_generator(trainer, options);
    else
      out = export_translator(trainer, example, options);
  });
  return *out;
}

torch::Tensor task_test_sources(const json& config, int64_t n) {
  const std::string kind = data_kind(config);
  GANCRAFT_CHECK(fashion_mnist_task(config), OptionError,
                 "this run translates ", kind, " data; FD-FMNIST scores the Fashion-MNIST tasks only");
  const torch::Tensor s = task_pairs(config, data::Split::Test).source;
  GANCRAFT_CHECK(n <= s.size(0), OptionError, "--n ", n, " exceeds the ", s.size(0), " test sources");
  return s.narrow(0, 0, n);
}

}  // namespace gancraft::tools
