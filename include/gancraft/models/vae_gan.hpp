#pragma once
/// @file gancraft/models/vae_gan.hpp
/// The VAE-GAN of Larsen et al. 2016 ("Autoencoding beyond pixels using a learned similarity
/// metric", arXiv:1512.09300) as a `Model`, and, without its discriminator, the plain VAE it is
/// measured against (Kingma & Welling 2014, arXiv:1312.6114).

#include <gancraft/concepts/loss.hpp>
#include <gancraft/core/model_step.hpp>
#include <gancraft/core/network_options.hpp>
#include <gancraft/core/networks.hpp>
#include <gancraft/core/optimizer_options.hpp>
#include <gancraft/core/step_losses.hpp>
#include <gancraft/detail/adversarial_terms.hpp>
#include <gancraft/error.hpp>
#include <gancraft/losses/non_saturating.hpp>
#include <gancraft/models/conv_encoder.hpp>
#include <gancraft/models/dcgan.hpp>
#include <gancraft/models/patch_discriminator.hpp>
#include <gancraft/training/scoped_state.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <utility>

namespace gancraft::models {

/// Options of `VAEGAN`. Reconstruction terms are Gaussian log-likelihoods summed over a
/// sample's elements and the KL term is summed over the latent dimensions, both averaged over
/// the batch, so that encoder's objective is the negative evidence lower bound (in D's feature
/// space for the VAE-GAN, in pixels for the plain VAE).
struct VAEGANOptions {
  /// The required options; the rest have defaults.
  explicit VAEGANOptions(int64_t image_size) : image_size_(image_size) {}
  TORCH_ARG(int64_t, image_size);               ///< 28, 32 or 64 (the decoder is `DCGANGenerator`)
  TORCH_ARG(int64_t, channels) = 1;             ///< image channels
  TORCH_ARG(int64_t, latent_dim) = 32;          ///< size of z
  TORCH_ARG(int64_t, encoder_width) = 32;       ///< `ConvEncoderOptions::width`
  TORCH_ARG(int64_t, decoder_width) = 32;       ///< `DCGANGeneratorOptions::base_width`
  TORCH_ARG(int64_t, discriminator_width) = 32; ///< `PatchDiscriminatorOptions::width`
  /// false: the plain VAE (pixel reconstruction, no discriminator).
  TORCH_ARG(bool, adversarial) = true;
  /// γ of Larsen et al. eq. (9): the decoder minimises γ·L_llike − L_GAN.
  TORCH_ARG(double, gamma) = 1.0;
  /// σ of the Gaussian likelihood: the reconstruction term is Σ(a − b)² / (2σ²) per sample,
  /// over pixels (VAE) or over D's features (VAE-GAN).
  TORCH_ARG(double, sigma) = 1.0;
  /// Weight of the KL term (1: the ELBO; β-VAE otherwise).
  TORCH_ARG(double, kl_weight) = 1.0;
  TORCH_ARG(OptimizerOptions, encoder_optimizer) = OptimizerOptions::adam(3e-4, 0.5, 0.999);  ///< the encoder's optimizer
  TORCH_ARG(OptimizerOptions, decoder_optimizer) = OptimizerOptions::adam(3e-4, 0.5, 0.999);  ///< the decoder's optimizer
  TORCH_ARG(OptimizerOptions, discriminator_optimizer) = OptimizerOptions::adam(3e-4, 0.5, 0.999);  ///< the discriminator's optimizer
};

/// VAE-GAN: networks "encoder" (`ConvEncoder`), "generator" (the decoder, `DCGANGenerator`)
/// and "discriminator" (`PatchDiscriminator`; its `features` are the learned similarity
/// metric). Each step, on real images x, with the losses of Larsen et al. Algorithm 1 (which
/// computes all three gradients from one forward pass; here, as in alternating GAN training, the
/// discriminator is updated first and the encoder and decoder are judged by the updated one):
///  - z ~ q(z | x) by the reparameterisation z = μ + σ·ε; x̃ = Dec(z); x_p = Dec(z_p), z_p ~ N(0, I);
///  - L_prior = KL(q(z | x) ‖ N(0, I)); L_llike = Σ(Dis_l(x) − Dis_l(x̃))² / (2σ²);
///  - the discriminator minimises the adversarial loss of x against both x̃ and x_p (D sees
///    reals, reconstructions and prior samples, each fake kind weighted one half);
///  - the encoder minimises L_prior + L_llike; the decoder γ·L_llike plus its adversarial loss on
///    x̃ and x_p. Gradients of L_llike do not reach the discriminator.
/// With `adversarial(false)` it is the plain VAE: L_llike in pixels, no discriminator.
/// `generate(z)` decodes (samples from the prior); `translate(x)` reconstructs Dec(μ(x)).
/// @tparam L the adversarial `Loss`
template <Loss L = losses::NonSaturating>
class VAEGAN {
 public:
  /// Builds the networks; `OptionError` for bad options.
  explicit VAEGAN(VAEGANOptions options, L loss = {}) : options_(std::move(options)), loss_(std::move(loss)) {
    const auto& o = options_;
    GANCRAFT_CHECK(o.gamma() >= 0 && o.sigma() > 0 && o.kl_weight() >= 0, OptionError,
                   "VAEGAN: gamma and kl_weight must be >= 0 and sigma > 0, got ", o.gamma(), ", ", o.kl_weight(),
                   ", ", o.sigma());
    encoder = ConvEncoder(
        ConvEncoderOptions(o.image_size(), o.latent_dim()).channels(o.channels()).width(o.encoder_width()));
    generator = DCGANGenerator(DCGANGeneratorOptions(o.image_size())
                                   .channels(o.channels())
                                   .base_width(o.decoder_width())
                                   .latent_dim(o.latent_dim()));
    if (o.adversarial())
      discriminator = PatchDiscriminator(PatchDiscriminatorOptions(o.channels()).width(o.discriminator_width()));
  }

