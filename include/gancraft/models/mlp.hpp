#pragma once
/// @file gancraft/models/mlp.hpp
/// Fully connected generator and discriminator, as in the original GAN
/// (Goodfellow et al. 2014, "Generative Adversarial Nets", arXiv:1406.2661).

#include <torch/torch.h>

#include <gancraft/error.hpp>
#include <gancraft/models/mlp_options.hpp>
#include <gancraft/nn/spectral_norm.hpp>

#include <cstdint>
#include <ostream>
#include <utility>
#include <vector>

namespace gancraft::models {

namespace detail {

/// Throws OptionError unless hidden/layers describe a buildable MLP.
inline void check_mlp_options(const char* who, int64_t in, const char* in_name, int64_t hidden,
                              int64_t layers) {
  GANCRAFT_CHECK(in >= 1, OptionError, who, ": ", in_name, " must be >= 1, got ", in);
  GANCRAFT_CHECK(hidden >= 1, OptionError, who, ": hidden must be >= 1, got ", hidden);
  GANCRAFT_CHECK(layers >= 0, OptionError, who, ": layers must be >= 0, got ", layers);
}

/// 2·MACs of an MLP with `layers` hidden layers of width `hidden`.
inline int64_t mlp_flops(int64_t in, int64_t hidden, int64_t layers, int64_t out,
                         int64_t batch) {
  GANCRAFT_CHECK(batch >= 0, OptionError, "forward_flops: batch must be >= 0, got ", batch);
  const int64_t macs =
      layers == 0 ? in * out : in * hidden + (layers - 1) * hidden * hidden + hidden * out;
  return 2 * macs * batch;
}

}  // namespace detail

/// Fully connected generator (Goodfellow et al. 2014, arXiv:1406.2661):
/// `layers` hidden Linear layers of width `hidden`, each followed by
/// (BatchNorm1d and) ReLU, then a Linear to `output_dim` with no output
/// activation. Default LibTorch Linear initialisation.
///
/// Example:
/// ```
/// MLPGenerator g(MLPGeneratorOptions(64, 784).output_shape({1, 28, 28}));
/// auto images = g(torch::randn({8, 64}));  // [8, 1, 28, 28]
/// ```
class MLPGeneratorImpl : public torch::nn::Cloneable<MLPGeneratorImpl> {
 public:
  /// Builds the network; throws OptionError on bad options.
  explicit MLPGeneratorImpl(MLPGeneratorOptions options) : options(std::move(options)) {
    reset();
  }

  /// (Re)builds and re-initialises the layers from `options`.
  void reset() override {
    const auto& o = options;
    detail::check_mlp_options("MLPGenerator", o.latent_dim(), "latent_dim", o.hidden(),
                              o.layers());
    GANCRAFT_CHECK(o.output_dim() >= 1, OptionError,
                   "MLPGenerator: output_dim must be >= 1, got ", o.output_dim());
    if (!o.output_shape().empty()) {
      int64_t product = 1;
      for (int64_t d : o.output_shape()) product *= d;
      GANCRAFT_CHECK(product == o.output_dim(), OptionError, "MLPGenerator: output_shape ",
                     c10::IntArrayRef(o.output_shape()), " has ", product,
                     " elements but output_dim is ", o.output_dim());
    }
    net_ = torch::nn::Sequential();
    int64_t in = o.latent_dim();
    for (int64_t i = 0; i < o.layers(); ++i) {
      // A bias before BatchNorm is cancelled by its mean subtraction.
      net_->push_back(
          torch::nn::Linear(torch::nn::LinearOptions(in, o.hidden()).bias(!o.batch_norm())));
      if (o.batch_norm()) net_->push_back(torch::nn::BatchNorm1d(o.hidden()));
      net_->push_back(torch::nn::ReLU());
      in = o.hidden();
    }
    net_->push_back(torch::nn::Linear(in, o.output_dim()));
    net_ = register_module("net", net_);
  }

  /// z: [N, latent_dim]; returns [N, output_dim], or [N, output_shape...] when
  /// `output_shape` is set. Throws ShapeError on any other shape.
  torch::Tensor forward(const torch::Tensor& z) {
    GANCRAFT_CHECK(z.dim() == 2 && z.size(1) == options.latent_dim(), ShapeError,
                   "MLPGenerator: expected z of shape [N, ", options.latent_dim(), "], got ",
                   z.sizes());
    auto out = net_->forward(z);
    if (options.output_shape().empty()) return out;
    std::vector<int64_t> shape{-1};  // -1, not z.size(0): an exported trace serves any batch
    shape.insert(shape.end(), options.output_shape().begin(), options.output_shape().end());
    return out.reshape(shape);
  }

