#pragma once
/// @file gancraft/models/cycle_gan.hpp
/// CycleGAN (Zhu et al. 2017, "Unpaired Image-to-Image Translation using Cycle-Consistent
/// Adversarial Networks", arXiv:1703.10593) as a `Model`: two generators G: A → B and F: B → A,
/// two PatchGAN discriminators, cycle-consistency and identity losses, and a pool of past fakes
/// for each discriminator.

#include <gancraft/concepts/loss.hpp>
#include <gancraft/core/model_step.hpp>
#include <gancraft/core/network_options.hpp>
#include <gancraft/core/networks.hpp>
#include <gancraft/core/optimizer_options.hpp>
#include <gancraft/core/step_losses.hpp>
#include <gancraft/detail/adversarial_terms.hpp>
#include <gancraft/error.hpp>
#include <gancraft/losses/least_squares.hpp>
#include <gancraft/models/patch_discriminator.hpp>
#include <gancraft/models/resnet_translator.hpp>
#include <gancraft/nn/image_pool.hpp>
#include <gancraft/training/scoped_state.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <utility>

namespace gancraft::models {

/// Options of `CycleGAN`. The defaults are the paper's (λ = 10, identity 0.5·λ, pools of 50,
/// Adam 2e-4 with β1 0.5) with networks sized for 28×28 images on a CPU.
struct CycleGANOptions {
  /// Both domains' image shape `{C, H, W}` (identity losses need the same channels; H and W
  /// divisible by 4).
  explicit CycleGANOptions(std::vector<int64_t> image_shape) : image_shape_(std::move(image_shape)) {}
  TORCH_ARG(std::vector<int64_t>, image_shape);  ///< `{C, H, W}` of both domains
  TORCH_ARG(int64_t, generator_width) = 16;      ///< `ResNetTranslatorOptions::width`
  TORCH_ARG(int64_t, generator_blocks) = 3;      ///< `ResNetTranslatorOptions::blocks`
  TORCH_ARG(int64_t, discriminator_width) = 32;  ///< `PatchDiscriminatorOptions::width`
  TORCH_ARG(double, cycle_weight) = 10.0;        ///< λ, weight of each cycle L1
  /// Weight of each identity L1 (G(b) ≈ b, F(a) ≈ a) relative to λ; 0 turns it off.
  TORCH_ARG(double, identity_weight) = 0.5;
  TORCH_ARG(int64_t, pool_size) = 50;            ///< `ImagePoolOptions::capacity`; 0: no pool
  TORCH_ARG(OptimizerOptions, generator_optimizer) = OptimizerOptions::adam(2e-4, 0.5, 0.999);  ///< the generator's optimizer
  TORCH_ARG(OptimizerOptions, discriminator_optimizer) = OptimizerOptions::adam(2e-4, 0.5, 0.999);  ///< the discriminator's optimizer
};

/// CycleGAN: networks "generator" (G: A → B), "generator_ba" (F: B → A), "discriminator_a",
/// "discriminator_b", and the untrained "pool_a" and "pool_b" (`nn::ImagePool`, checkpointed
/// with the rest, so a resumed run draws the same old fakes). Train with
/// `ModelTrainer::fit(a, b)`: each batch's `data` is from domain A and its `target` from B (the
/// rows need not correspond; `data::images_and_edges` builds such sets from disjoint images).
/// Each step updates both generators on
/// adv(D_B(G(a))) + adv(D_A(F(b))) + λ(|F(G(a)) − a| + |G(F(b)) − b|) + λ·identity(|G(b) − b| + |F(a) − a|),
/// then each discriminator on its real images against the pool's answer to the new fakes, its
/// loss halved as in the paper. `translate` is G (A → B); `translate_ba` is F. With
/// `losses::LeastSquares`, which halves both of its terms (Mao et al.'s form), the adversarial
/// term is half the paper's squared error, so λ = 10 weighs the cycle twice as heavily against
/// it as in the paper. One process only: `DataParallel` is refused (the pools are per process).
/// @tparam L the adversarial `Loss` (the paper's least squares by default)
template <Loss L = losses::LeastSquares>
class CycleGAN {
 public:
  /// Builds the networks; `OptionError` for bad options.
  explicit CycleGAN(CycleGANOptions options, L loss = {}) : options_(std::move(options)), loss_(std::move(loss)) {
    const auto& o = options_;
    GANCRAFT_CHECK(o.image_shape().size() == 3 && o.cycle_weight() >= 0 && o.identity_weight() >= 0, OptionError,
                   "CycleGAN: image_shape must be {C, H, W} and the weights >= 0, got ", c10::IntArrayRef(o.image_shape()),
                   ", cycle ", o.cycle_weight(), ", identity ", o.identity_weight());
    const int64_t c = o.image_shape()[0];
    auto translator = [&] {
      return ResNetTranslator(ResNetTranslatorOptions(c, c).width(o.generator_width()).blocks(o.generator_blocks()));
    };
    auto critic = [&] { return PatchDiscriminator(PatchDiscriminatorOptions(c).width(o.discriminator_width())); };
    generator = translator();
    generator_ba = translator();
    discriminator_a = critic();
    discriminator_b = critic();
    pool_a = nn::ImagePool(nn::ImagePoolOptions(o.image_shape()).capacity(o.pool_size()));
    pool_b = nn::ImagePool(nn::ImagePoolOptions(o.image_shape()).capacity(o.pool_size()));
  }

