#pragma once
/// @file gancraft/models/unet.hpp
/// The U-Net image-to-image generator of pix2pix (Isola et al. 2017, arXiv:1611.07004, §3.2.1):
/// an encoder–decoder whose decoder sees, at each resolution, the encoder's features of that
/// resolution (skip connections), so low-level structure such as edges passes straight through.

#include <gancraft/error.hpp>

#include <torch/torch.h>

#include <cstdint>

namespace gancraft::models {

/// Options of `UNetGenerator`.
struct UNetGeneratorOptions {
  /// The required options; the rest have defaults.
  UNetGeneratorOptions(int64_t in_channels, int64_t out_channels)
      : in_channels_(in_channels), out_channels_(out_channels) {}
  /// Channels of the source image.
  TORCH_ARG(int64_t, in_channels);
  /// Channels of the translated image.
  TORCH_ARG(int64_t, out_channels);
  /// Channels at full resolution; they double at each halving.
  TORCH_ARG(int64_t, width) = 32;
  /// Halvings of the resolution (stride-2 convolutions); the image's height and width must be
  /// divisible by 2^levels (28×28: at most 2).
  TORCH_ARG(int64_t, levels) = 2;
};

/// U-Net: a 3×3 convolution at full resolution, `levels` stride-2 4×4 convolutions
/// (instance norm, LeakyReLU 0.2), a 3×3 bottleneck, then transposed 4×4 convolutions back up,
/// each taking the concatenation of the layer below and the encoder's features of its
/// resolution (instance norm, ReLU), and a 3×3 convolution to `tanh` output in [-1, 1].
/// Instance norm (not BatchNorm) keeps every sample independent of the rest of its batch; the
/// convolutions it follows have no bias, which it would cancel.
/// pix2pix's decoder dropout is left out: the paper reports the net learns to ignore it.
class UNetGeneratorImpl : public torch::nn::Module {
 public:
  /// Builds the layers; `OptionError` for bad options.
  explicit UNetGeneratorImpl(UNetGeneratorOptions options) : options_(options) {
    GANCRAFT_CHECK(options.in_channels() >= 1 && options.out_channels() >= 1 && options.width() >= 1 &&
                       options.levels() >= 1 && options.levels() <= 6,
                   OptionError, "UNetGenerator: channels and width must be >= 1 and levels in [1, 6], got in ",
                   options.in_channels(), ", out ", options.out_channels(), ", width ", options.width(), ", levels ",
                   options.levels());
    namespace F = torch::nn;
    const int64_t w = options.width();
    stem_ = register_module("stem", F::Conv2d(F::Conv2dOptions(options.in_channels(), w, 3).padding(1)));
    for (int64_t i = 0; i < options.levels(); ++i) {
      const int64_t c = w << i;
      F::Sequential down(F::Conv2d(F::Conv2dOptions(c, 2 * c, 4).stride(2).padding(1).bias(false)),
                         F::InstanceNorm2d(F::InstanceNorm2dOptions(2 * c).affine(true)),
                         F::LeakyReLU(F::LeakyReLUOptions().negative_slope(0.2)));
      down_->push_back(down);
      // Up block i maps the concatenation at resolution i+1 (2·2c) back to resolution i (c).
      F::Sequential up(F::ConvTranspose2d(F::ConvTranspose2dOptions(4 * c, c, 4).stride(2).padding(1).bias(false)),
                       F::InstanceNorm2d(F::InstanceNorm2dOptions(c).affine(true)), F::ReLU());
      up_->push_back(up);
    }
    register_module("down", down_);
    register_module("up", up_);
    const int64_t deep = w << options.levels();
    bottleneck_ = register_module(
        "bottleneck", F::Sequential(F::Conv2d(F::Conv2dOptions(deep, deep, 3).padding(1).bias(false)),
                                    F::InstanceNorm2d(F::InstanceNorm2dOptions(deep).affine(true)), F::ReLU()));
    head_ = register_module("head", F::Conv2d(F::Conv2dOptions(2 * w, options.out_channels(), 3).padding(1)));
  }

  /// Source `[N, in_channels, H, W]` in [-1, 1] → image `[N, out_channels, H, W]` in [-1, 1].
  torch::Tensor forward(const torch::Tensor& source) {
    const int64_t k = int64_t{1} << options_.levels();
    GANCRAFT_CHECK(source.dim() == 4 && source.size(1) == options_.in_channels() && source.size(2) % k == 0 &&
                       source.size(3) % k == 0 && source.size(2) > 0 && source.size(3) > 0,
                   ShapeError, "UNetGenerator: expected a source [N, ", options_.in_channels(),
                   ", H, W] with H and W divisible by ", k, ", got shape ", source.sizes());
    std::vector<torch::Tensor> skips;
    torch::Tensor h = torch::leaky_relu(stem_->forward(source), 0.2);
    for (size_t i = 0; i < down_->size(); ++i) {
      skips.push_back(h);
      h = down_[i]->as<torch::nn::Sequential>()->forward(h);
    }
    h = torch::cat({bottleneck_->forward(h), h}, 1);
    for (size_t i = down_->size(); i-- > 0;) {
      h = up_[i]->as<torch::nn::Sequential>()->forward(h);
      h = torch::cat({h, skips[i]}, 1);
    }
    return torch::tanh(head_->forward(h));
  }

  const UNetGeneratorOptions& options() const { return options_; }  ///< the options

 private:
  UNetGeneratorOptions options_;
  torch::nn::Conv2d stem_{nullptr}, head_{nullptr};
  torch::nn::ModuleList down_, up_;
  torch::nn::Sequential bottleneck_{nullptr};
};
/// Module holder for `UNetGeneratorImpl`.
TORCH_MODULE(UNetGenerator);

}  // namespace gancraft::models
