#pragma once
/// @file gancraft/nn/image_pool.hpp
/// A pool of past generated images for the discriminator (Shrivastava et al. 2017,
/// arXiv:1612.07828, §2.3; CycleGAN, Zhu et al. 2017, §4): the discriminator sees a mix of the
/// newest fakes and older ones, which damps oscillation between generator and discriminator.

#include <gancraft/core/random.hpp>
#include <gancraft/error.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace gancraft::nn {

/// Options of `ImagePool`.
struct ImagePoolOptions {
  /// The required options; the rest have defaults.
  explicit ImagePoolOptions(std::vector<int64_t> image_shape) : image_shape_(std::move(image_shape)) {}
  /// Shape of one image, `{C, H, W}`.
  TORCH_ARG(std::vector<int64_t>, image_shape);
  /// Images kept (the paper's 50).
  TORCH_ARG(int64_t, capacity) = 50;
};

/// The pool's images and fill count are buffers, so a checkpoint holds them and a resumed run
/// draws the same old images (register it as a network with `NetworkOptions().trained(false)`).
/// `query(fakes)`: while the pool is filling, each fake is stored and returned as is; once full,
/// each fake is, with probability 1/2, returned as is, or else swapped for a random stored image
/// (which it replaces). Its random numbers come from `training_generator()`, two per sample of
/// the whole batch on every call whatever the pool holds, so the stream advances alike on
/// every step and on every rank.
class ImagePoolImpl : public torch::nn::Module {
 public:
  /// Builds the layers; `OptionError` for bad options.
  explicit ImagePoolImpl(ImagePoolOptions options) : options_(std::move(options)) {
    GANCRAFT_CHECK(options_.capacity() >= 0 && options_.image_shape().size() == 3, OptionError,
                   "ImagePool: capacity must be >= 0 and image_shape {C, H, W}, got ", options_.capacity(), " and ",
                   c10::IntArrayRef(options_.image_shape()));
    std::vector<int64_t> shape{options_.capacity()};
    shape.insert(shape.end(), options_.image_shape().begin(), options_.image_shape().end());
    images_ = register_buffer("images", torch::zeros(shape));
    count_ = register_buffer("count", torch::zeros({}, torch::kLong));
  }

  /// The images for the discriminator in place of `fakes` `[n, C, H, W]` (detached).
  torch::Tensor query(const torch::Tensor& fakes) {
    GANCRAFT_CHECK(fakes.dim() == 4 && fakes.sizes().slice(1) == c10::IntArrayRef(options_.image_shape()), ShapeError,
                   "ImagePool: expected images [n, ", c10::IntArrayRef(options_.image_shape()), "], got shape ",
                   fakes.sizes());
    torch::NoGradGuard no_grad;
    const torch::Tensor x = fakes.detach();
    const int64_t n = x.size(0), cap = options_.capacity();
    const BatchShard s = training_shard();
    at::Generator& gen = training_generator();
    const torch::Tensor coin = torch::rand({n * s.count}, gen).narrow(0, s.index * n, n);
    const torch::Tensor pick = torch::randint(std::max<int64_t>(cap, 1), {n * s.count}, gen).narrow(0, s.index * n, n);
    if (cap == 0) return x;
    torch::Tensor out = x.clone();
    const auto* c = coin.data_ptr<float>();
    const auto* p = pick.data_ptr<int64_t>();
    int64_t filled = count_.item<int64_t>();
    for (int64_t i = 0; i < n; ++i) {
      if (filled < cap) {
        images_[filled].copy_(x[i]);
        ++filled;
      } else if (c[i] < 0.5f) {
        out[i].copy_(images_[p[i]]);
        images_[p[i]].copy_(x[i]);
      }
    }
    count_.fill_(filled);
    return out;
  }

  int64_t size() const { return count_.item<int64_t>(); }  ///< images stored
  const ImagePoolOptions& options() const { return options_; }  ///< the options

 private:
  ImagePoolOptions options_;
  torch::Tensor images_, count_;
};
/// Module holder for `ImagePoolImpl`.
TORCH_MODULE(ImagePool);

}  // namespace gancraft::nn
