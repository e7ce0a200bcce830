#pragma once
/// @file gancraft/models/mlp_options.hpp
/// Options for the fully connected generator and discriminator of the original
/// GAN (Goodfellow et al. 2014, "Generative Adversarial Nets", arXiv:1406.2661).

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace gancraft::models {

/// Options for `MLPGenerator` (Goodfellow et al. 2014, arXiv:1406.2661).
///
/// Example:
/// ```
/// MLPGenerator g(MLPGeneratorOptions(64, 784).hidden(256).output_shape({1, 28, 28}));
/// ```
struct MLPGeneratorOptions {
  /// `latent_dim` inputs, `output_dim` outputs.
  MLPGeneratorOptions(int64_t latent_dim, int64_t output_dim)
      : latent_dim_(latent_dim), output_dim_(output_dim) {}

  /// Size of the latent vector z.
  TORCH_ARG(int64_t, latent_dim);
  /// Number of outputs per sample.
  TORCH_ARG(int64_t, output_dim);
  /// Width of every hidden layer.
  TORCH_ARG(int64_t, hidden) = 128;
  /// Number of hidden layers (Linear + activation); 0 gives one Linear map.
  TORCH_ARG(int64_t, layers) = 2;
  /// BatchNorm1d between each hidden Linear and its ReLU.
  TORCH_ARG(bool, batch_norm) = false;
  /// If not empty, outputs are reshaped to [N, output_shape...]; its product
  /// must equal `output_dim` (e.g. {1, 28, 28} for 784).
  TORCH_ARG(std::vector<int64_t>, output_shape) = {};
};

/// Options for `MLPDiscriminator` (Goodfellow et al. 2014, arXiv:1406.2661).
///
/// Example:
/// ```
/// MLPDiscriminator d(MLPDiscriminatorOptions(784).hidden(256).layers(3));
/// ```
struct MLPDiscriminatorOptions {
  /// `input_dim` features per sample (images are flattened first).
  explicit MLPDiscriminatorOptions(int64_t input_dim) : input_dim_(input_dim) {}

  /// Number of input features per sample (C·H·W for images).
  TORCH_ARG(int64_t, input_dim);
  /// Width of every hidden layer.
  TORCH_ARG(int64_t, hidden) = 128;
  /// Number of hidden layers (Linear + LeakyReLU(0.2)); 0 gives one Linear map.
  TORCH_ARG(int64_t, layers) = 2;
  /// Spectral normalisation of every Linear (`nn::SpectralNorm`, Miyato et al. 2018,
  /// arXiv:1802.05957).
  TORCH_ARG(bool, spectral_norm) = false;
};

}  // namespace gancraft::models
