#pragma once
/// @file gancraft/models/conditional_dcgan.hpp
/// Class-conditional DCGANs: a generator that takes the label as a one-hot code beside z
/// (Mirza & Osindero 2014, arXiv:1411.1784), a projection discriminator (Miyato & Koyama 2018,
/// arXiv:1802.05637) and an AC-GAN discriminator (Odena et al. 2017, arXiv:1610.09585), all on
/// the DCGAN stacks of `dcgan.hpp`.

#include <gancraft/error.hpp>
#include <gancraft/models/dcgan.hpp>
#include <gancraft/models/dcgan_options.hpp>
#include <gancraft/nn/projection_head.hpp>

#include <torch/arg.h>
#include <torch/torch.h>

#include <cstdint>
#include <utility>

namespace gancraft::models {

/// Options for `ConditionalDCGANGenerator`.
struct ConditionalDCGANGeneratorOptions {
  /// `dcgan`'s network for labels in `[0, num_classes)`; `dcgan.latent_dim()` is the size of z.
  ConditionalDCGANGeneratorOptions(DCGANGeneratorOptions dcgan, int64_t num_classes)
      : dcgan_(std::move(dcgan)), num_classes_(num_classes) {}
  TORCH_ARG(DCGANGeneratorOptions, dcgan);  ///< image size, channels, widths, latent size
  TORCH_ARG(int64_t, num_classes);          ///< number of classes
};

/// Options for `ProjectionDCGANDiscriminator` and `AuxiliaryDCGANDiscriminator`.
struct ConditionalDCGANDiscriminatorOptions {
  /// `dcgan`'s convolutions for labels in `[0, num_classes)`.
  ConditionalDCGANDiscriminatorOptions(DCGANDiscriminatorOptions dcgan, int64_t num_classes)
      : dcgan_(std::move(dcgan)), num_classes_(num_classes) {}
  TORCH_ARG(DCGANDiscriminatorOptions, dcgan);  ///< image size, channels, widths, BatchNorm
  TORCH_ARG(int64_t, num_classes);              ///< number of classes
};

namespace detail {

inline void check_num_classes(const char* who, int64_t num_classes) {
  GANCRAFT_CHECK(num_classes >= 1, OptionError, who, ": num_classes must be >= 1, got ", num_classes);
}

/// `labels` int64 `[n]`, or a `ShapeError` naming `who`. Their range is not checked here (that
/// would read them back to the host on every step); the trainer checks the data's labels once.
inline void check_labels(const char* who, const torch::Tensor& labels, int64_t n) {
  GANCRAFT_CHECK(labels.dim() == 1 && labels.size(0) == n && labels.scalar_type() == torch::kLong,
                 ShapeError, who, ": expected int64 labels [", n, "], got ", labels.scalar_type(), " ",
                 labels.sizes());
}

/// The DCGAN discriminator's convolutions without its final logit layer, and the size of the
/// flattened feature map they produce.
inline std::pair<torch::nn::Sequential, int64_t> dcgan_discriminator_body(const DCGANDiscriminatorOptions& o) {
  const auto layers = dcgan_discriminator_layers(o);
  torch::nn::Sequential body;
  for (size_t i = 0; i + 1 < layers.size(); ++i) {
    const auto& l = layers[i];
    body->push_back(torch::nn::Conv2d(
        torch::nn::Conv2dOptions(l.in_channels, l.out_channels, l.kernel).stride(l.stride).padding(l.padding).bias(!l.batch_norm)));
    if (l.batch_norm) body->push_back(torch::nn::BatchNorm2d(l.out_channels));
    body->push_back(torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2)));
  }
  const auto& last = layers.back();  // covers the whole remaining map
  return {body, last.in_channels * last.in_size * last.in_size};
}

inline torch::Tensor checked_images(const char* who, const DCGANDiscriminatorOptions& o, const torch::Tensor& x) {
  const int64_t c = o.channels(), s = o.image_size();
  GANCRAFT_CHECK(x.dim() == 4 && x.size(1) == c && x.size(2) == s && x.size(3) == s, ShapeError, who,
                 ": expected images of shape [N, ", c, ", ", s, ", ", s, "], got ", x.sizes());
  return x;
}

}  // namespace detail

