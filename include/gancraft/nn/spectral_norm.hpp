#pragma once
/// @file gancraft/nn/spectral_norm.hpp

#include <gancraft/error.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace gancraft::nn {

/// Options of `SpectralNorm`.
struct SpectralNormOptions {
  /// Power iterations per training-mode forward pass (1 in Miyato et al. and PyTorch).
  TORCH_ARG(int64_t, power_iterations) = 1;
  /// Added to norms before dividing, against division by zero.
  TORCH_ARG(double, eps) = 1e-12;
};

/// Spectral normalization (Miyato et al. 2018, arXiv:1802.05957) of a Linear, Conv2d or
/// ConvTranspose2d layer: the layer computes with W / σ(W), where σ is the largest singular
/// value of W reshaped to a matrix [out, in · k · k] (ConvTranspose2d: its output channels are
/// dimension 1 of the weight, so that dimension is taken as the rows).
///
/// σ is estimated by power iteration with persistent vectors `u` and `v`, registered as buffers
/// so checkpoints save and restore the estimate. In training mode every forward pass runs
/// `power_iterations` steps and updates them; in eval mode they are used as they are, so
/// sampling never changes the estimate. The layer's own `weight` parameter stays the trainable
/// unnormalised weight (its name in state dicts is `module.weight`). LibTorch has no
/// spectral norm (pytorch/pytorch#25883).
/// @code
/// auto d = torch::nn::Sequential(gc::nn::SpectralNorm(torch::nn::Linear(2, 64)), torch::nn::ReLU(),
///                                gc::nn::SpectralNorm(torch::nn::Linear(64, 1)));
/// @endcode
class SpectralNormImpl : public torch::nn::Module {
 public:
  /// Normalises a Linear layer.
  explicit SpectralNormImpl(torch::nn::Linear layer, SpectralNormOptions options = {})
      : options_(options) {
    init(torch::nn::AnyModule(layer), layer->weight, 0);
  }
  /// Normalises a Conv2d layer.
  explicit SpectralNormImpl(torch::nn::Conv2d layer, SpectralNormOptions options = {})
      : options_(options) {
    init(torch::nn::AnyModule(layer), layer->weight, 0);
  }
  /// Normalises a ConvTranspose2d layer (rows: its output channels, weight dimension 1).
  explicit SpectralNormImpl(torch::nn::ConvTranspose2d layer, SpectralNormOptions options = {})
      : options_(options) {
    init(torch::nn::AnyModule(layer), layer->weight, 1);
  }

  /// Runs the layer with its weight divided by σ; in training mode first refines σ.
  torch::Tensor forward(const torch::Tensor& x) {
    // Back to the parameter afterwards (even on an exception), so the layer never keeps a graph.
    struct Restore {
      torch::Tensor* slot;
      torch::Tensor value;
      ~Restore() { *slot = value; }
    } restore{weight_slot_, weight_};
    *weight_slot_ = normalized_weight();
    return inner_.forward(x);
  }

  /// The current estimate of σ(W) (no graph): uᵀ W v with the stored vectors.
  double sigma() {
    torch::NoGradGuard no_grad;
    return u_.dot(matrix().mv(v_)).item<double>();
  }

  /// The wrapped layer.
  const torch::nn::AnyModule& layer() const { return inner_; }

 private:
  void init(torch::nn::AnyModule inner, torch::Tensor& weight, int64_t dim) {
    GANCRAFT_CHECK(options_.power_iterations() >= 0, OptionError,
                   "SpectralNorm: power_iterations must be >= 0, got ", options_.power_iterations());
    inner_ = std::move(inner);
    register_module("module", inner_.ptr());
    weight_slot_ = &weight;
    weight_ = weight;
    dim_ = dim;
    const torch::Tensor w = matrix();
    torch::NoGradGuard no_grad;
    u_ = register_buffer("u", normalize(torch::randn({w.size(0)}, w.options())));
    v_ = register_buffer("v", normalize(torch::randn({w.size(1)}, w.options())));
  }

  torch::Tensor matrix() const {
    torch::Tensor w = dim_ == 0 ? weight_ : weight_.transpose(0, dim_);
    return w.reshape({w.size(0), -1});
  }
  torch::Tensor normalize(const torch::Tensor& t) const { return t / (t.norm() + options_.eps()); }

  torch::Tensor normalized_weight() {
    const torch::Tensor w = matrix();
    if (is_training()) {
      torch::NoGradGuard no_grad;
      for (int64_t i = 0; i < options_.power_iterations(); ++i) {
        v_.copy_(normalize(w.t().mv(u_)));
        u_.copy_(normalize(w.mv(v_)));
      }
    }
    // Clones: a second forward before backward (D on real, then on fake) updates u and v in
    // place, which must not touch the vectors this graph saved.
    const torch::Tensor sigma = u_.clone().dot(w.mv(v_.clone()));
    return weight_ / sigma;
  }

  SpectralNormOptions options_;
  torch::nn::AnyModule inner_;
  torch::Tensor* weight_slot_ = nullptr;  // the layer's `weight` member, which its forward reads
  torch::Tensor weight_;                  // the trainable weight (the registered parameter)
  torch::Tensor u_, v_;
  int64_t dim_ = 0;
};

/// Module holder for `SpectralNormImpl`.
TORCH_MODULE(SpectralNorm);

/// A copy of `seq` in which every Linear, Conv2d and ConvTranspose2d is wrapped in
/// `SpectralNorm`; the layers and other items are shared, not copied. For your own
/// module classes, wrap the layers where you construct them: their `forward` calls the member
/// layers directly, so they cannot be rewired from outside.
inline torch::nn::Sequential spectral_norm(const torch::nn::Sequential& seq, SpectralNormOptions options = {}) {
  torch::nn::Sequential out;  // items are named "0", "1", … as in `seq`
  for (const auto& item : *seq) {
    const auto ptr = item.ptr();
    if (auto l = std::dynamic_pointer_cast<torch::nn::LinearImpl>(ptr))
      out->push_back(SpectralNorm(torch::nn::Linear(l), options));
    else if (auto c = std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(ptr))
      out->push_back(SpectralNorm(torch::nn::Conv2d(c), options));
    else if (auto t = std::dynamic_pointer_cast<torch::nn::ConvTranspose2dImpl>(ptr))
      out->push_back(SpectralNorm(torch::nn::ConvTranspose2d(t), options));
    else
      out->push_back(item);
  }
  return out;
}

}  // namespace gancraft::nn