  /// FLOPs (2 × multiply-accumulates of the Linear layers) of one forward pass
  /// over `batch` latent vectors.
  int64_t forward_flops(int64_t batch) const {
    return detail::mlp_flops(options.latent_dim(), options.hidden(), options.layers(),
                             options.output_dim(), batch);
  }

  /// Prints `gancraft::models::MLPGenerator(latent_dim=…, …)`.
  void pretty_print(std::ostream& stream) const override {
    stream << "gancraft::models::MLPGenerator(latent_dim=" << options.latent_dim()
           << ", output_dim=" << options.output_dim() << ", hidden=" << options.hidden()
           << ", layers=" << options.layers()
           << ", batch_norm=" << (options.batch_norm() ? "true" : "false") << ")";
  }

  /// The options the network was built from.
  MLPGeneratorOptions options;

 private:
  torch::nn::Sequential net_{nullptr};
};

/// Module holder for `MLPGeneratorImpl` (Goodfellow et al. 2014, arXiv:1406.2661).
TORCH_MODULE(MLPGenerator);

/// Fully connected discriminator (Goodfellow et al. 2014, arXiv:1406.2661):
/// `layers` hidden Linear layers of width `hidden` with LeakyReLU(0.2), then a
/// Linear to one raw logit per sample. Inputs of rank > 2 (images) are
/// flattened to [N, input_dim] first. Default LibTorch Linear initialisation.
///
/// Example:
/// ```
/// MLPDiscriminator d(MLPDiscriminatorOptions(784));
/// auto logits = d(torch::randn({8, 1, 28, 28}));  // [8]
/// ```
class MLPDiscriminatorImpl : public torch::nn::Cloneable<MLPDiscriminatorImpl> {
 public:
  /// Builds the network; throws OptionError on bad options.
  explicit MLPDiscriminatorImpl(MLPDiscriminatorOptions options)
      : options(std::move(options)) {
    reset();
  }

  /// (Re)builds and re-initialises the layers from `options`.
  void reset() override {
    const auto& o = options;
    detail::check_mlp_options("MLPDiscriminator", o.input_dim(), "input_dim", o.hidden(),
                              o.layers());
    net_ = torch::nn::Sequential();
    int64_t in = o.input_dim();
    for (int64_t i = 0; i < o.layers(); ++i) {
      net_->push_back(torch::nn::Linear(in, o.hidden()));
      net_->push_back(
          torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2)));
      in = o.hidden();
    }
    net_->push_back(torch::nn::Linear(in, 1));
    net_ = register_module("net", o.spectral_norm() ? nn::spectral_norm(net_) : net_);
  }

  /// x: [N, input_dim] or [N, d1, d2, …] with d1·d2·… = input_dim; returns [N]
  /// raw logits. Throws ShapeError on any other shape.
  torch::Tensor forward(const torch::Tensor& x) {
    GANCRAFT_CHECK(x.dim() >= 2, ShapeError, "MLPDiscriminator: expected input of shape [N, ",
                   options.input_dim(), "] or [N, ...], got ", x.sizes());
    auto flat = x.flatten(1);
    GANCRAFT_CHECK(flat.size(1) == options.input_dim(), ShapeError,
                   "MLPDiscriminator: input ", x.sizes(), " has ", flat.size(1),
                   " features per sample, expected input_dim = ", options.input_dim());
    return net_->forward(flat).reshape({x.size(0)});
  }

  /// FLOPs (2 × multiply-accumulates of the Linear layers) of one forward pass
  /// over `batch` samples.
  int64_t forward_flops(int64_t batch) const {
    return detail::mlp_flops(options.input_dim(), options.hidden(), options.layers(), 1,
                             batch);
  }

  /// Prints `gancraft::models::MLPDiscriminator(input_dim=…, …)`.
  void pretty_print(std::ostream& stream) const override {
    stream << "gancraft::models::MLPDiscriminator(input_dim=" << options.input_dim()
           << ", hidden=" << options.hidden() << ", layers=" << options.layers() << ")";
  }

  /// The options the network was built from.
  MLPDiscriminatorOptions options;

 private:
  torch::nn::Sequential net_{nullptr};
};

/// Module holder for `MLPDiscriminatorImpl` (Goodfellow et al. 2014, arXiv:1406.2661).
TORCH_MODULE(MLPDiscriminator);

}  // namespace gancraft::models
