#pragma once
/// @file gancraft/models/resnet_translator.hpp
/// The ResNet image-to-image generator of CycleGAN (Zhu et al. 2017, arXiv:1703.10593,
/// appendix 7.2, after Johnson et al. 2016): downsample twice, residual blocks, upsample twice.

#include <gancraft/error.hpp>

#include <torch/torch.h>

#include <cstdint>

namespace gancraft::models {

/// Options of `ResNetTranslator`.
struct ResNetTranslatorOptions {
  /// The required options; the rest have defaults.
  ResNetTranslatorOptions(int64_t in_channels, int64_t out_channels)
      : in_channels_(in_channels), out_channels_(out_channels) {}
  TORCH_ARG(int64_t, in_channels);   ///< channels of the source images
  TORCH_ARG(int64_t, out_channels);  ///< channels of the translated images
  TORCH_ARG(int64_t, width) = 16;    ///< channels of the first layer (the paper's 64); ×4 in the blocks
  TORCH_ARG(int64_t, blocks) = 3;    ///< residual blocks (the paper's 6 at 128 px, 9 at 256 px)
};

/// c7s1-w, d2w, d4w, `blocks` × R4w, u2w, uw, c7s1-out (the paper's notation): 7×7 convolutions
/// with reflection padding at full resolution, stride-2 3×3 convolutions down, transposed ones
/// up, instance norm and ReLU after each hidden layer, `tanh` at the end. The image's height and
/// width must be divisible by 4.
class ResNetTranslatorImpl : public torch::nn::Module {
 public:
  /// Builds the layers; `OptionError` for bad options.
  explicit ResNetTranslatorImpl(ResNetTranslatorOptions options) : options_(options) {
    GANCRAFT_CHECK(options.in_channels() >= 1 && options.out_channels() >= 1 && options.width() >= 1 &&
                       options.blocks() >= 0,
                   OptionError, "ResNetTranslator: channels and width must be >= 1 and blocks >= 0, got ",
                   options.in_channels(), ", ", options.out_channels(), ", ", options.width(), ", ", options.blocks());
    namespace F = torch::nn;
    const int64_t w = options.width();
    auto norm_relu = [](F::Sequential& s, int64_t c) {
      s->push_back(F::InstanceNorm2d(F::InstanceNorm2dOptions(c).affine(true)));
      s->push_back(F::ReLU());
    };
    // Convolutions followed by instance norm have no bias, which it would cancel.
    F::Sequential down(F::ReflectionPad2d(3), F::Conv2d(F::Conv2dOptions(options.in_channels(), w, 7).bias(false)));
    norm_relu(down, w);
    for (int64_t c = w; c < 4 * w; c *= 2) {
      down->push_back(F::Conv2d(F::Conv2dOptions(c, 2 * c, 3).stride(2).padding(1).bias(false)));
      norm_relu(down, 2 * c);
    }
    down_ = register_module("down", down);
    for (int64_t i = 0; i < options.blocks(); ++i) {
      F::Sequential b(F::ReflectionPad2d(1), F::Conv2d(F::Conv2dOptions(4 * w, 4 * w, 3).bias(false)));
      norm_relu(b, 4 * w);
      b->push_back(F::ReflectionPad2d(1));
      b->push_back(F::Conv2d(F::Conv2dOptions(4 * w, 4 * w, 3).bias(false)));
      b->push_back(F::InstanceNorm2d(F::InstanceNorm2dOptions(4 * w).affine(true)));
      blocks_->push_back(b);
    }
    register_module("blocks", blocks_);
    F::Sequential up;
    for (int64_t c = 4 * w; c > w; c /= 2) {
      up->push_back(F::ConvTranspose2d(F::ConvTranspose2dOptions(c, c / 2, 3).stride(2).padding(1).output_padding(1).bias(false)));
      norm_relu(up, c / 2);
    }
    up->push_back(F::ReflectionPad2d(3));
    up->push_back(F::Conv2d(F::Conv2dOptions(w, options.out_channels(), 7)));
    up_ = register_module("up", up);
  }

  /// Source `[N, in_channels, H, W]` in [-1, 1] → `[N, out_channels, H, W]` in [-1, 1].
  torch::Tensor forward(const torch::Tensor& x) {
    GANCRAFT_CHECK(x.dim() == 4 && x.size(1) == options_.in_channels() && x.size(2) % 4 == 0 && x.size(3) % 4 == 0 &&
                       x.size(2) >= 8 && x.size(3) >= 8,
                   ShapeError, "ResNetTranslator: expected a source [N, ", options_.in_channels(),
                   ", H, W] with H and W divisible by 4 and >= 8, got shape ", x.sizes());
    torch::Tensor h = down_->forward(x);
    for (const auto& b : *blocks_) h = h + b->as<torch::nn::Sequential>()->forward(h);
    return torch::tanh(up_->forward(h));
  }

  const ResNetTranslatorOptions& options() const { return options_; }  ///< the options

 private:
  ResNetTranslatorOptions options_;
  torch::nn::Sequential down_{nullptr}, up_{nullptr};
  torch::nn::ModuleList blocks_;
};
/// Module holder for `ResNetTranslatorImpl`.
TORCH_MODULE(ResNetTranslator);

}  // namespace gancraft::models
