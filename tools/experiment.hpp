#pragma once
// Builds the modules, loss, data and trainer that a resolved config describes.

#include "config.hpp"

#include <gancraft/gan.hpp>

#include <functional>
#include <optional>
#include <sstream>
#include <type_traits>
#include <memory>
#include <string>
#include <utility>

namespace gancraft::tools {

/// A module chosen at run time: wraps a built-in model behind one tensor-in, tensor-out forward.
struct RuntimeNetImpl : torch::nn::Module {
  RuntimeNetImpl(std::shared_ptr<torch::nn::Module> inner,
                 std::function<torch::Tensor(const torch::Tensor&)> forward_fn, int64_t samples_per_score = 1)
      : forward_fn_(std::move(forward_fn)), samples_per_score_(samples_per_score) {
    register_module("net", std::move(inner));
  }
  torch::Tensor forward(torch::Tensor x) { return forward_fn_(x); }
  /// The wrapped discriminator's samples per score (`nn::Pack`); 1 otherwise.
  int64_t samples_per_score() const noexcept { return samples_per_score_; }

 private:
  std::function<torch::Tensor(const torch::Tensor&)> forward_fn_;
  int64_t samples_per_score_ = 1;
};
TORCH_MODULE(RuntimeNet);

template <class M>
RuntimeNet wrap(M module) {
  auto ptr = module.ptr();
  return RuntimeNet(ptr, [ptr](const torch::Tensor& x) { return ptr->forward(x); }, samples_per_score(module));
}

/// Shape of one real sample for the configured data set.
inline std::vector<int64_t> sample_shape(const json& c) {
  const std::string kind = c["data"]["kind"];
  if (kind == "ring" || kind == "grid") return {2};
  if (kind == "cifar10") return {3, 32, 32};
  if (kind == "image_folder")
    return {c["model"]["channels"].get<int64_t>(), c["model"]["image_size"].get<int64_t>(),
            c["model"]["image_size"].get<int64_t>()};
  return {1, 28, 28};
}

/// The generator the config describes (initialised from LibTorch's global generator).
inline RuntimeNet make_generator(const json& c) {
  const auto& m = c["model"];
  const int64_t latent = m["latent_dim"];
  const auto shape = sample_shape(c);
  if (m["kind"] == "dcgan")
    return wrap(models::DCGANGenerator(models::DCGANGeneratorOptions(m["image_size"].get<int64_t>())
                                           .channels(m["channels"].get<int64_t>())
                                           .base_width(m["base_width"].get<int64_t>())
                                           .latent_dim(latent)));
  if (m["kind"] == "sngan")
    return wrap(models::SNGANGenerator(models::SNGANGeneratorOptions(latent)
                                           .channels(m["sngan_g_channels"].get<int64_t>())
                                           .image_channels(m["channels"].get<int64_t>())));
  int64_t out = 1;
  for (auto s : shape) out *= s;
  auto options = models::MLPGeneratorOptions(latent, out).hidden(m["hidden"].get<int64_t>()).layers(m["layers"].get<int64_t>());
  if (shape.size() > 1) options.output_shape(shape);
  return wrap(models::MLPGenerator(options));
}

/// The DiffAugment policy of `augment.diffaugment` ("none", or a comma-separated list of color,
/// translation, cutout); `OptionError` naming an unknown part.
inline std::optional<nn::DiffAugmentOptions> diffaugment_options(const json& c) {
  const std::string policy = c["augment"]["diffaugment"];
  if (policy == "none") return std::nullopt;
  auto o = nn::DiffAugmentOptions().color(false).translation(false).cutout(false);
  std::stringstream parts(policy);
  for (std::string part; std::getline(parts, part, ',');) {
    if (part == "color") o.color(true);
    else if (part == "translation") o.translation(true);
    else if (part == "cutout") o.cutout(true);
    else
      throw OptionError(gancraft::detail::str("augment.diffaugment: \"", part, "\" in \"", policy,
                                              "\" is not color, translation or cutout (or use none)"));
  }
  return o;
}

/// `then(d)` of the bare discriminator of `model.kind`, with spectral norm where
/// `model.spectral_norm` asks and its input widened for `model.pack`.
template <class Wrap>
auto build_discriminator(const json& c, Wrap&& then) {
  const auto& m = c["model"];
  const int64_t pack = m["pack"].get<int64_t>();  // a packing D's first layer sees pack samples at once
  if (m["kind"] == "dcgan")
    return then(models::DCGANDiscriminator(models::DCGANDiscriminatorOptions(m["image_size"].get<int64_t>())
                                               .channels(m["channels"].get<int64_t>() * pack)
                                               .base_width(m["base_width"].get<int64_t>())
                                               .batch_norm(m["d_batch_norm"].get<bool>())
                                               .spectral_norm(m["spectral_norm"].get<bool>())));
  if (m["kind"] == "sngan")
    return then(models::SNGANDiscriminator(models::SNGANDiscriminatorOptions()
                                               .channels(m["sngan_d_channels"].get<int64_t>())
                                               .image_channels(m["channels"].get<int64_t>() * pack)));
  int64_t in = 1;
  for (auto s : sample_shape(c)) in *= s;
  return then(models::MLPDiscriminator(models::MLPDiscriminatorOptions(in * pack)
                                           .hidden(m["hidden"].get<int64_t>())
                                           .layers(m["layers"].get<int64_t>())
                                           .spectral_norm(m["spectral_norm"].get<bool>())));
}

/// The discriminator the config describes: the model's, packed (`model.pack`, nn::Pack) and
/// augmented (`augment.diffaugment`, nn::DiffAugment) as asked.
inline RuntimeNet make_discriminator(const json& c) {
  const int64_t pack = c["model"]["pack"].get<int64_t>();
  const auto augment = diffaugment_options(c);
  return build_discriminator(c, [&](auto d) {
    RuntimeNet net = pack > 1 ? wrap(nn::Pack(d, pack)) : wrap(d);
    return augment ? wrap(nn::DiffAugment(net, *augment)) : net;
  });
}

/// The run's generator as training samples from it: built from the config and loaded from the
/// checkpoint `from` picks (a checkpoint directory, or a root whose newest valid one is used),
/// with the EMA's averaged weights in place of G's own when `hooks.ema_decay` > 0; in eval
/// mode. `used` receives the checkpoint loaded.
inline RuntimeNet load_run_generator(const json& c, const std::filesystem::path& from, std::filesystem::path* used) {
  RuntimeNet g = make_generator(c);
  *used = load_generator(g, from);
  if (c["hooks"]["ema_decay"].get<double>() > 0) {
    auto params = g->parameters();
    auto ema = std::make_shared<gancraft::detail::EmaWeightsImpl>(params);
    gancraft::detail::load_module(*ema, *used / gancraft::detail::extra_state_file("generator_ema"), torch::kCPU);
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < params.size(); ++i) params[i].copy_(ema->tensors[i]);
  }
  g->eval();
  return g;
}

