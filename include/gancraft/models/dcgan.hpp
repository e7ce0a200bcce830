#pragma once
/// @file gancraft/models/dcgan.hpp
/// The DCGAN generator and discriminator (Radford, Metz & Chintala, 2015,
/// "Unsupervised Representation Learning with Deep Convolutional Generative
/// Adversarial Networks", arXiv:1511.06434) for 28×28, 32×32 and 64×64 images.

#include <torch/torch.h>

#include <gancraft/error.hpp>
#include <gancraft/models/dcgan_options.hpp>
#include <gancraft/nn/spectral_norm.hpp>

#include <cstdint>
#include <ostream>
#include <utility>
#include <vector>

namespace gancraft::models {

namespace detail {

/// One (transposed) convolution of a DCGAN stack, with the spatial sizes it
/// maps between. Both the modules and `forward_flops` are built from this, so
/// the FLOP count cannot drift from the layers actually run.
struct DCGANLayer {
  int64_t in_channels;
  int64_t out_channels;
  int64_t kernel;
  int64_t stride;
  int64_t padding;
  int64_t in_size;   ///< input height = width
  int64_t out_size;  ///< output height = width
  bool batch_norm;   ///< BatchNorm2d follows (so the conv has no bias)
};

/// Throws OptionError unless the DCGAN options describe a buildable network.
inline void check_dcgan_options(const char* who, int64_t image_size, int64_t channels,
                                int64_t base_width) {
  GANCRAFT_CHECK(image_size == 28 || image_size == 32 || image_size == 64, OptionError,
                 who, ": image_size must be 28, 32 or 64, got ", image_size);
  GANCRAFT_CHECK(channels >= 1, OptionError, who, ": channels must be >= 1, got ", channels);
  GANCRAFT_CHECK(base_width >= 1, OptionError, who, ": base_width must be >= 1, got ",
                 base_width);
}

/// Hidden (BatchNorm'd or first) layers: 2 at 28×28 (7→14→28 after the 1→7
/// projection), 3 at 32×32 and 4 at 64×64 (1→4 then doublings).
inline int64_t dcgan_hidden_layers(int64_t image_size) {
  return image_size == 28 ? 2 : image_size == 32 ? 3 : 4;
}

/// Generator stack: widths 2^(n-1)·b … b, then `channels`.
inline std::vector<DCGANLayer> dcgan_generator_layers(const DCGANGeneratorOptions& o) {
  check_dcgan_options("DCGANGenerator", o.image_size(), o.channels(), o.base_width());
  GANCRAFT_CHECK(o.latent_dim() >= 1, OptionError,
                 "DCGANGenerator: latent_dim must be >= 1, got ", o.latent_dim());
  const int64_t n = dcgan_hidden_layers(o.image_size());
  const int64_t first_kernel = o.image_size() == 28 ? 7 : 4;
  std::vector<DCGANLayer> layers;
  int64_t width = o.base_width() << (n - 1);
  layers.push_back({o.latent_dim(), width, first_kernel, 1, 0, 1, first_kernel, true});
  int64_t size = first_kernel;
  for (int64_t i = 1; i < n; ++i) {
    layers.push_back({width, width / 2, 4, 2, 1, size, size * 2, true});
    width /= 2;
    size *= 2;
  }
  layers.push_back({width, o.channels(), 4, 2, 1, size, size * 2, false});
  return layers;
}

/// Discriminator stack: `channels`, then widths b … 2^(n-1)·b, then one
/// unpadded conv that covers the remaining map (7×7 or 4×4) to a 1×1 logit.
inline std::vector<DCGANLayer> dcgan_discriminator_layers(const DCGANDiscriminatorOptions& o) {
  check_dcgan_options("DCGANDiscriminator", o.image_size(), o.channels(), o.base_width());
  const int64_t n = dcgan_hidden_layers(o.image_size());
  std::vector<DCGANLayer> layers;
  int64_t size = o.image_size();
  int64_t width = o.base_width();
  // The first conv sees raw pixels; DCGAN leaves it without BatchNorm.
  layers.push_back({o.channels(), width, 4, 2, 1, size, size / 2, false});
  size /= 2;
  for (int64_t i = 1; i < n; ++i) {
    layers.push_back({width, width * 2, 4, 2, 1, size, size / 2, o.batch_norm()});
    width *= 2;
    size /= 2;
  }
  layers.push_back({width, 1, size, 1, 0, size, 1, false});
  return layers;
}

/// 2·MACs of a stack for `batch` samples. A convolution costs
/// out_size²·C_out·C_in·k² MACs per sample; a transposed convolution scatters a
/// k×k×C_out patch from every input pixel, in_size²·C_in·C_out·k² MACs
/// (contributions later cropped by padding included, as fvcore and ptflops
/// count it). Bias, BatchNorm and activations are not counted.
inline int64_t dcgan_flops(const std::vector<DCGANLayer>& layers, bool transposed,
                           int64_t batch) {
  GANCRAFT_CHECK(batch >= 0, OptionError, "forward_flops: batch must be >= 0, got ", batch);
  int64_t macs = 0;
  for (const auto& l : layers) {
    const int64_t pixels = transposed ? l.in_size * l.in_size : l.out_size * l.out_size;
    macs += pixels * l.in_channels * l.out_channels * l.kernel * l.kernel;
  }
  return 2 * macs * batch;
}

/// DCGAN initialisation (Radford et al. 2015, §4): conv weights N(0, 0.02),
/// BatchNorm weights N(1, 0.02), all biases 0. Draws from the global torch RNG.
inline void dcgan_init(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (const auto& m : module.modules(/*include_self=*/false)) {
    if (auto* conv = m->as<torch::nn::Conv2d>()) {
      conv->weight.normal_(0.0, 0.02);
      if (conv->bias.defined()) conv->bias.zero_();
    } else if (auto* convt = m->as<torch::nn::ConvTranspose2d>()) {
      convt->weight.normal_(0.0, 0.02);
      if (convt->bias.defined()) convt->bias.zero_();
    } else if (auto* bn = m->as<torch::nn::BatchNorm2d>()) {
      bn->weight.normal_(1.0, 0.02);
      bn->bias.zero_();
    }
  }
}

}  // namespace detail

/// DCGAN generator (Radford et al. 2015, arXiv:1511.06434): z ∈ R^latent_dim to
/// an image in [-1, 1]^(C×S×S) through transposed convolutions, BatchNorm2d +
/// ReLU after every layer but the last, and Tanh at the end.
///
/// Example:
/// ```
/// torch::manual_seed(0);  // the init draws from the global RNG
/// DCGANGenerator g(DCGANGeneratorOptions(28));
/// auto images = g(torch::randn({16, 100}));  // [16, 1, 28, 28]
/// ```
class DCGANGeneratorImpl : public torch::nn::Cloneable<DCGANGeneratorImpl> {
 public:
  /// Builds and initialises the network; throws OptionError on bad options.
  explicit DCGANGeneratorImpl(DCGANGeneratorOptions options) : options(std::move(options)) {
    reset();
  }

