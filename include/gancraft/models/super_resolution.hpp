#pragma once
/// @file gancraft/models/super_resolution.hpp
/// SRGAN-style super-resolution (Ledig et al. 2017, "Photo-Realistic Single Image
/// Super-Resolution Using a Generative Adversarial Network", arXiv:1609.04802) as a `Model`:
/// an `SRResNet` upscales, a `PatchDiscriminator` judges high-resolution images, and the
/// generator minimises a pixel loss, a content loss in a feature space and the adversarial loss.
///
/// The paper's content loss lives in VGG-19's features. Here it lives in the discriminator's
/// own features (`PatchDiscriminator::features`), as Larsen et al. 2016 (arXiv:1512.09300) do:
/// gancraft's quality measure, FD-FMNIST, uses the bundled classifier's features, and training
/// in them would grade the model by its own training objective.

#include <gancraft/concepts/loss.hpp>
#include <gancraft/core/model_step.hpp>
#include <gancraft/core/network_options.hpp>
#include <gancraft/core/networks.hpp>
#include <gancraft/core/optimizer_options.hpp>
#include <gancraft/core/step_losses.hpp>
#include <gancraft/detail/adversarial_terms.hpp>
#include <gancraft/error.hpp>
#include <gancraft/losses/non_saturating.hpp>
#include <gancraft/models/patch_discriminator.hpp>
#include <gancraft/models/sr_resnet.hpp>
#include <gancraft/training/scoped_state.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <utility>

namespace gancraft::models {

/// Options of `SuperResolutionGAN`.
struct SuperResolutionOptions {
  /// The required options; the rest have defaults.
  explicit SuperResolutionOptions(int64_t channels) : channels_(channels) {}
  TORCH_ARG(int64_t, channels);                 ///< image channels
  TORCH_ARG(int64_t, scale) = 2;                ///< `SRResNetOptions::scale`
  TORCH_ARG(int64_t, generator_width) = 32;     ///< `SRResNetOptions::width`
  TORCH_ARG(int64_t, generator_blocks) = 4;     ///< `SRResNetOptions::blocks`
  TORCH_ARG(int64_t, discriminator_width) = 32; ///< `PatchDiscriminatorOptions::width`
  TORCH_ARG(int64_t, discriminator_levels) = 2; ///< `PatchDiscriminatorOptions::levels`
  /// Weight of the L1 distance to the high-resolution target.
  TORCH_ARG(double, pixel_weight) = 1.0;
  /// Weight of the content loss: the mean squared distance between the discriminator's
  /// features of the output and of the target.
  TORCH_ARG(double, content_weight) = 1.0;
  /// Weight of the adversarial term. With it and `content_weight` both 0 the generator trains
  /// on the pixel loss alone (the non-adversarial baseline) and no discriminator is built.
  TORCH_ARG(double, adversarial_weight) = 1e-2;
  TORCH_ARG(OptimizerOptions, generator_optimizer) = OptimizerOptions::adam(2e-4, 0.5, 0.999);  ///< the generator's optimizer
  TORCH_ARG(OptimizerOptions, discriminator_optimizer) = OptimizerOptions::adam(2e-4, 0.5, 0.999);  ///< the discriminator's optimizer
};

/// Super-resolution GAN: networks "generator" (`SRResNet`) and "discriminator"
/// (`PatchDiscriminator` on high-resolution images). Train with
/// `ModelTrainer::fit(low, high)` (`data::low_to_high_resolution` builds the pairs); each step
/// updates the discriminator on the target against G(low), then the generator.
/// @tparam L the adversarial `Loss`
template <Loss L = losses::NonSaturating>
class SuperResolutionGAN {
 public:
  /// Builds the networks; `OptionError` for bad options.
  explicit SuperResolutionGAN(SuperResolutionOptions options, L loss = {})
      : options_(std::move(options)), loss_(std::move(loss)) {
    const auto& o = options_;
    GANCRAFT_CHECK(o.pixel_weight() >= 0 && o.content_weight() >= 0 && o.adversarial_weight() >= 0 &&
                       o.pixel_weight() + o.content_weight() + o.adversarial_weight() > 0,
                   OptionError, "SuperResolutionGAN: the loss weights must be >= 0 and not all 0, got pixel ",
                   o.pixel_weight(), ", content ", o.content_weight(), ", adversarial ", o.adversarial_weight());
    GANCRAFT_CHECK(o.content_weight() == 0 || o.adversarial_weight() > 0, OptionError,
                   "SuperResolutionGAN: the content loss lives in the discriminator's features, which only an "
                   "adversarial term trains: set adversarial_weight > 0 or content_weight 0");
    generator = SRResNet(
        SRResNetOptions(o.channels()).scale(o.scale()).width(o.generator_width()).blocks(o.generator_blocks()));
    if (adversarial())
      discriminator = PatchDiscriminator(
          PatchDiscriminatorOptions(o.channels()).width(o.discriminator_width()).levels(o.discriminator_levels()));
  }

