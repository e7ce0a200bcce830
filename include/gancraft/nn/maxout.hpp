#pragma once
/// @file gancraft/nn/maxout.hpp

#include <gancraft/error.hpp>

#include <torch/torch.h>

#include <cstdint>

namespace gancraft::nn {

/// A maxout layer (Goodfellow et al. 2013, arXiv:1302.4389): a Linear layer to
/// `units × pieces` outputs, then the maximum over each unit's `pieces`. The discriminator of
/// the original GAN and of PacGAN's mixture experiments.
/// @code
/// gc::nn::Maxout layer(2, 200, 5);   // [N, 2] -> [N, 200]
/// @endcode
class MaxoutImpl : public torch::nn::Module {
 public:
  /// `OptionError` unless all three sizes are >= 1.
  MaxoutImpl(int64_t in, int64_t units, int64_t pieces) : units_(units), pieces_(pieces) {
    GANCRAFT_CHECK(in >= 1 && units >= 1 && pieces >= 1, OptionError,
                   "Maxout: in, units and pieces must be >= 1, got ", in, ", ", units, ", ", pieces);
    linear = register_module("linear", torch::nn::Linear(in, units * pieces));
  }
  /// [N, in] -> [N, units].
  torch::Tensor forward(const torch::Tensor& x) {
    return std::get<0>(linear(x).view({x.size(0), units_, pieces_}).max(2));
  }
  torch::nn::Linear linear{nullptr};  ///< the affine map to units × pieces

 private:
  int64_t units_, pieces_;
};

/// Module holder for `MaxoutImpl`.
TORCH_MODULE(Maxout);

}  // namespace gancraft::nn