  /// (Re)builds the layers from `options` and initialises them (DCGAN init).
  void reset() override {
    net_ = torch::nn::Sequential();
    const auto layers = detail::dcgan_generator_layers(options);
    for (const auto& l : layers) {
      net_->push_back(torch::nn::ConvTranspose2d(
          torch::nn::ConvTranspose2dOptions(l.in_channels, l.out_channels, l.kernel)
              .stride(l.stride)
              .padding(l.padding)
              .bias(!l.batch_norm)));
      if (l.batch_norm) {
        net_->push_back(torch::nn::BatchNorm2d(l.out_channels));
        net_->push_back(torch::nn::ReLU());
      }
    }
    net_->push_back(torch::nn::Tanh());
    net_ = register_module("net", net_);
    reset_parameters();
  }

  /// Re-draws every weight with the DCGAN init (global torch RNG).
  void reset_parameters() { detail::dcgan_init(*this); }

  /// z: [N, latent_dim] or [N, latent_dim, 1, 1]; returns [N, channels, S, S]
  /// in [-1, 1]. Throws ShapeError on any other shape.
  torch::Tensor forward(const torch::Tensor& z) {
    const int64_t latent = options.latent_dim();
    const bool flat = z.dim() == 2 && z.size(1) == latent;
    const bool spatial = z.dim() == 4 && z.size(1) == latent && z.size(2) == 1 && z.size(3) == 1;
    GANCRAFT_CHECK(flat || spatial, ShapeError, "DCGANGenerator: expected z of shape [N, ",
                   latent, "] or [N, ", latent, ", 1, 1], got ", z.sizes());
    return net_->forward(z.reshape({-1, latent, 1, 1}));  // -1: an exported trace serves any batch
  }

