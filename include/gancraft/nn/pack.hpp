#pragma once
/// @file gancraft/nn/pack.hpp

#include <gancraft/error.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <vector>

namespace gancraft::nn {

/// PacGAN packing (Lin et al. 2018, arXiv:1712.04086): the discriminator judges `m` samples
/// at once. Wraps any discriminator whose input takes m times the features (vectors) or
/// channels (images): consecutive groups of m samples [N, C, …] are concatenated into
/// [N / m, m · C, …] and scored as one. Every loss and penalty works unchanged, since they only
/// see D's input and scores.
///
/// To let D see `batch` tuples, as PacGAN does, train with `batch_size = batch · m`: the real
/// and the generated batches both hold m · batch samples.
/// @code
/// auto d = gc::nn::Pack(my_discriminator_taking_8_features, 4);   // samples: [N, 2]
/// auto trainer = gc::Trainer(g, d, loss, gc::TrainerOptions().batch_size(100 * 4));
/// @endcode
class PackImpl : public torch::nn::Module {
 public:
  /// Packs `m` samples for `discriminator` (any module holder with `forward(Tensor)`);
  /// `OptionError` unless m >= 1.
  template <class D>
  PackImpl(D discriminator, int64_t m) : m_(m) {
    GANCRAFT_CHECK(m >= 1, OptionError, "Pack: m must be >= 1, got ", m);
    register_module("inner", discriminator.ptr());
    // A closure rather than AnyModule, which cannot hold a Sequential (templated forward).
    inner_ = [d = std::move(discriminator)](const torch::Tensor& x) mutable -> torch::Tensor {
      return d->forward(x);
    };
  }
  /// [N, C, …] -> D([N / m, m · C, …]); `ShapeError` unless N is a multiple of m.
  torch::Tensor forward(const torch::Tensor& x) {
    GANCRAFT_CHECK(x.dim() >= 2 && x.size(0) % m_ == 0, ShapeError, "Pack: a batch of shape ",
                   x.sizes(), " cannot be packed in groups of ", m_,
                   " (the batch size must be a multiple of m)");
    std::vector<int64_t> shape = x.sizes().vec();
    shape[0] /= m_;
    shape[1] *= m_;
    return inner_(x.reshape(shape));
  }
  /// Samples per tuple; the trainer reads it to check batch sizes and D's output.
  int64_t samples_per_score() const noexcept { return m_; }

 private:
  std::function<torch::Tensor(const torch::Tensor&)> inner_;
  int64_t m_;
};

/// Module holder for `PackImpl`.
TORCH_MODULE(Pack);

}  // namespace gancraft::nn
