#pragma once
/// @file gancraft/models/sngan.hpp
/// The SNGAN ResNet generator and discriminator for 32×32 images (Miyato, Kataoka, Koyama &
/// Yoshida, 2018, "Spectral Normalization for Generative Adversarial Networks",
/// arXiv:1802.05957, appendix "ResNet architectures for CIFAR-10"), which follow the WGAN-GP
/// ResNets of Gulrajani et al. 2017 (arXiv:1704.00028).

#include <torch/torch.h>

#include <gancraft/error.hpp>
#include <gancraft/models/sngan_options.hpp>
#include <gancraft/nn/spectral_norm.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <ostream>
#include <utility>
#include <vector>

namespace gancraft::models {

namespace detail {

/// What a residual block does to the resolution, and how its shortcut is built.
enum class SNGANBlockKind {
  /// Generator block: BN, ReLU, ×2 nearest upsample, conv3, BN, ReLU, conv3;
  /// shortcut: upsample, then conv1.
  up,
  /// First discriminator block: conv3, ReLU, conv3, avg-pool 2;
  /// shortcut: avg-pool 2, then conv1.
  optimized_down,
  /// Discriminator block: ReLU, conv3, ReLU, conv3, avg-pool 2; shortcut: conv1, then avg-pool 2.
  down,
  /// Discriminator block: ReLU, conv3, ReLU, conv3; shortcut: identity, or conv1 when the
  /// channel count changes.
  plain,
};

/// One residual block: its kind, channels and input resolution. Both the modules and
/// `forward_flops` are built from this, so the FLOP count cannot drift from the layers run.
struct SNGANBlock {
  SNGANBlockKind kind;
  int64_t in_channels;
  int64_t out_channels;
  int64_t in_size;  ///< input height = width

