#pragma once
/// @file gancraft/models/pix2pix.hpp
/// pix2pix (Isola et al. 2017, "Image-to-Image Translation with Conditional Adversarial
/// Networks", arXiv:1611.07004) as a `Model`: a U-Net translates a source image, a PatchGAN
/// judges (source, image) pairs, and the generator minimises the adversarial loss plus λ·L1 to
/// the paired target.

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
#include <gancraft/models/unet.hpp>
#include <gancraft/training/scoped_state.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <utility>

namespace gancraft::models {

/// Options of `Pix2Pix`. The defaults are the paper's (λ = 100; Adam 2e-4, β1 0.5) with
/// networks sized for 28×28 images.
struct Pix2PixOptions {
  /// The required options; the rest have defaults.
  Pix2PixOptions(int64_t source_channels, int64_t target_channels)
      : source_channels_(source_channels), target_channels_(target_channels) {}
  TORCH_ARG(int64_t, source_channels);          ///< channels of the source images
  TORCH_ARG(int64_t, target_channels);          ///< channels of the target images
  TORCH_ARG(int64_t, generator_width) = 32;     ///< `UNetGeneratorOptions::width`
  TORCH_ARG(int64_t, generator_levels) = 2;     ///< `UNetGeneratorOptions::levels`
  TORCH_ARG(int64_t, discriminator_width) = 32; ///< `PatchDiscriminatorOptions::width`
  TORCH_ARG(int64_t, discriminator_levels) = 2; ///< `PatchDiscriminatorOptions::levels`
  /// λ, the weight of the L1 distance to the target.
  TORCH_ARG(double, l1_weight) = 100.0;
  /// Weight of the adversarial term; 0 trains the U-Net on L1 alone (the non-adversarial
  /// baseline) and builds no discriminator.
  TORCH_ARG(double, adversarial_weight) = 1.0;
  TORCH_ARG(OptimizerOptions, generator_optimizer) = OptimizerOptions::adam(2e-4, 0.5, 0.999);  ///< the generator's optimizer
  TORCH_ARG(OptimizerOptions, discriminator_optimizer) = OptimizerOptions::adam(2e-4, 0.5, 0.999);  ///< the discriminator's optimizer
};

/// pix2pix: networks "generator" (`UNetGenerator`) and "discriminator" (`PatchDiscriminator`
/// on the source and image concatenated along channels). Train it with
/// `ModelTrainer::fit(source, target)`; each step updates the discriminator once on
/// (source, target) against (source, G(source)), then the generator once.
/// @tparam L the adversarial `Loss` (any of gancraft's, `with_penalty` included)
/// @code
/// auto task = gc::data::edges_to_images(images, labels);
/// gc::ModelTrainer trainer(gc::models::Pix2Pix<>(gc::models::Pix2PixOptions(1, 1)),
///                          gc::TrainerOptions().batch_size(32).steps(2000));
/// trainer.fit(task.source, task.target);
/// torch::Tensor out = trainer.translate(task.source.narrow(0, 0, 8));
/// @endcode
template <Loss L = losses::NonSaturating>
class Pix2Pix {
 public:
  /// Builds the networks; `OptionError` for bad options.
  explicit Pix2Pix(Pix2PixOptions options, L loss = {})
      : options_(std::move(options)), loss_(std::move(loss)) {
    GANCRAFT_CHECK(options_.l1_weight() >= 0 && options_.adversarial_weight() >= 0 &&
                       options_.l1_weight() + options_.adversarial_weight() > 0,
                   OptionError, "Pix2Pix: l1_weight and adversarial_weight must be >= 0 and not both 0, got ",
                   options_.l1_weight(), " and ", options_.adversarial_weight());
    generator = UNetGenerator(UNetGeneratorOptions(options_.source_channels(), options_.target_channels())
                                  .width(options_.generator_width())
                                  .levels(options_.generator_levels()));
    if (adversarial())
      discriminator = PatchDiscriminator(
          PatchDiscriminatorOptions(options_.source_channels() + options_.target_channels())
              .width(options_.discriminator_width())
              .levels(options_.discriminator_levels()));
  }

  /// "generator", and "discriminator" unless the adversarial weight is 0.
  void register_networks(Networks& n) {
    n.add("generator", generator, NetworkOptions().optimizer(options_.generator_optimizer()));
    if (adversarial())
      n.add("discriminator", discriminator, NetworkOptions().optimizer(options_.discriminator_optimizer()));
  }

  /// One discriminator update, then one generator update. Reports `d_loss` (without a
  /// discriminator: none), `g_loss` (the generator's whole objective) and the scalars `l1` and
  /// `g_adversarial`.
  StepLosses train_step(ModelStep& step, const torch::data::Example<>& batch) {
    const torch::Tensor& source = batch.data;
    const torch::Tensor& target = batch.target;
    GANCRAFT_CHECK(target.defined() && target.dim() == 4 && source.dim() == 4 && target.size(0) == source.size(0) &&
                       target.size(1) == options_.target_channels() && target.size(2) == source.size(2) &&
                       target.size(3) == source.size(3),
                   ShapeError, "Pix2Pix: expected a source [N, ", options_.source_channels(),
                   ", H, W] with a target [N, ", options_.target_channels(),
                   ", H, W] (fit(source, target)), got ", source.sizes(), " and ",
                   target.defined() ? target.sizes() : c10::IntArrayRef{});
    StepLosses out;
    const torch::Tensor fake = generator->forward(source);
    const gancraft::detail::ScoreFn d = [this](const torch::Tensor& x) { return discriminator->forward(x); };
    const torch::Tensor real_pair = torch::cat({source, target}, 1);
    if (adversarial()) {
      step.zero_grad("discriminator");
      const torch::Tensor d_loss =
          gancraft::detail::discriminator_term(loss_, d, real_pair, torch::cat({source, fake.detach()}, 1));
      d_loss.backward();
      step.update("discriminator");
      out.d_loss = d_loss.detach();
    }
    step.zero_grad("generator");
    const torch::Tensor l1 = (fake - target).abs().mean();
    torch::Tensor g_loss = options_.l1_weight() * l1;
    if (adversarial()) {
      FrozenParameters frozen(discriminator->parameters());
      const torch::Tensor adv = gancraft::detail::generator_term(loss_, d, real_pair, torch::cat({source, fake}, 1));
      g_loss = g_loss + options_.adversarial_weight() * adv;
      out.scalars["g_adversarial"] = adv.detach();
    }
    g_loss.backward();
    step.update("generator");
    out.g_loss = g_loss.detach();
    out.scalars["l1"] = l1.detach();
    return out;
  }

  /// The translating view: the generator's image for each source.
  torch::Tensor translate(const torch::Tensor& source) { return generator->forward(source); }

  const Pix2PixOptions& options() const { return options_; }  ///< the options
  bool adversarial() const { return options_.adversarial_weight() > 0; }  ///< has a discriminator

  UNetGenerator generator{nullptr};          ///< network "generator"
  PatchDiscriminator discriminator{nullptr}; ///< network "discriminator" (null when L1 only)

 private:
  Pix2PixOptions options_;
  L loss_;
};

}  // namespace gancraft::models
