#pragma once
/// @file gancraft/models/patch_discriminator.hpp
/// The PatchGAN discriminator of pix2pix (Isola et al. 2017, arXiv:1611.07004, §3.2.2): one
/// score per overlapping image patch instead of one per image, so it judges local texture and
/// leaves global structure to the reconstruction loss.

#include <gancraft/error.hpp>

#include <torch/torch.h>

#include <cstdint>

namespace gancraft::models {

/// Options of `PatchDiscriminator`.
struct PatchDiscriminatorOptions {
  /// The required options; the rest have defaults.
  explicit PatchDiscriminatorOptions(int64_t in_channels) : in_channels_(in_channels) {}
  /// Channels of its input: a conditional discriminator sees source and image concatenated.
  TORCH_ARG(int64_t, in_channels);
  /// Channels after the first convolution; they double at each halving.
  TORCH_ARG(int64_t, width) = 32;
  /// Stride-2 4×4 convolutions: each score covers a patch of 2^levels·4 pixels or so
  /// (two levels: 22×22 of a 28×28 image).
  TORCH_ARG(int64_t, levels) = 2;
};

/// PatchGAN: `levels` stride-2 4×4 convolutions (instance norm after the first, LeakyReLU 0.2),
/// a 3×3 convolution at twice the last width, and a 3×3 convolution to one logit per patch
/// (convolutions followed by instance norm have no bias, which it would cancel).
/// `features(x)` is the map before the last two convolutions: a feature space for
/// reconstruction losses (SRGAN's content loss, VAE-GAN's similarity).
class PatchDiscriminatorImpl : public torch::nn::Module {
 public:
  /// Builds the layers; `OptionError` for bad options.
  explicit PatchDiscriminatorImpl(PatchDiscriminatorOptions options) : options_(options) {
    GANCRAFT_CHECK(options.in_channels() >= 1 && options.width() >= 1 && options.levels() >= 1 &&
                       options.levels() <= 6,
                   OptionError, "PatchDiscriminator: in_channels and width must be >= 1 and levels in [1, 6], got ",
                   options.in_channels(), ", ", options.width(), ", ", options.levels());
    namespace F = torch::nn;
    int64_t c = options.in_channels();
    for (int64_t i = 0; i < options.levels(); ++i) {
      const int64_t out = options.width() << i;
      body_->push_back(F::Conv2d(F::Conv2dOptions(c, out, 4).stride(2).padding(1).bias(i == 0)));
      if (i > 0) body_->push_back(F::InstanceNorm2d(F::InstanceNorm2dOptions(out).affine(true)));
      body_->push_back(F::LeakyReLU(F::LeakyReLUOptions().negative_slope(0.2)));
      c = out;
    }
    register_module("body", body_);
    head_ = register_module(
        "head", F::Sequential(F::Conv2d(F::Conv2dOptions(c, 2 * c, 3).padding(1).bias(false)),
                              F::InstanceNorm2d(F::InstanceNorm2dOptions(2 * c).affine(true)),
                              F::LeakyReLU(F::LeakyReLUOptions().negative_slope(0.2)),
                              F::Conv2d(F::Conv2dOptions(2 * c, 1, 3).padding(1))));
  }

  /// The feature map `[N, width·2^(levels-1), H/2^levels, W/2^levels]`.
  torch::Tensor features(const torch::Tensor& x) {
    const int64_t k = int64_t{1} << options_.levels();
    GANCRAFT_CHECK(x.dim() == 4 && x.size(1) == options_.in_channels() && x.size(2) >= k && x.size(3) >= k,
                   ShapeError, "PatchDiscriminator: expected images [N, ", options_.in_channels(),
                   ", H, W] with H, W >= ", k, ", got shape ", x.sizes());
    return body_->forward(x);
  }

  /// Patch logits `[N, 1, H/2^levels, W/2^levels]`.
  torch::Tensor forward(const torch::Tensor& x) { return head_->forward(features(x)); }

  const PatchDiscriminatorOptions& options() const { return options_; }  ///< the options

 private:
  PatchDiscriminatorOptions options_;
  torch::nn::Sequential body_, head_{nullptr};
};
/// Module holder for `PatchDiscriminatorImpl`.
TORCH_MODULE(PatchDiscriminator);

}  // namespace gancraft::models