  /// Whether the shortcut has a 1×1 convolution (every kind but a same-width `plain` block).
  bool learnable_shortcut() const {
    return kind != SNGANBlockKind::plain || in_channels != out_channels;
  }
  /// Output height = width.
  int64_t out_size() const {
    switch (kind) {
      case SNGANBlockKind::up: return in_size * 2;
      case SNGANBlockKind::optimized_down:
      case SNGANBlockKind::down: return in_size / 2;
      case SNGANBlockKind::plain: break;
    }
    return in_size;
  }
};

/// Throws OptionError unless the generator options describe a buildable network.
inline void check_sngan_options(const SNGANGeneratorOptions& o) {
  GANCRAFT_CHECK(o.latent_dim() >= 1, OptionError,
                 "SNGANGenerator: latent_dim must be >= 1, got ", o.latent_dim());
  GANCRAFT_CHECK(o.channels() >= 1, OptionError, "SNGANGenerator: channels must be >= 1, got ",
                 o.channels());
  GANCRAFT_CHECK(o.image_channels() >= 1, OptionError,
                 "SNGANGenerator: image_channels must be >= 1, got ", o.image_channels());
}

/// Throws OptionError unless the discriminator options describe a buildable network.
inline void check_sngan_options(const SNGANDiscriminatorOptions& o) {
  GANCRAFT_CHECK(o.channels() >= 1, OptionError,
                 "SNGANDiscriminator: channels must be >= 1, got ", o.channels());
  GANCRAFT_CHECK(o.image_channels() >= 1, OptionError,
                 "SNGANDiscriminator: image_channels must be >= 1, got ", o.image_channels());
}

/// Generator blocks: three up-sampling blocks, 4 → 8 → 16 → 32, all `channels` wide.
inline std::vector<SNGANBlock> sngan_generator_blocks(const SNGANGeneratorOptions& o) {
  check_sngan_options(o);
  const int64_t c = o.channels();
  return {{SNGANBlockKind::up, c, c, 4}, {SNGANBlockKind::up, c, c, 8},
          {SNGANBlockKind::up, c, c, 16}};
}

/// Discriminator blocks: optimized down 32 → 16, down 16 → 8, two plain blocks at 8×8.
inline std::vector<SNGANBlock> sngan_discriminator_blocks(const SNGANDiscriminatorOptions& o) {
  check_sngan_options(o);
  const int64_t c = o.channels();
  return {{SNGANBlockKind::optimized_down, o.image_channels(), c, 32},
          {SNGANBlockKind::down, c, c, 16},
          {SNGANBlockKind::plain, c, c, 8},
          {SNGANBlockKind::plain, c, c, 8}};
}

/// MACs of a k×k convolution (stride 1, "same" padding) producing a size×size map.
inline int64_t sngan_conv_macs(int64_t in, int64_t out, int64_t kernel, int64_t size) {
  return size * size * in * out * kernel * kernel;
}

/// MACs of one block per sample. The 3×3 convolutions run at the block's higher resolution
/// (after the upsample, before the pool); the 1×1 shortcut runs after the upsample (`up`),
/// after the pool (`optimized_down`) or before it (`down`).
inline int64_t sngan_block_macs(const SNGANBlock& b) {
  const int64_t hi = std::max(b.in_size, b.out_size());
  int64_t macs = sngan_conv_macs(b.in_channels, b.out_channels, 3, hi) +
                 sngan_conv_macs(b.out_channels, b.out_channels, 3, hi);
  if (b.learnable_shortcut()) {
    const int64_t sc_size = b.kind == SNGANBlockKind::optimized_down ? b.out_size() : hi;
    macs += sngan_conv_macs(b.in_channels, b.out_channels, 1, sc_size);
  }
  return macs;
}

/// Checks `batch` and returns 2 · `macs_per_sample` · `batch`.
inline int64_t sngan_flops(int64_t macs_per_sample, int64_t batch) {
  GANCRAFT_CHECK(batch >= 0, OptionError, "forward_flops: batch must be >= 0, got ", batch);
  return 2 * macs_per_sample * batch;
}

/// A layer, wrapped in `gancraft::nn::SpectralNorm` when `spectral_norm` is set.
template <class Layer>
torch::nn::AnyModule sngan_maybe_spectral(Layer layer, bool spectral_norm) {
  if (spectral_norm) return torch::nn::AnyModule(gancraft::nn::SpectralNorm(std::move(layer)));
  return torch::nn::AnyModule(std::move(layer));
}

/// Xavier-uniform weight with the given gain and a zero bias, as the authors' released code
/// initialises every layer (gain √2 inside the residual branch, 1 elsewhere).
template <class Layer>
void sngan_init(Layer& layer, double gain) {
  torch::NoGradGuard no_grad;
  torch::nn::init::xavier_uniform_(layer->weight, gain);
  if (layer->bias.defined()) layer->bias.zero_();
}

/// One residual block of the SNGAN ResNets (see `SNGANBlockKind`). Every convolution has a
/// bias, as in the reference implementations; the generator blocks hold the BatchNorms.
class SNGANResBlockImpl : public torch::nn::Module {
 public:
  /// Builds the block's layers and initialises them (`reset_parameters`).
  SNGANResBlockImpl(SNGANBlock spec, bool spectral_norm) : spec_(spec) {
    const auto conv = [](int64_t in, int64_t out, int64_t k) {
      return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, k).padding(k / 2));
    };
    conv1_ = conv(spec.in_channels, spec.out_channels, 3);
    conv2_ = conv(spec.out_channels, spec.out_channels, 3);
    if (spec.kind == SNGANBlockKind::up) {
      bn1_ = register_module("bn1", torch::nn::BatchNorm2d(spec.in_channels));
    }
    c1_ = sngan_maybe_spectral(conv1_, spectral_norm);
    register_module("c1", c1_.ptr());
    if (spec.kind == SNGANBlockKind::up) {
      bn2_ = register_module("bn2", torch::nn::BatchNorm2d(spec.out_channels));
    }
    c2_ = sngan_maybe_spectral(conv2_, spectral_norm);
    register_module("c2", c2_.ptr());
    if (spec.learnable_shortcut()) {
      shortcut_conv_ = conv(spec.in_channels, spec.out_channels, 1);
      shortcut_ = sngan_maybe_spectral(shortcut_conv_, spectral_norm);
      register_module("c_sc", shortcut_.ptr());
    }
    reset_parameters();
  }

  /// Xavier-uniform weights (gain √2 for the 3×3 convs, 1 for the shortcut), zero biases,
  /// BatchNorm at identity. Draws from the global torch RNG.
  void reset_parameters() {
    sngan_init(conv1_, std::sqrt(2.0));
    sngan_init(conv2_, std::sqrt(2.0));
    if (shortcut_conv_) sngan_init(shortcut_conv_, 1.0);
    if (bn1_) bn1_->reset_parameters();
    if (bn2_) bn2_->reset_parameters();
  }

