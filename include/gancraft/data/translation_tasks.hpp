#pragma once
/// @file gancraft/data/translation_tasks.hpp
/// Image-translation tasks derived from a labelled image set such as Fashion-MNIST: edges →
/// garment and low → high resolution (paired), and garments ↔ edge maps (unpaired, from
/// disjoint halves).

#include <gancraft/core/random.hpp>
#include <gancraft/data/image_transforms.hpp>
#include <gancraft/error.hpp>

#include <torch/torch.h>

#include <cstdint>

namespace gancraft::data {

/// Paired images: `source[i]` translates to `target[i]`; `labels[i]` is their class.
/// `ModelTrainer::fit(pairs.source, pairs.target)` serves them as each batch's data and target.
struct PairedImages {
  torch::Tensor source;  ///< `[N, C, H, W]`
  torch::Tensor target;  ///< `[N, C', H', W']`
  torch::Tensor labels;  ///< int64 `[N]`
};

/// Two image sets without correspondence (CycleGAN's domains A and B), with their classes.
struct UnpairedImages {
  torch::Tensor a;         ///< domain A's images `[N_A, C, H, W]`
  torch::Tensor a_labels;  ///< their classes, int64 `[N_A]`
  torch::Tensor b;         ///< domain B's images `[N_B, C', H', W']`
  torch::Tensor b_labels;  ///< their classes, int64 `[N_B]`
};

/// Edges → image: each image's Sobel edge map (`sobel_edges`) as the source, the image as the
/// target.
inline PairedImages edges_to_images(const torch::Tensor& images, const torch::Tensor& labels) {
  return {sobel_edges(images), images, labels};
}

/// Low → high resolution: each image reduced by `factor` (`downsample`, block means) as the
/// source, the image as the target.
inline PairedImages low_to_high_resolution(const torch::Tensor& images, const torch::Tensor& labels, int64_t factor = 2) {
  return {downsample(images, factor), images, labels};
}

/// Images ↔ edge maps, unpaired: the images are split at random (`seed`) into two disjoint
/// halves; domain A holds the images of one half, domain B the edge maps of the other, so no
/// edge map in B is the edge map of an image in A. With an odd count, A gets the extra image.
inline UnpairedImages images_and_edges(const torch::Tensor& images, const torch::Tensor& labels, uint64_t seed = 0) {
  GANCRAFT_CHECK(images.defined() && images.dim() == 4 && labels.defined() && labels.dim() == 1 &&
                     labels.size(0) == images.size(0) && images.size(0) >= 2,
                 ShapeError, "images_and_edges: expected at least 2 images [N, C, H, W] with labels [N], got ",
                 images.defined() ? images.sizes() : c10::IntArrayRef{}, " and ",
                 labels.defined() ? labels.sizes() : c10::IntArrayRef{});
  at::Generator gen = make_generator(seed);
  const torch::Tensor order = torch::randperm(images.size(0), gen, torch::kLong).to(images.device());
  const int64_t half = (images.size(0) + 1) / 2;
  const torch::Tensor ia = order.narrow(0, 0, half), ib = order.narrow(0, half, images.size(0) - half);
  return {images.index_select(0, ia), labels.index_select(0, ia), sobel_edges(images.index_select(0, ib)),
          labels.index_select(0, ib)};
}

}  // namespace gancraft::data