/// A class-conditional DCGAN generator: the label's one-hot code is concatenated to z and the
/// DCGAN generator (`dcgan.hpp`) maps the `latent_dim + num_classes` vector to an image.
/// @code
/// ConditionalDCGANGenerator g(ConditionalDCGANGeneratorOptions(DCGANGeneratorOptions(28), 10));
/// auto images = g(torch::randn({10, 100}), torch::arange(10));  // [10, 1, 28, 28]
/// @endcode
class ConditionalDCGANGeneratorImpl : public torch::nn::Cloneable<ConditionalDCGANGeneratorImpl> {
 public:
  /// Builds and initialises the network (DCGAN init); `OptionError` on bad options.
  explicit ConditionalDCGANGeneratorImpl(ConditionalDCGANGeneratorOptions options) : options(std::move(options)) {
    reset();
  }
  /// (Re)builds the network.
  void reset() override {
    detail::check_num_classes("ConditionalDCGANGenerator", options.num_classes());
    auto inner = options.dcgan();
    inner.latent_dim(options.dcgan().latent_dim() + options.num_classes());
    net = register_module("net", DCGANGenerator(inner));
  }
  /// z `[N, latent_dim]`, labels int64 `[N]`; returns `[N, channels, S, S]` in [-1, 1].
  torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& labels) {
    const int64_t latent = options.dcgan().latent_dim();
    GANCRAFT_CHECK(z.dim() == 2 && z.size(1) == latent, ShapeError,
                   "ConditionalDCGANGenerator: expected z of shape [N, ", latent, "], got ", z.sizes());
    detail::check_labels("ConditionalDCGANGenerator", labels, z.size(0));
    return net(torch::cat({z, torch::one_hot(labels, options.num_classes()).to(z.dtype())}, 1));
  }
  ConditionalDCGANGeneratorOptions options;  ///< the options it was built from
  DCGANGenerator net{nullptr};               ///< the DCGAN generator over [z, one-hot]
};
/// Module holder for `ConditionalDCGANGeneratorImpl`.
TORCH_MODULE(ConditionalDCGANGenerator);

/// A projection discriminator on DCGAN convolutions: φ(x) is the flattened last feature map
/// (what DCGAN's final convolution reads) and `nn::ProjectionHead` scores (φ(x), y).
/// A `ConditionalDiscriminator`: `forward(x, labels)` returns `[N]` logits.
class ProjectionDCGANDiscriminatorImpl : public torch::nn::Cloneable<ProjectionDCGANDiscriminatorImpl> {
 public:
  /// Builds and initialises the network; `OptionError` on bad options.
  explicit ProjectionDCGANDiscriminatorImpl(ConditionalDCGANDiscriminatorOptions options)
      : options(std::move(options)) {
    reset();
  }
  /// (Re)builds the network: DCGAN init for the convolutions, the head's own for the head.
  void reset() override {
    detail::check_num_classes("ProjectionDCGANDiscriminator", options.num_classes());
    auto [b, features] = detail::dcgan_discriminator_body(options.dcgan());
    body = register_module("body", b);
    models::detail::dcgan_init(*body);
    head = register_module("head", nn::ProjectionHead(nn::ProjectionHeadOptions(features, options.num_classes())));
  }
  /// x `[N, channels, S, S]`, labels int64 `[N]`; returns `[N]`.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& labels) {
    detail::checked_images("ProjectionDCGANDiscriminator", options.dcgan(), x);
    detail::check_labels("ProjectionDCGANDiscriminator", labels, x.size(0));
    return head(body->forward(x).flatten(1), labels);
  }
  ConditionalDCGANDiscriminatorOptions options;  ///< the options it was built from
  torch::nn::Sequential body{nullptr};           ///< φ: the DCGAN convolutions
  nn::ProjectionHead head{nullptr};              ///< ψ(φ) + ⟨V_y, φ⟩
};
/// Module holder for `ProjectionDCGANDiscriminatorImpl`.
TORCH_MODULE(ProjectionDCGANDiscriminator);

/// An AC-GAN discriminator on DCGAN convolutions: a Linear layer from the flattened last
/// feature map to `1 + num_classes` outputs (an adversarial logit, then class logits), for
/// `losses::AuxiliaryClassifier`. `forward(x)` returns `[N, 1 + num_classes]`.
class AuxiliaryDCGANDiscriminatorImpl : public torch::nn::Cloneable<AuxiliaryDCGANDiscriminatorImpl> {
 public:
  /// Builds and initialises the network; `OptionError` on bad options.
  explicit AuxiliaryDCGANDiscriminatorImpl(ConditionalDCGANDiscriminatorOptions options)
      : options(std::move(options)) {
    reset();
  }
  /// (Re)builds the network (DCGAN init for the convolutions).
  void reset() override {
    detail::check_num_classes("AuxiliaryDCGANDiscriminator", options.num_classes());
    auto [b, features] = detail::dcgan_discriminator_body(options.dcgan());
    body = register_module("body", b);
    models::detail::dcgan_init(*body);
    out = register_module("out", torch::nn::Linear(features, 1 + options.num_classes()));
  }
  /// x `[N, channels, S, S]`; returns `[N, 1 + num_classes]`.
  torch::Tensor forward(const torch::Tensor& x) {
    detail::checked_images("AuxiliaryDCGANDiscriminator", options.dcgan(), x);
    return out(body->forward(x).flatten(1));
  }
  ConditionalDCGANDiscriminatorOptions options;  ///< the options it was built from
  torch::nn::Sequential body{nullptr};           ///< the DCGAN convolutions
  torch::nn::Linear out{nullptr};                ///< to the logit and the class logits
};
/// Module holder for `AuxiliaryDCGANDiscriminatorImpl`.
TORCH_MODULE(AuxiliaryDCGANDiscriminator);

}  // namespace gancraft::models
