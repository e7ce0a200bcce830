#pragma once
/// @file gancraft/metrics/feature_extractor.hpp

#include <gancraft/concepts/module.hpp>
#include <gancraft/error.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace gancraft::metrics {

/// Maps a batch of images [N, …] to feature vectors [N, D]: any module or callable.
/// The metrics only ever see its output, so a user may bring Inception-v3 (see
/// `load_torchscript_extractor` in `metrics/torchscript_extractor.hpp`), a CLIP encoder, or the
/// bundled Fashion-MNIST classifier (`fd_fmnist_extractor`).
using FeatureExtractor = std::function<torch::Tensor(const torch::Tensor&)>;

/// A `FeatureExtractor` from a module holder such as `torch::nn::Sequential` or a user's
/// `TORCH_MODULE`: calls `forward` in eval mode. The holder is shared, not copied.
template <class M>
  requires gancraft::detail::module_handle<M> && gancraft::detail::forward_one_tensor<M>
FeatureExtractor module_extractor(M module) {
  module->eval();
  return [module](const torch::Tensor& x) mutable { return module->forward(x); };
}

/// Output value range expected by a feature network.
enum class PixelRange {
  MinusOneToOne,  ///< [-1, 1]: torchvision's Inception with transform_input=False, gancraft's
  ZeroToOne,      ///< [0, 1]: pytorch-fid's `InceptionV3` (which rescales internally)
  ZeroTo255,      ///< [0, 255]: the original TensorFlow FID graph
};

/// Options of `prepare_for_inception`.
struct InceptionInputOptions {
  /// Output height and width.
  TORCH_ARG(int64_t, size) = 299;
  /// Value range the network expects.
  TORCH_ARG(PixelRange, range) = PixelRange::ZeroToOne;
};

/// Converts generator images [N, 1 or 3, H, W] in [-1, 1] to the input of a standard FID
/// network: values clamped to [-1, 1], one channel tiled to three, resized bilinearly to
/// `size`² with align_corners = false (PyTorch's `F.interpolate`, as pytorch-fid resizes;
/// TensorFlow's resize, and torch-fidelity's copy of it, differ slightly), then mapped to
/// `range`. Scores from different conventions are not comparable.
inline torch::Tensor prepare_for_inception(const torch::Tensor& images,
                                           InceptionInputOptions options = {}) {
  GANCRAFT_CHECK(images.defined() && images.dim() == 4 && (images.size(1) == 1 || images.size(1) == 3),
                 ShapeError, "prepare_for_inception: images must be [N, 1 or 3, H, W], got shape ",
                 images.defined() ? images.sizes() : torch::IntArrayRef{});
  GANCRAFT_CHECK(options.size() > 0, OptionError, "prepare_for_inception: size must be > 0, got ",
                 options.size());
  torch::Tensor x = images.to(torch::kFloat).clamp(-1, 1);
  if (x.size(1) == 1) x = x.expand({-1, 3, -1, -1});
  x = torch::nn::functional::interpolate(
      x, torch::nn::functional::InterpolateFuncOptions()
             .size(std::vector<int64_t>{options.size(), options.size()})
             .mode(torch::kBilinear)
             .align_corners(false));
  switch (options.range()) {
    case PixelRange::MinusOneToOne: return x;
    case PixelRange::ZeroToOne: return (x + 1) * 0.5;
    case PixelRange::ZeroTo255: return (x + 1) * 127.5;
  }
  return x;
}

/// Runs `extractor` over `images` [N, …] in batches of `batch_size` in inference mode and
/// returns the features, float [N, D] on the CPU. `ShapeError` when the extractor does not
/// return one row per image.
inline torch::Tensor extract_features(const FeatureExtractor& extractor, const torch::Tensor& images,
                                      int64_t batch_size = 256) {
  GANCRAFT_CHECK(batch_size > 0, OptionError, "extract_features: batch_size must be > 0, got ",
                 batch_size);
  GANCRAFT_CHECK(images.defined() && images.dim() >= 1 && images.size(0) > 0, ShapeError,
                 "extract_features: no images");
  c10::InferenceMode guard;
  std::vector<torch::Tensor> parts;
  for (int64_t start = 0; start < images.size(0); start += batch_size) {
    const int64_t n = std::min(batch_size, images.size(0) - start);
    torch::Tensor f = extractor(images.narrow(0, start, n));
    GANCRAFT_CHECK(f.defined() && f.dim() >= 1 && f.size(0) == n, ShapeError,
                   "extract_features: the extractor returned shape ",
                   f.defined() ? f.sizes() : torch::IntArrayRef{}, " for a batch of ", n,
                   " images; it must return [N, D]");
    parts.push_back(f.reshape({n, -1}).to(torch::kCPU, torch::kFloat));
  }
  return torch::cat(parts);
}

}  // namespace gancraft::metrics
