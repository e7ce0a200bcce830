#pragma once
/// @file gancraft/models/conv_encoder.hpp
/// A convolutional encoder to a diagonal Gaussian over latent vectors: the inference network of
/// a VAE (Kingma & Welling 2014, arXiv:1312.6114) and of the VAE-GAN.

#include <gancraft/error.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <tuple>

namespace gancraft::models {

/// Options of `ConvEncoder`.
struct ConvEncoderOptions {
  /// The required options; the rest have defaults.
  ConvEncoderOptions(int64_t image_size, int64_t latent_dim) : image_size_(image_size), latent_dim_(latent_dim) {}
  /// Side of the square input images, divisible by 4.
  TORCH_ARG(int64_t, image_size);
  /// Size of the latent vector.
  TORCH_ARG(int64_t, latent_dim);
  TORCH_ARG(int64_t, channels) = 1;  ///< image channels
  TORCH_ARG(int64_t, width) = 32;    ///< channels of the first convolution (the second has twice)
};

/// Two stride-2 4×4 convolutions (LeakyReLU 0.2; BatchNorm after the second), flattened, then
/// one linear layer to the mean and the log-variance of q(z | x).
class ConvEncoderImpl : public torch::nn::Module {
 public:
  /// Builds the layers; `OptionError` for bad options.
  explicit ConvEncoderImpl(ConvEncoderOptions options) : options_(options) {
    GANCRAFT_CHECK(options.image_size() >= 4 && options.image_size() % 4 == 0 && options.latent_dim() >= 1 &&
                       options.channels() >= 1 && options.width() >= 1,
                   OptionError, "ConvEncoder: image_size must be a multiple of 4 and latent_dim, channels, width >= 1, got ",
                   options.image_size(), ", ", options.latent_dim(), ", ", options.channels(), ", ", options.width());
    namespace F = torch::nn;
    const int64_t w = options.width(), s = options.image_size() / 4;
    body_ = register_module(
        "body", F::Sequential(F::Conv2d(F::Conv2dOptions(options.channels(), w, 4).stride(2).padding(1)),
                              F::LeakyReLU(F::LeakyReLUOptions().negative_slope(0.2)),
                              F::Conv2d(F::Conv2dOptions(w, 2 * w, 4).stride(2).padding(1).bias(false)),
                              F::BatchNorm2d(2 * w), F::LeakyReLU(F::LeakyReLUOptions().negative_slope(0.2))));
    head_ = register_module("head", F::Linear(2 * w * s * s, 2 * options.latent_dim()));
  }

  /// Images `[N, channels, image_size, image_size]` → (mean, log-variance), each `[N, latent_dim]`.
  std::tuple<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x) {
    const int64_t s = options_.image_size();
    GANCRAFT_CHECK(x.dim() == 4 && x.size(1) == options_.channels() && x.size(2) == s && x.size(3) == s, ShapeError,
                   "ConvEncoder: expected images [N, ", options_.channels(), ", ", s, ", ", s, "], got shape ", x.sizes());
    const torch::Tensor h = head_->forward(body_->forward(x).flatten(1));
    auto parts = h.chunk(2, 1);
    return {parts[0], parts[1]};
  }

  const ConvEncoderOptions& options() const { return options_; }  ///< the options

 private:
  ConvEncoderOptions options_;
  torch::nn::Sequential body_{nullptr};
  torch::nn::Linear head_{nullptr};
};
/// Module holder for `ConvEncoderImpl`.
TORCH_MODULE(ConvEncoder);

}  // namespace gancraft::models