  /// [N, in_channels, S, S] → [N, out_channels, S', S'] (S' = 2S, S/2 or S by kind).
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor h;
    torch::Tensor shortcut = x;
    switch (spec_.kind) {
      case SNGANBlockKind::up:
        h = c1_.forward(upsample(torch::relu(bn1_->forward(x))));
        h = c2_.forward(torch::relu(bn2_->forward(h)));
        shortcut = shortcut_.forward(upsample(x));
        break;
      case SNGANBlockKind::optimized_down:
        // No ReLU before the first conv: its input is the image itself.
        h = torch::avg_pool2d(c2_.forward(torch::relu(c1_.forward(x))), 2);
        shortcut = shortcut_.forward(torch::avg_pool2d(x, 2));
        break;
      case SNGANBlockKind::down:
        h = torch::avg_pool2d(c2_.forward(torch::relu(c1_.forward(torch::relu(x)))), 2);
        shortcut = torch::avg_pool2d(shortcut_.forward(x), 2);
        break;
      case SNGANBlockKind::plain:
        h = c2_.forward(torch::relu(c1_.forward(torch::relu(x))));
        if (!shortcut_.is_empty()) shortcut = shortcut_.forward(x);
        break;
    }
    return h + shortcut;
  }

 private:
  static torch::Tensor upsample(const torch::Tensor& x) {
    return torch::upsample_nearest2d(x, {x.size(2) * 2, x.size(3) * 2});
  }

  SNGANBlock spec_;
  // The bare convolutions, for initialisation; c1_, c2_, shortcut_ are what runs (the same
  // layers, wrapped in SpectralNorm when asked).
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr}, shortcut_conv_{nullptr};
  torch::nn::AnyModule c1_, c2_, shortcut_;
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr};
};

/// Module holder for `SNGANResBlockImpl`.
TORCH_MODULE(SNGANResBlock);

/// A copy of `self` with equal, independent parameters and buffers (spectral-norm vectors
/// included) and the same training flags, on `device` if given. LibTorch's `Cloneable::clone`
/// cannot do this: it rebuilds through `reset()` and then skips children that are not
/// `Cloneable`, such as `gancraft::nn::SpectralNorm`, leaving them freshly initialised.
/// Building the copy draws from the global torch RNG, as `Cloneable::clone` does.
template <class Impl>
std::shared_ptr<torch::nn::Module> sngan_clone(const Impl& self,
                                               const torch::optional<torch::Device>& device) {
  auto copy = std::make_shared<Impl>(self.options);
  if (device) copy->to(*device);
  {
    torch::NoGradGuard no_grad;
    auto params = copy->named_parameters();
    for (const auto& p : self.named_parameters()) params[p.key()].copy_(p.value());
    auto buffers = copy->named_buffers();
    for (const auto& b : self.named_buffers()) buffers[b.key()].copy_(b.value());
  }
  // Pre-order, so a child's own flag wins over its parent's recursive train().
  copy->train(self.is_training());
  const auto from = self.modules(/*include_self=*/false);
  const auto to = copy->modules(/*include_self=*/false);
  for (size_t i = 0; i < from.size() && i < to.size(); ++i) to[i]->train(from[i]->is_training());
  return copy;
}

}  // namespace detail

/// SNGAN ResNet generator for 32×32 images (Miyato et al. 2018, arXiv:1802.05957; after
/// Gulrajani et al. 2017, arXiv:1704.00028): z → Linear to 4×4×`channels` → three up-sampling
/// residual blocks (4 → 8 → 16 → 32) → BatchNorm, ReLU, 3×3 conv to `image_channels`, Tanh.
/// No spectral norm: the paper normalises the discriminator only.
///
/// Example:
/// ```
/// torch::manual_seed(0);  // the init draws from the global RNG
/// SNGANGenerator g(SNGANGeneratorOptions(128));
/// auto images = g(torch::randn({16, 128}));  // [16, 3, 32, 32] in [-1, 1]
/// ```
class SNGANGeneratorImpl : public torch::nn::Cloneable<SNGANGeneratorImpl> {
 public:
  /// Builds and initialises the network; throws OptionError on bad options.
  explicit SNGANGeneratorImpl(SNGANGeneratorOptions options) : options(std::move(options)) {
    reset();
  }