/// The real training data the config describes; errors name the missing path.
inline torch::Tensor load_data(const json& c) {
  const auto& d = c["data"];
  const std::string kind = d["kind"];
  if (kind == "ring" || kind == "grid") {
    auto mixture = kind == "ring" ? data::GaussianMixture::ring() : data::GaussianMixture::grid();
    return mixture.sample(d["samples"].get<int64_t>(), d["seed"].get<uint64_t>());
  }
  const std::filesystem::path path = d["path"].get<std::string>();
  GANCRAFT_CHECK(std::filesystem::is_directory(path), IoError, "data.path: ", path.string(),
                 ": no such directory");
  if (kind == "mnist") return data::MNIST(path).images();
  if (kind == "cifar10") return data::CIFAR10(path).images();
  if (kind == "image_folder") {
    data::ImageFolder folder(path, data::ImageFolderOptions()
                                       .image_size(c["model"]["image_size"].get<int64_t>())
                                       .channels(c["model"]["channels"].get<int64_t>()));
    std::vector<torch::Tensor> images;
    for (size_t i = 0; i < folder.paths().size(); ++i) images.push_back(folder.get(i).data);
    return torch::stack(images);
  }
  return data::FashionMNIST(path).images();
}

inline OptimizerOptions optimizer_options(const json& o) {
  const std::string kind = o["kind"];
  OptimizerOptions out = kind == "rmsprop" ? OptimizerOptions::rmsprop(o["lr"].get<double>())
                         : kind == "sgd"   ? OptimizerOptions::sgd(o["lr"].get<double>())
                                           : OptimizerOptions::adam(o["lr"].get<double>());
  return out.beta1(o["beta1"].get<double>())
      .beta2(o["beta2"].get<double>())
      .eps(o["eps"].get<double>())
      .weight_decay(o["weight_decay"].get<double>());
}

