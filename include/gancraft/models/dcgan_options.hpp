#pragma once
/// @file gancraft/models/dcgan_options.hpp
/// Options for the DCGAN generator and discriminator (Radford, Metz & Chintala,
/// 2015, "Unsupervised Representation Learning with Deep Convolutional
/// Generative Adversarial Networks", arXiv:1511.06434).

#include <torch/torch.h>

#include <cstdint>

namespace gancraft::models {

/// Options for `DCGANGenerator` (Radford et al. 2015, arXiv:1511.06434).
/// `image_size` must be 28, 32 or 64; it is checked when the module is built.
///
/// Example:
/// ```
/// DCGANGenerator g(DCGANGeneratorOptions(64).channels(3).latent_dim(128));
/// ```
struct DCGANGeneratorOptions {
  /// Side of the square images produced (28, 32 or 64).
  explicit DCGANGeneratorOptions(int64_t image_size) : image_size_(image_size) {}

  /// Side of the square images produced: 28, 32 or 64.
  TORCH_ARG(int64_t, image_size);
  /// Channels of the generated images (1 for grey, 3 for RGB).
  TORCH_ARG(int64_t, channels) = 1;
  /// Width scale `b`: the last hidden layer has `b` feature maps, each earlier
  /// one twice as many (8b, 4b, 2b, b at 64×64).
  TORCH_ARG(int64_t, base_width) = 64;
  /// Size of the latent vector z.
  TORCH_ARG(int64_t, latent_dim) = 100;
};

/// Options for `DCGANDiscriminator` (Radford et al. 2015, arXiv:1511.06434).
/// `image_size` must be 28, 32 or 64; it is checked when the module is built.
///
/// Example:
/// ```
/// DCGANDiscriminator d(DCGANDiscriminatorOptions(32).channels(3).batch_norm(false));
/// ```
struct DCGANDiscriminatorOptions {
  /// Side of the square images judged (28, 32 or 64).
  explicit DCGANDiscriminatorOptions(int64_t image_size) : image_size_(image_size) {}

  /// Side of the square input images: 28, 32 or 64.
  TORCH_ARG(int64_t, image_size);
  /// Channels of the input images.
  TORCH_ARG(int64_t, channels) = 1;
  /// Width scale `b`: the first conv has `b` feature maps, each later one twice
  /// as many (b, 2b, 4b, 8b at 64×64).
  TORCH_ARG(int64_t, base_width) = 64;
  /// BatchNorm after every conv but the first. Turn off for critics whose
  /// penalty is per-sample, such as WGAN-GP (Gulrajani et al. 2017,
  /// arXiv:1704.00028), which then have no BatchNorm at all.
  TORCH_ARG(bool, batch_norm) = true;
  /// Spectral normalisation of every conv (`nn::SpectralNorm`, Miyato et al. 2018,
  /// arXiv:1802.05957), applied after the DCGAN init.
  TORCH_ARG(bool, spectral_norm) = false;
};

}  // namespace gancraft::models