  /// FLOPs (2 × multiply-accumulates of the transposed convolutions) of one
  /// forward pass over `batch` latent vectors.
  int64_t forward_flops(int64_t batch) const {
    return detail::dcgan_flops(detail::dcgan_generator_layers(options), /*transposed=*/true,
                               batch);
  }

  /// Prints `gancraft::models::DCGANGenerator(image_size=…, …)`.
  void pretty_print(std::ostream& stream) const override {
    stream << "gancraft::models::DCGANGenerator(image_size=" << options.image_size()
           << ", channels=" << options.channels() << ", base_width=" << options.base_width()
           << ", latent_dim=" << options.latent_dim() << ")";
  }

  /// The options the network was built from.
  DCGANGeneratorOptions options;

 private:
  torch::nn::Sequential net_{nullptr};
};

/// Module holder for `DCGANGeneratorImpl` (Radford et al. 2015, arXiv:1511.06434).
TORCH_MODULE(DCGANGenerator);

/// DCGAN discriminator (Radford et al. 2015, arXiv:1511.06434): strided
/// convolutions with LeakyReLU(0.2), BatchNorm2d on every conv but the first
/// (none when `batch_norm(false)`), and a final unpadded conv to one logit per
/// image. Returns raw logits: the losses apply their own sigmoid/softplus.
///
/// Example:
/// ```
/// DCGANDiscriminator d(DCGANDiscriminatorOptions(28));
/// auto logits = d(images);  // [N]
/// ```
class DCGANDiscriminatorImpl : public torch::nn::Cloneable<DCGANDiscriminatorImpl> {
 public:
  /// Builds and initialises the network; throws OptionError on bad options.
  explicit DCGANDiscriminatorImpl(DCGANDiscriminatorOptions options)
      : options(std::move(options)) {
    reset();
  }

  /// (Re)builds the layers from `options` and initialises them (DCGAN init).
  void reset() override {
    net_ = torch::nn::Sequential();
    const auto layers = detail::dcgan_discriminator_layers(options);
    for (size_t i = 0; i < layers.size(); ++i) {
      const auto& l = layers[i];
      net_->push_back(torch::nn::Conv2d(
          torch::nn::Conv2dOptions(l.in_channels, l.out_channels, l.kernel)
              .stride(l.stride)
              .padding(l.padding)
              .bias(!l.batch_norm)));
      if (i + 1 == layers.size()) break;  // the logit layer has no activation
      if (l.batch_norm) net_->push_back(torch::nn::BatchNorm2d(l.out_channels));
      net_->push_back(
          torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2)));
    }
    net_ = register_module("net", net_);
    reset_parameters();
    // After the init: SpectralNorm keeps the initialised weight as its trainable parameter.
    if (options.spectral_norm()) net_ = replace_module("net", nn::spectral_norm(net_));
  }

  /// Re-draws every weight with the DCGAN init (global torch RNG); before spectral norm only.
  void reset_parameters() { detail::dcgan_init(*this); }

  /// x: [N, channels, S, S]; returns [N] raw logits. Throws ShapeError on any
  /// other shape.
  torch::Tensor forward(const torch::Tensor& x) {
    const int64_t c = options.channels();
    const int64_t s = options.image_size();
    GANCRAFT_CHECK(x.dim() == 4 && x.size(1) == c && x.size(2) == s && x.size(3) == s,
                   ShapeError, "DCGANDiscriminator: expected images of shape [N, ", c, ", ",
                   s, ", ", s, "], got ", x.sizes());
    return net_->forward(x).reshape({x.size(0)});
  }

  /// FLOPs (2 × multiply-accumulates of the convolutions) of one forward pass
  /// over `batch` images.
  int64_t forward_flops(int64_t batch) const {
    return detail::dcgan_flops(detail::dcgan_discriminator_layers(options),
                               /*transposed=*/false, batch);
  }

  /// Prints `gancraft::models::DCGANDiscriminator(image_size=…, …)`.
  void pretty_print(std::ostream& stream) const override {
    stream << "gancraft::models::DCGANDiscriminator(image_size=" << options.image_size()
           << ", channels=" << options.channels() << ", base_width=" << options.base_width()
           << ", batch_norm=" << (options.batch_norm() ? "true" : "false") << ")";
  }

  /// The options the network was built from.
  DCGANDiscriminatorOptions options;

 private:
  torch::nn::Sequential net_{nullptr};
};

/// Module holder for `DCGANDiscriminatorImpl` (Radford et al. 2015, arXiv:1511.06434).
TORCH_MODULE(DCGANDiscriminator);

}  // namespace gancraft::models
