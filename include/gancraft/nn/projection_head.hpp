#pragma once
/// @file gancraft/nn/projection_head.hpp

#include <gancraft/error.hpp>

#include <torch/arg.h>
#include <torch/torch.h>

#include <cstdint>

namespace gancraft::nn {

/// Options for `ProjectionHead`.
struct ProjectionHeadOptions {
  /// A head over `features`-dimensional features for labels in `[0, num_classes)`.
  ProjectionHeadOptions(int64_t features, int64_t num_classes)
      : features_(features), num_classes_(num_classes) {}
  TORCH_ARG(int64_t, features);     ///< size of the feature vector φ(x)
  TORCH_ARG(int64_t, num_classes);  ///< number of classes
};

/// The projection discriminator's output layer (Miyato & Koyama 2018, "cGANs with Projection
/// Discriminator", arXiv:1802.05637, eq. 3): for features φ(x) and label y,
///
///   score = ψ(φ(x)) + ⟨V_y, φ(x)⟩
///
/// with ψ a Linear map to one logit and V a class embedding. The label enters through an inner
/// product with the features, not by concatenation, which the paper shows conditions the
/// discriminator better. Put it on any feature extractor to make a `ConditionalDiscriminator`.
/// @code
/// gc::nn::ProjectionHead head(gc::nn::ProjectionHeadOptions(128, 10));
/// torch::Tensor scores = head(features, labels);  // [N, 128], [N] -> [N]
/// @endcode
class ProjectionHeadImpl : public torch::nn::Cloneable<ProjectionHeadImpl> {
 public:
  /// `OptionError` unless both sizes are >= 1.
  explicit ProjectionHeadImpl(ProjectionHeadOptions options) : options(options) { reset(); }

  /// Builds ψ (default Linear initialisation) and V (Glorot-uniform, as the paper's code).
  void reset() override {
    GANCRAFT_CHECK(options.features() >= 1 && options.num_classes() >= 1, OptionError,
                   "ProjectionHead: features and num_classes must be >= 1, got ", options.features(),
                   " and ", options.num_classes());
    linear = register_module("linear", torch::nn::Linear(options.features(), 1));
    embed = register_module("embed", torch::nn::Embedding(options.num_classes(), options.features()));
    torch::NoGradGuard no_grad;
    torch::nn::init::xavier_uniform_(embed->weight);
  }

  /// features `[N, features]`, labels int64 `[N]` in `[0, num_classes)`; returns `[N]`.
  torch::Tensor forward(const torch::Tensor& features, const torch::Tensor& labels) {
    GANCRAFT_CHECK(features.dim() == 2 && features.size(1) == options.features(), ShapeError,
                   "ProjectionHead: expected features [N, ", options.features(), "], got ", features.sizes());
    GANCRAFT_CHECK(labels.dim() == 1 && labels.size(0) == features.size(0), ShapeError,
                   "ProjectionHead: expected labels [", features.size(0), "], got ", labels.sizes());
    return linear(features).squeeze(1) + (embed(labels) * features).sum(1);
  }

  ProjectionHeadOptions options;        ///< sizes
  torch::nn::Linear linear{nullptr};    ///< ψ
  torch::nn::Embedding embed{nullptr};  ///< V, one row per class
};

/// Module holder for `ProjectionHeadImpl`.
TORCH_MODULE(ProjectionHead);

}  // namespace gancraft::nn