  /// "generator", and "discriminator" unless the adversarial weight is 0.
  void register_networks(Networks& n) {
    n.add("generator", generator, NetworkOptions().optimizer(options_.generator_optimizer()));
    if (adversarial())
      n.add("discriminator", discriminator, NetworkOptions().optimizer(options_.discriminator_optimizer()));
  }

  /// One discriminator update, then one generator update. Reports `d_loss`, `g_loss` (the
  /// generator's whole objective) and the scalars `pixel`, `content` and `g_adversarial`.
  StepLosses train_step(ModelStep& step, const torch::data::Example<>& batch) {
    const torch::Tensor& low = batch.data;
    const torch::Tensor& high = batch.target;
    const int64_t s = options_.scale();
    GANCRAFT_CHECK(high.defined() && low.dim() == 4 && high.dim() == 4 && high.size(0) == low.size(0) &&
                       low.size(1) == options_.channels() && high.size(1) == options_.channels() &&
                       high.size(2) == s * low.size(2) && high.size(3) == s * low.size(3),
                   ShapeError, "SuperResolutionGAN: expected low-resolution images [N, ", options_.channels(),
                   ", h, w] with targets [N, ", options_.channels(), ", ", s, "h, ", s,
                   "w] (fit(low, high)), got ", low.sizes(), " and ", high.defined() ? high.sizes() : c10::IntArrayRef{});
    StepLosses out;
    const torch::Tensor fake = generator->forward(low);
    const gancraft::detail::ScoreFn d = [this](const torch::Tensor& x) { return discriminator->forward(x); };
    if (adversarial()) {
      step.zero_grad("discriminator");
      const torch::Tensor d_loss = gancraft::detail::discriminator_term(loss_, d, high, fake.detach());
      d_loss.backward();
      step.update("discriminator");
      out.d_loss = d_loss.detach();
    }
    step.zero_grad("generator");
    const torch::Tensor pixel = (fake - high).abs().mean();
    torch::Tensor g_loss = options_.pixel_weight() * pixel;
    if (adversarial()) {
      FrozenParameters frozen(discriminator->parameters());
      const torch::Tensor adv = gancraft::detail::generator_term(loss_, d, high, fake);
      g_loss = g_loss + options_.adversarial_weight() * adv;
      out.scalars["g_adversarial"] = adv.detach();
      if (options_.content_weight() > 0) {
        torch::Tensor want;
        {
          torch::NoGradGuard no_grad;
          want = discriminator->features(high);
        }
        const torch::Tensor content = (discriminator->features(fake) - want).pow(2).mean();
        g_loss = g_loss + options_.content_weight() * content;
        out.scalars["content"] = content.detach();
      }
    }
    g_loss.backward();
    step.update("generator");
    out.g_loss = g_loss.detach();
    out.scalars["pixel"] = pixel.detach();
    return out;
  }

  /// The translating view: the upscaled image of each low-resolution one.
  torch::Tensor translate(const torch::Tensor& low) { return generator->forward(low); }

  const SuperResolutionOptions& options() const { return options_; }   ///< the options
  bool adversarial() const { return options_.adversarial_weight() > 0; } ///< has a discriminator

  SRResNet generator{nullptr};               ///< network "generator"
  PatchDiscriminator discriminator{nullptr}; ///< network "discriminator" (null without adversarial term)

 private:
  SuperResolutionOptions options_;
  L loss_;
};

}  // namespace gancraft::models