  /// (Re)builds the layers from `options` and initialises them.
  void reset() override {
    const auto blocks = detail::sngan_generator_blocks(options);
    const int64_t c = options.channels();
    linear_ = register_module("linear", torch::nn::Linear(options.latent_dim(), 4 * 4 * c));
    blocks_ = torch::nn::Sequential();
    for (const auto& b : blocks) blocks_->push_back(detail::SNGANResBlock(b, false));
    blocks_ = register_module("blocks", blocks_);
    bn_ = register_module("bn", torch::nn::BatchNorm2d(c));
    conv_ = register_module(
        "conv", torch::nn::Conv2d(
                    torch::nn::Conv2dOptions(c, options.image_channels(), 3).padding(1)));
    reset_parameters();
  }

  /// Re-draws every weight: Xavier uniform (gain √2 inside residual branches, 1 for shortcuts,
  /// the Linear and the output conv), zero biases, BatchNorm at identity. Global torch RNG.
  void reset_parameters() {
    detail::sngan_init(linear_, 1.0);
    for (const auto& b : *blocks_) b.get<detail::SNGANResBlock>()->reset_parameters();
    bn_->reset_parameters();
    detail::sngan_init(conv_, 1.0);
  }

  /// z: [N, latent_dim] or [N, latent_dim, 1, 1]; returns [N, image_channels, 32, 32] in
  /// [-1, 1]. Throws ShapeError on any other shape.
  torch::Tensor forward(const torch::Tensor& z) {
    const int64_t latent = options.latent_dim();
    const bool flat = z.dim() == 2 && z.size(1) == latent;
    const bool spatial = z.dim() == 4 && z.size(1) == latent && z.size(2) == 1 && z.size(3) == 1;
    GANCRAFT_CHECK(flat || spatial, ShapeError, "SNGANGenerator: expected z of shape [N, ",
                   latent, "] or [N, ", latent, ", 1, 1], got ", z.sizes());
    // -1, not z.size(0): an exported trace serves any batch size.
    auto h = linear_->forward(z.reshape({-1, latent})).view({-1, options.channels(), 4, 4});
    h = blocks_->forward(h);
    return torch::tanh(conv_->forward(torch::relu(bn_->forward(h))));
  }

  /// FLOPs of one forward pass over `batch` latent vectors: 2 × the multiply-accumulates of the
  /// Linear and every convolution (a k×k conv producing an S×S map costs S²·C_in·C_out·k² MACs
  /// per sample). Biases, BatchNorm, activations, upsampling and residual additions are not
  /// counted. Throws OptionError on a negative batch.
  int64_t forward_flops(int64_t batch) const {
    const int64_t c = options.channels();
    int64_t macs = options.latent_dim() * 4 * 4 * c;
    for (const auto& b : detail::sngan_generator_blocks(options)) macs += detail::sngan_block_macs(b);
    macs += detail::sngan_conv_macs(c, options.image_channels(), 3, 32);
    return detail::sngan_flops(macs, batch);
  }

  /// A deep copy, on `device` if given (see `detail::sngan_clone`).
  std::shared_ptr<torch::nn::Module> clone(
      const torch::optional<torch::Device>& device = torch::optional<torch::Device>()) const override {
    return detail::sngan_clone(*this, device);
  }

  /// Prints `gancraft::models::SNGANGenerator(latent_dim=…, channels=…, image_channels=…)`.
  void pretty_print(std::ostream& stream) const override {
    stream << "gancraft::models::SNGANGenerator(latent_dim=" << options.latent_dim()
           << ", channels=" << options.channels()
           << ", image_channels=" << options.image_channels() << ")";
  }

  /// The options the network was built from.
  SNGANGeneratorOptions options;

 private:
  torch::nn::Linear linear_{nullptr};
  torch::nn::Sequential blocks_{nullptr};
  torch::nn::BatchNorm2d bn_{nullptr};
  torch::nn::Conv2d conv_{nullptr};
};

/// Module holder for `SNGANGeneratorImpl` (Miyato et al. 2018, arXiv:1802.05957).
TORCH_MODULE(SNGANGenerator);

