#pragma once
/// @file gancraft/models/sngan_options.hpp
/// Options for the SNGAN ResNet generator and discriminator for 32×32 images (Miyato, Kataoka,
/// Koyama & Yoshida, 2018, "Spectral Normalization for Generative Adversarial Networks",
/// arXiv:1802.05957, appendix "ResNet architectures for CIFAR-10"), which follow the WGAN-GP
/// ResNets of Gulrajani et al. 2017 (arXiv:1704.00028).

#include <torch/torch.h>

#include <cstdint>

namespace gancraft::models {

/// Options for `SNGANGenerator` (Miyato et al. 2018, arXiv:1802.05957).
///
/// Example:
/// ```
/// SNGANGenerator g(SNGANGeneratorOptions(128).channels(256).image_channels(3));
/// ```
struct SNGANGeneratorOptions {
  /// Size of the latent vector z (128 in the paper).
  explicit SNGANGeneratorOptions(int64_t latent_dim) : latent_dim_(latent_dim) {}

  /// Size of the latent vector z.
  TORCH_ARG(int64_t, latent_dim);
  /// Feature maps of the 4×4 projection and of every up-sampling residual block.
  TORCH_ARG(int64_t, channels) = 256;
  /// Channels of the generated images (3 for RGB, 1 for grey).
  TORCH_ARG(int64_t, image_channels) = 3;
};

/// Options for `SNGANDiscriminator` (Miyato et al. 2018, arXiv:1802.05957).
///
/// Example:
/// ```
/// SNGANDiscriminator d(SNGANDiscriminatorOptions().channels(64).spectral_norm(true));
/// ```
struct SNGANDiscriminatorOptions {
  /// Feature maps of every residual block.
  TORCH_ARG(int64_t, channels) = 128;
  /// Channels of the input images.
  TORCH_ARG(int64_t, image_channels) = 3;
  /// Wrap every convolution and the final Linear in `gancraft::nn::SpectralNorm`. Turn off
  /// for a plain ResNet critic (for instance WGAN-GP, Gulrajani et al. 2017,
  /// arXiv:1704.00028).
  TORCH_ARG(bool, spectral_norm) = true;
};

}  // namespace gancraft::models
