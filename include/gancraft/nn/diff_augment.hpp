#pragma once
/// @file gancraft/nn/diff_augment.hpp

#include <gancraft/concepts/discriminator.hpp>
#include <gancraft/error.hpp>

#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <optional>

namespace gancraft::nn {

/// Which DiffAugment transformations to apply, and how strongly.
struct DiffAugmentOptions {
  /// Random brightness (+U(−0.5, 0.5)), saturation (×U(0, 2) around the pixel's channel mean)
  /// and contrast (×U(0.5, 1.5) around the image mean).
  TORCH_ARG(bool, color) = true;
  /// Random shift by up to `translation_ratio` of the size in each direction, zero-filled.
  TORCH_ARG(bool, translation) = true;
  /// A zeroed square of `cutout_ratio` of the size at a random place.
  TORCH_ARG(bool, cutout) = true;
  /// Largest shift, as a fraction of height and width (1/8 in Zhao et al.).
  TORCH_ARG(double, translation_ratio) = 0.125;
  /// Side of the cut-out square, as a fraction of height and width (1/2 in Zhao et al.).
  TORCH_ARG(double, cutout_ratio) = 0.5;
};

/// Differentiable augmentation (Zhao et al. 2020, "Differentiable Augmentation for
/// Data-Efficient GAN Training", arXiv:2006.10738) of images [N, C, H, W]: colour, translation
/// and cutout, each drawn independently per image, built from differentiable tensor operations so
/// gradients reach the generator through augmented fakes. Random numbers come from `gen`, or
/// LibTorch's global generator (whose state gancraft checkpoints save) when none is given.
/// `ShapeError` unless the input is 4-D.
inline torch::Tensor diff_augment(const torch::Tensor& images, const DiffAugmentOptions& options = {},
                                  std::optional<at::Generator> gen = std::nullopt) {
  GANCRAFT_CHECK(images.dim() == 4, ShapeError, "diff_augment: images must be [N, C, H, W], got shape ",
                 images.sizes());
  const torch::optional<at::Generator> g = gen ? torch::optional<at::Generator>(*gen) : torch::optional<at::Generator>();
  const auto opts = images.options();
  const int64_t n = images.size(0), h = images.size(2), w = images.size(3);
  const auto per_image = [&] { return torch::rand({n, 1, 1, 1}, g, opts); };
  torch::Tensor x = images;
  if (options.color()) {
    x = x + (per_image() - 0.5);
    const auto channel_mean = x.mean(1, /*keepdim=*/true);
    x = (x - channel_mean) * (per_image() * 2) + channel_mean;
    const auto image_mean = x.mean({1, 2, 3}, /*keepdim=*/true);
    x = (x - image_mean) * (per_image() + 0.5) + image_mean;
  }
  const auto long_opts = torch::TensorOptions().dtype(torch::kLong).device(images.device());
  if (options.translation()) {
    const int64_t sy = static_cast<int64_t>(h * options.translation_ratio() + 0.5);
    const int64_t sx = static_cast<int64_t>(w * options.translation_ratio() + 0.5);
    const auto ty = torch::randint(-sy, sy + 1, {n, 1, 1}, g, long_opts);
    const auto tx = torch::randint(-sx, sx + 1, {n, 1, 1}, g, long_opts);
    // Gather from a zero-padded copy: row r of the output reads row r + t of the input, or
    // the zero border when that falls outside.
    const auto rows = (torch::arange(h, long_opts).view({1, h, 1}) + ty + 1).clamp(0, h + 1);
    const auto cols = (torch::arange(w, long_opts).view({1, 1, w}) + tx + 1).clamp(0, w + 1);
    const auto batch = torch::arange(n, long_opts).view({n, 1, 1});
    const auto padded = torch::constant_pad_nd(x, {1, 1, 1, 1}).permute({0, 2, 3, 1});
    x = padded.index({batch, rows, cols}).permute({0, 3, 1, 2});
  }
  if (options.cutout()) {
    const int64_t ch = static_cast<int64_t>(h * options.cutout_ratio() + 0.5);
    const int64_t cw = static_cast<int64_t>(w * options.cutout_ratio() + 0.5);
    const auto oy = torch::randint(0, h + (1 - ch % 2), {n, 1, 1}, g, long_opts);
    const auto ox = torch::randint(0, w + (1 - cw % 2), {n, 1, 1}, g, long_opts);
    const auto rows = (torch::arange(ch, long_opts).view({1, ch, 1}) + oy - ch / 2).clamp(0, h - 1);
    const auto cols = (torch::arange(cw, long_opts).view({1, 1, cw}) + ox - cw / 2).clamp(0, w - 1);
    const auto batch = torch::arange(n, long_opts).view({n, 1, 1});
    auto mask = torch::ones({n, h, w}, opts);
    mask.index_put_({batch.expand({n, ch, cw}), rows.expand({n, ch, cw}), cols.expand({n, ch, cw})},
                    torch::zeros({}, opts));
    x = x * mask.unsqueeze(1);
  }
  return x;
}

/// A discriminator that sees DiffAugment-ed inputs in training mode: the trainer then augments
/// real and generated images in the discriminator step and generated ones in the generator step,
/// as DiffAugment prescribes; penalties differentiate through the augmentation. In eval mode the
/// input passes unchanged. A packing discriminator inside keeps its `samples_per_score()`.
/// @code
/// auto d = gc::nn::DiffAugment(my_discriminator, gc::nn::DiffAugmentOptions().cutout(false));
/// @endcode
class DiffAugmentImpl : public torch::nn::Module {
 public:
  /// Augments the input of `discriminator` (any module holder with `forward(Tensor)`).
  template <class D>
  explicit DiffAugmentImpl(D discriminator, DiffAugmentOptions options = {}) : options_(options) {
    GANCRAFT_CHECK(options.translation_ratio() >= 0 && options.translation_ratio() < 1 &&
                       options.cutout_ratio() >= 0 && options.cutout_ratio() <= 1,
                   OptionError, "DiffAugment: translation_ratio must be in [0, 1) and cutout_ratio in [0, 1], got ",
                   options.translation_ratio(), " and ", options.cutout_ratio());
    samples_per_score_ = gancraft::samples_per_score(discriminator);
    register_module("inner", discriminator.ptr());
    // A closure rather than AnyModule, which cannot hold a Sequential (templated forward).
    inner_ = [d = std::move(discriminator)](const torch::Tensor& x) mutable -> torch::Tensor {
      return d->forward(x);
    };
  }
  /// D(augment(x)) in training mode, D(x) in eval mode.
  torch::Tensor forward(const torch::Tensor& x) {
    return inner_(is_training() ? diff_augment(x, options_) : x);
  }
  /// Samples per score of the wrapped discriminator (1 unless it packs).
  int64_t samples_per_score() const noexcept { return samples_per_score_; }

 private:
  DiffAugmentOptions options_;
  std::function<torch::Tensor(const torch::Tensor&)> inner_;
  int64_t samples_per_score_ = 1;
};

/// Module holder for `DiffAugmentImpl`.
TORCH_MODULE(DiffAugment);

}  // namespace gancraft::nn