  /// The two generators, the two discriminators and the two pools (untrained).
  void register_networks(Networks& n) {
    const auto g = NetworkOptions().optimizer(options_.generator_optimizer());
    const auto d = NetworkOptions().optimizer(options_.discriminator_optimizer());
    n.add("generator", generator, g)
        .add("generator_ba", generator_ba, g)
        .add("discriminator_a", discriminator_a, d)
        .add("discriminator_b", discriminator_b, d)
        .add("pool_a", pool_a, NetworkOptions().trained(false))
        .add("pool_b", pool_b, NetworkOptions().trained(false));
  }

  /// One update of both generators, then of each discriminator. Reports `g_loss` (the
  /// generators' whole objective), `d_loss` (the mean of the two discriminators') and the
  /// scalars `cycle`, `identity`, `d_a_loss`, `d_b_loss`.
  StepLosses train_step(ModelStep& step, const torch::data::Example<>& batch) {
    const torch::Tensor& a = batch.data;
    const torch::Tensor& b = batch.target;
    GANCRAFT_CHECK(b.defined() && a.dim() == 4 && a.sizes() == b.sizes() &&
                       a.sizes().slice(1) == c10::IntArrayRef(options_.image_shape()),
                   ShapeError, "CycleGAN: expected images of domain A and B (fit(a, b)), both [N, ",
                   c10::IntArrayRef(options_.image_shape()), "], got ", a.sizes(), " and ",
                   b.defined() ? b.sizes() : c10::IntArrayRef{});
    // Each process's pool would hold only its own rows' fakes (and DataParallel averages
    // floating-point buffers), so 2 ranks could not equal 1 process: refused until the pools
    // gather the whole batch.
    GANCRAFT_CHECK(step.shard().count == 1, OptionError,
                   "CycleGAN: data-parallel training is not supported (its image pools are per process); "
                   "train it on one process");
    using gancraft::detail::ScoreFn;
    const ScoreFn da = [this](const torch::Tensor& x) { return discriminator_a->forward(x); };
    const ScoreFn db = [this](const torch::Tensor& x) { return discriminator_b->forward(x); };
    StepLosses out;
    // Generators.
    step.zero_grad("generator");
    step.zero_grad("generator_ba");
    const torch::Tensor fake_b = generator->forward(a), fake_a = generator_ba->forward(b);
    torch::Tensor g_loss, cycle, identity;
    {
      FrozenParameters frozen_a(discriminator_a->parameters()), frozen_b(discriminator_b->parameters());
      const torch::Tensor adv = gancraft::detail::generator_term(loss_, db, b, fake_b) +
                                gancraft::detail::generator_term(loss_, da, a, fake_a);
      cycle = (generator_ba->forward(fake_b) - a).abs().mean() + (generator->forward(fake_a) - b).abs().mean();
      g_loss = adv + options_.cycle_weight() * cycle;
      if (options_.identity_weight() > 0) {
        identity = (generator->forward(b) - b).abs().mean() + (generator_ba->forward(a) - a).abs().mean();
        g_loss = g_loss + options_.cycle_weight() * options_.identity_weight() * identity;
        out.scalars["identity"] = identity.detach();
      }
      g_loss.backward();
    }
    step.update("generator");
    step.update("generator_ba");
    // Discriminators, each on its domain's reals against the pool's fakes.
    torch::Tensor d_total;
    for (auto [name, d, real, fake, pool, key] :
         {std::tuple{"discriminator_a", &da, &a, &fake_a, &pool_a, "d_a_loss"},
          std::tuple{"discriminator_b", &db, &b, &fake_b, &pool_b, "d_b_loss"}}) {
      step.zero_grad(name);
      const torch::Tensor l = 0.5 * gancraft::detail::discriminator_term(loss_, *d, *real, (*pool)->query(*fake));
      l.backward();
      step.update(name);
      out.scalars[key] = l.detach();
      d_total = d_total.defined() ? d_total + l.detach() : l.detach();
    }
    out.d_loss = d_total / 2;
    out.g_loss = g_loss.detach();
    out.scalars["cycle"] = cycle.detach();
    return out;
  }

  /// The translating view: G, domain A → B.
  torch::Tensor translate(const torch::Tensor& a) { return generator->forward(a); }
  /// F, domain B → A (call it under `torch::NoGradGuard` and eval mode outside training).
  torch::Tensor translate_ba(const torch::Tensor& b) { return generator_ba->forward(b); }

  const CycleGANOptions& options() const { return options_; }  ///< the options

  ResNetTranslator generator{nullptr};          ///< network "generator", G: A → B
  ResNetTranslator generator_ba{nullptr};       ///< network "generator_ba", F: B → A
  PatchDiscriminator discriminator_a{nullptr};  ///< network "discriminator_a"
  PatchDiscriminator discriminator_b{nullptr};  ///< network "discriminator_b"
  nn::ImagePool pool_a{nullptr};                ///< network "pool_a" (untrained): past F(b)
  nn::ImagePool pool_b{nullptr};                ///< network "pool_b" (untrained): past G(a)

 private:
  CycleGANOptions options_;
  L loss_;
};

}  // namespace gancraft::models