  /// "encoder", "generator", and "discriminator" for the VAE-GAN.
  void register_networks(Networks& n) {
    n.add("encoder", encoder, NetworkOptions().optimizer(options_.encoder_optimizer()))
        .add("generator", generator, NetworkOptions().optimizer(options_.decoder_optimizer()));
    if (options_.adversarial())
      n.add("discriminator", discriminator, NetworkOptions().optimizer(options_.discriminator_optimizer()));
  }

  /// One update of each network. Reports `g_loss` (the decoder's objective), `d_loss`, and the
  /// scalars `kl` (L_prior) and `llike` (L_llike).
  StepLosses train_step(ModelStep& step, const torch::data::Example<>& batch) {
    const torch::Tensor& x = batch.data;
    const int64_t n = x.size(0);
    const auto [mu, logvar] = encoder->forward(x);
    const torch::Tensor z = mu + torch::exp(0.5 * logvar) * step.noise(n, {options_.latent_dim()});
    const torch::Tensor kl = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp())).sum(1).mean();
    const torch::Tensor recon = generator->forward(z);
    const double inv = 1.0 / (2 * options_.sigma() * options_.sigma());
    auto llike = [&](const torch::Tensor& a, const torch::Tensor& b) { return inv * (a - b).pow(2).flatten(1).sum(1).mean(); };
    StepLosses out;
    step.zero_grad("encoder");
    step.zero_grad("generator");
    if (!options_.adversarial()) {
      const torch::Tensor rec = llike(recon, x);
      const torch::Tensor loss = rec + options_.kl_weight() * kl;
      loss.backward();
      step.update("encoder");
      step.update("generator");
      out.g_loss = loss.detach();
      out.scalars["kl"] = kl.detach();
      out.scalars["llike"] = rec.detach();
      return out;
    }
    const torch::Tensor prior = generator->forward(step.noise(n, {options_.latent_dim()}));
    const gancraft::detail::ScoreFn d = [this](const torch::Tensor& t) { return discriminator->forward(t); };
    // Discriminator: reals against reconstructions and prior samples.
    step.zero_grad("discriminator");
    const torch::Tensor d_loss = 0.5 * (gancraft::detail::discriminator_term(loss_, d, x, recon.detach()) +
                                        gancraft::detail::discriminator_term(loss_, d, x, prior.detach()));
    d_loss.backward();
    step.update("discriminator");
    // Encoder and decoder, judged by the updated discriminator, whose weights stay still.
    FrozenParameters frozen(discriminator->parameters());
    torch::Tensor want;
    {
      torch::NoGradGuard no_grad;
      want = discriminator->features(x);
    }
    const torch::Tensor rec = llike(discriminator->features(recon), want);
    const torch::Tensor adv = 0.5 * (gancraft::detail::generator_term(loss_, d, x, recon) +
                                     gancraft::detail::generator_term(loss_, d, x, prior));
    // The encoder's gradient is of L_prior + L_llike only; the decoder's of γ·L_llike + adv.
    // One backward pass each over the shared graph, gradients routed by `inputs`.
    const torch::Tensor enc_loss = options_.kl_weight() * kl + rec;
    const torch::Tensor dec_loss = options_.gamma() * rec + adv;
    const auto enc_params = encoder->parameters(), dec_params = generator->parameters();
    torch::autograd::backward({enc_loss}, {}, /*keep_graph=*/true, /*create_graph=*/false, enc_params);
    torch::autograd::backward({dec_loss}, {}, /*keep_graph=*/false, /*create_graph=*/false, dec_params);
    step.update("encoder");
    step.update("generator");
    out.d_loss = d_loss.detach();
    out.g_loss = dec_loss.detach();
    out.scalars["kl"] = kl.detach();
    out.scalars["llike"] = rec.detach();
    out.scalars["g_adversarial"] = adv.detach();
    return out;
  }

  /// Samples from the prior: the decoder's images of latents `z` `[N, latent_dim]`.
  torch::Tensor generate(const torch::Tensor& z) { return generator->forward(z); }
  /// Reconstructions Dec(μ(x)) of images `x`.
  torch::Tensor translate(const torch::Tensor& x) { return generator->forward(std::get<0>(encoder->forward(x))); }

  const VAEGANOptions& options() const { return options_; }  ///< the options

  ConvEncoder encoder{nullptr};              ///< network "encoder"
  DCGANGenerator generator{nullptr};         ///< network "generator" (the decoder)
  PatchDiscriminator discriminator{nullptr}; ///< network "discriminator" (null for the plain VAE)

 private:
  VAEGANOptions options_;
  L loss_;
};

}  // namespace gancraft::models