/// SNGAN ResNet discriminator for 32×32 images (Miyato et al. 2018, arXiv:1802.05957; after
/// Gulrajani et al. 2017, arXiv:1704.00028): an optimized down-sampling block (32 → 16), a
/// down-sampling block (16 → 8) and two plain residual blocks at 8×8, all `channels` wide, then
/// ReLU, global sum pooling and a Linear to one score. With `spectral_norm(true)` (the default)
/// every convolution and the Linear is wrapped in `gancraft::nn::SpectralNorm`. No BatchNorm.
/// Returns raw scores `[N]`, so any loss applies (the paper trains it with the hinge loss).
///
/// Example:
/// ```
/// SNGANDiscriminator d{SNGANDiscriminatorOptions()};
/// auto scores = d(images);  // images [N, 3, 32, 32] → [N]
/// ```
class SNGANDiscriminatorImpl : public torch::nn::Cloneable<SNGANDiscriminatorImpl> {
 public:
  /// Builds and initialises the network; throws OptionError on bad options.
  explicit SNGANDiscriminatorImpl(SNGANDiscriminatorOptions options = {})
      : options(std::move(options)) {
    reset();
  }

  /// (Re)builds the layers from `options` and initialises them.
  void reset() override {
    const auto blocks = detail::sngan_discriminator_blocks(options);
    blocks_ = torch::nn::Sequential();
    for (const auto& b : blocks)
      blocks_->push_back(detail::SNGANResBlock(b, options.spectral_norm()));
    blocks_ = register_module("blocks", blocks_);
    linear_ = torch::nn::Linear(options.channels(), 1);
    head_ = detail::sngan_maybe_spectral(linear_, options.spectral_norm());
    register_module("linear", head_.ptr());
    reset_parameters();
  }

  /// Re-draws every weight: Xavier uniform (gain √2 inside residual branches, 1 for shortcuts
  /// and the Linear), zero biases. Global torch RNG. Spectral-norm vectors are kept.
  void reset_parameters() {
    for (const auto& b : *blocks_) b.get<detail::SNGANResBlock>()->reset_parameters();
    detail::sngan_init(linear_, 1.0);
  }

  /// x: [N, image_channels, 32, 32]; returns [N] raw scores. Throws ShapeError on any other
  /// shape.
  torch::Tensor forward(const torch::Tensor& x) {
    const int64_t c = options.image_channels();
    GANCRAFT_CHECK(x.dim() == 4 && x.size(1) == c && x.size(2) == 32 && x.size(3) == 32,
                   ShapeError, "SNGANDiscriminator: expected images of shape [N, ", c,
                   ", 32, 32], got ", x.sizes());
    // Global sum pooling, not mean, as in the paper.
    const auto features = torch::relu(blocks_->forward(x)).sum({2, 3});
    return head_.forward(features).reshape({x.size(0)});
  }

  /// FLOPs of one forward pass over `batch` images: 2 × the multiply-accumulates of every
  /// convolution and the Linear (a k×k conv producing an S×S map costs S²·C_in·C_out·k² MACs
  /// per sample). Biases, activations, pooling, residual additions and the spectral-norm power
  /// iteration (training mode only, independent of the batch) are not counted. Throws
  /// OptionError on a negative batch.
  int64_t forward_flops(int64_t batch) const {
    int64_t macs = options.channels();  // the Linear to one score
    for (const auto& b : detail::sngan_discriminator_blocks(options))
      macs += detail::sngan_block_macs(b);
    return detail::sngan_flops(macs, batch);
  }

  /// A deep copy, spectral-norm state included, on `device` if given (see
  /// `detail::sngan_clone`).
  std::shared_ptr<torch::nn::Module> clone(
      const torch::optional<torch::Device>& device = torch::optional<torch::Device>()) const override {
    return detail::sngan_clone(*this, device);
  }

  /// Prints `gancraft::models::SNGANDiscriminator(channels=…, image_channels=…,
  /// spectral_norm=…)`.
  void pretty_print(std::ostream& stream) const override {
    stream << "gancraft::models::SNGANDiscriminator(channels=" << options.channels()
           << ", image_channels=" << options.image_channels()
           << ", spectral_norm=" << (options.spectral_norm() ? "true" : "false") << ")";
  }

  /// The options the network was built from.
  SNGANDiscriminatorOptions options;

 private:
  torch::nn::Sequential blocks_{nullptr};
  torch::nn::Linear linear_{nullptr};  // the bare layer, for initialisation
  torch::nn::AnyModule head_;          // what runs: linear_, spectrally normalised if asked
};

/// Module holder for `SNGANDiscriminatorImpl` (Miyato et al. 2018, arXiv:1802.05957).
TORCH_MODULE(SNGANDiscriminator);

}  // namespace gancraft::models
