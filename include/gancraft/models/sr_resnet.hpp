#pragma once
/// @file gancraft/models/sr_resnet.hpp
/// The residual super-resolution generator of SRGAN (Ledig et al. 2017, arXiv:1609.04802,
/// Fig. 4), upsampling by sub-pixel convolution (pixel shuffle; Shi et al. 2016,
/// arXiv:1609.05158).

#include <gancraft/error.hpp>

#include <torch/torch.h>

#include <cstdint>

namespace gancraft::models {

/// Options of `SRResNet`.
struct SRResNetOptions {
  /// The required options; the rest have defaults.
  explicit SRResNetOptions(int64_t channels) : channels_(channels) {}
  /// Image channels (in and out).
  TORCH_ARG(int64_t, channels);
  /// Feature channels of the residual trunk.
  TORCH_ARG(int64_t, width) = 32;
  /// Residual blocks.
  TORCH_ARG(int64_t, blocks) = 4;
  /// Upscaling factor: 2, 4 or 8 (one pixel-shuffle ×2 stage each).
  TORCH_ARG(int64_t, scale) = 2;
};

/// SRResNet: a 3×3 convolution with PReLU, `blocks` residual blocks (conv–PReLU–conv plus the
/// input), a convolution added to the trunk's input (the long skip), one ×2 stage per factor of
/// two (a convolution to 4× the channels, pixel shuffle, PReLU) and a 3×3 convolution to `tanh`.
/// Unlike the paper's, the blocks have no BatchNorm: Lim et al. 2017 (EDSR, arXiv:1707.02921)
/// found it hurts super-resolution, and without it each sample is independent of its batch.
class SRResNetImpl : public torch::nn::Module {
 public:
  /// Builds the layers; `OptionError` for bad options.
  explicit SRResNetImpl(SRResNetOptions options) : options_(options) {
    const int64_t s = options.scale();
    GANCRAFT_CHECK(options.channels() >= 1 && options.width() >= 1 && options.blocks() >= 0 &&
                       (s == 2 || s == 4 || s == 8),
                   OptionError, "SRResNet: channels and width must be >= 1, blocks >= 0 and scale 2, 4 or 8, got ",
                   options.channels(), ", ", options.width(), ", ", options.blocks(), ", ", s);
    namespace F = torch::nn;
    const int64_t w = options.width();
    auto conv = [](int64_t in, int64_t out) { return F::Conv2d(F::Conv2dOptions(in, out, 3).padding(1)); };
    stem_ = register_module("stem", F::Sequential(conv(options.channels(), w), F::PReLU()));
    for (int64_t i = 0; i < options.blocks(); ++i) blocks_->push_back(F::Sequential(conv(w, w), F::PReLU(), conv(w, w)));
    register_module("blocks", blocks_);
    trunk_end_ = register_module("trunk_end", conv(w, w));
    for (int64_t f = s; f > 1; f /= 2) upsample_->push_back(F::Sequential(conv(w, 4 * w), F::PixelShuffle(2), F::PReLU()));
    register_module("upsample", upsample_);
    head_ = register_module("head", conv(w, options.channels()));
  }

  /// Low-resolution images `[N, channels, h, w]` in [-1, 1] → `[N, channels, scale·h, scale·w]`.
  torch::Tensor forward(const torch::Tensor& low) {
    GANCRAFT_CHECK(low.dim() == 4 && low.size(1) == options_.channels() && low.size(2) > 0 && low.size(3) > 0,
                   ShapeError, "SRResNet: expected images [N, ", options_.channels(), ", h, w], got shape ",
                   low.sizes());
    const torch::Tensor x = stem_->forward(low);
    torch::Tensor h = x;
    for (const auto& b : *blocks_) h = h + b->as<torch::nn::Sequential>()->forward(h);
    h = x + trunk_end_->forward(h);
    for (const auto& u : *upsample_) h = u->as<torch::nn::Sequential>()->forward(h);
    return torch::tanh(head_->forward(h));
  }

  const SRResNetOptions& options() const { return options_; }  ///< the options

 private:
  SRResNetOptions options_;
  torch::nn::Sequential stem_{nullptr};
  torch::nn::ModuleList blocks_, upsample_;
  torch::nn::Conv2d trunk_end_{nullptr}, head_{nullptr};
};
/// Module holder for `SRResNetImpl`.
TORCH_MODULE(SRResNet);

}  // namespace gancraft::models