/// TrainerOptions from the config.
inline TrainerOptions trainer_options(const json& c) {
  const auto& t = c["trainer"];
  const bool by_epochs = !t["epochs"].is_null();
  return TrainerOptions()
      .latent_dim(c["model"]["latent_dim"].get<int64_t>())
      .batch_size(t["batch_size"].get<int64_t>())
      .steps(by_epochs ? std::nullopt : std::optional<int64_t>(t["steps"].get<int64_t>()))
      .epochs(by_epochs ? std::optional<int64_t>(t["epochs"].get<int64_t>()) : std::nullopt)
      .d_steps_per_g_step(t["d_steps_per_g_step"].get<int64_t>())
      .seed(t["seed"].get<uint64_t>())
      .threads(t["threads"].get<int>())
      .device(torch::Device(t["device"].get<std::string>()))
      .g_optimizer(optimizer_options(t["g_optimizer"]))
      .d_optimizer(optimizer_options(t["d_optimizer"]))
      .lr_schedule(t["lr_schedule"] == "linear" ? LrSchedule::linear(t["lr_decay_start"].get<int64_t>())
                                                : LrSchedule::constant())
      .clip_grad_norm(t["clip_grad_norm"].get<double>())
      .accumulation(t["accumulation"].get<int64_t>())
      .penalty_every(t["penalty_every"].get<int64_t>())
      .stop_on_signal(true);
}

/// A loss chosen at run time. `Relativistic` selects the generator-loss form the trainer sees.
template <bool Relativistic>
struct RuntimeLoss {
  std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)> d;
  std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)> g;  ///< (fake, real)

  torch::Tensor discriminator_loss(const torch::Tensor& r, const torch::Tensor& f) { return d(r, f); }
  torch::Tensor generator_loss(const torch::Tensor& f) requires(!Relativistic) { return g(f, {}); }
  torch::Tensor generator_loss(const torch::Tensor& f, const torch::Tensor& r) requires Relativistic {
    return g(f, r);
  }
};

/// A penalty chosen at run time.
struct RuntimePenalty {
  std::function<torch::Tensor(const DiscriminatorFn&, const torch::Tensor&, const torch::Tensor&)> fn;
  torch::Tensor penalty(const DiscriminatorFn& d, const torch::Tensor& r, const torch::Tensor& f) {
    return fn(d, r, f);
  }
};

template <class L, bool Relativistic>
RuntimeLoss<Relativistic> erase_loss(L loss) {
  auto shared = std::make_shared<L>(loss);
  RuntimeLoss<Relativistic> out;
  out.d = [shared](const torch::Tensor& r, const torch::Tensor& f) { return shared->discriminator_loss(r, f); };
  if constexpr (Relativistic)
    out.g = [shared](const torch::Tensor& f, const torch::Tensor& r) { return shared->generator_loss(f, r); };
  else
    out.g = [shared](const torch::Tensor& f, const torch::Tensor&) { return shared->generator_loss(f); };
  return out;
}

inline RuntimePenalty make_penalty(const json& c) {
  const std::string kind = c["loss"]["penalty"];
  const double w = c["loss"]["penalty_weight"];
  if (kind == "gradient_penalty") {
    penalties::GradientPenalty p{w};
    return {[p](const DiscriminatorFn& d, const torch::Tensor& r, const torch::Tensor& f) { return p.penalty(d, r, f); }};
  }
  if (kind == "r1") {
    penalties::R1 p{w};
    return {[p](const DiscriminatorFn& d, const torch::Tensor& r, const torch::Tensor& f) { return p.penalty(d, r, f); }};
  }
  penalties::R2 p{w};
  return {[p](const DiscriminatorFn& d, const torch::Tensor& r, const torch::Tensor& f) { return p.penalty(d, r, f); }};
}

/// Calls `run(loss)` with the loss the config describes, as one of four static types
/// (relativistic or not, with or without a penalty), so the trainer's compile-time checks
/// see the real shape of the loss.
template <class Run>
void with_configured_loss(const json& c, Run&& run) {
  const std::string kind = c["loss"]["kind"];
  const bool penalized = c["loss"]["penalty"] != "none";
  if (kind == "relativistic_average") {
    auto loss = erase_loss<losses::RelativisticAverage, true>({});
    if (penalized) return run(with_penalty(loss, make_penalty(c)));
    return run(loss);
  }
  RuntimeLoss<false> loss;
  if (kind == "minimax") loss = erase_loss<losses::Minimax, false>({});
  else if (kind == "least_squares") loss = erase_loss<losses::LeastSquares, false>({});
  else if (kind == "wasserstein") loss = erase_loss<losses::Wasserstein, false>({});
  else if (kind == "hinge") loss = erase_loss<losses::Hinge, false>({});
  else loss = erase_loss<losses::NonSaturating, false>({});
  if (penalized) return run(with_penalty(loss, make_penalty(c)));
  return run(loss);
}

}  // namespace gancraft::tools
