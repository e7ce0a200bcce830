#pragma once
/// @file gancraft/core/optimizer_options.hpp

#include <gancraft/error.hpp>

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace gancraft {

/// Which optimizer updates a network, with its hyper-parameters.
///
/// Default: Adam with DCGAN's lr 2e-4 and betas (0.5, 0.999) (Radford et al. 2015).
/// @code
/// auto opt = gc::OptimizerOptions::rmsprop(5e-5);   // the original WGAN recipe
/// auto adam = gc::OptimizerOptions().lr(1e-4).beta1(0.0).beta2(0.9);
/// @endcode
struct OptimizerOptions {
  /// The optimizer algorithm.
  enum class Kind { Adam, RMSprop, SGD };

  /// Adam (Kingma & Ba 2014) with the given rate and betas.
  static OptimizerOptions adam(double lr = 2e-4, double beta1 = 0.5, double beta2 = 0.999) {
    return OptimizerOptions().kind(Kind::Adam).lr(lr).beta1(beta1).beta2(beta2);
  }
  /// RMSprop (smoothing `alpha` 0.99, as LibTorch and PyTorch default).
  static OptimizerOptions rmsprop(double lr = 5e-5) {
    return OptimizerOptions().kind(Kind::RMSprop).lr(lr);
  }
  /// Stochastic gradient descent with optional momentum.
  static OptimizerOptions sgd(double lr, double momentum = 0.0) {
    return OptimizerOptions().kind(Kind::SGD).lr(lr).momentum(momentum);
  }

  /// The algorithm; the factories `adam`, `rmsprop` and `sgd` set it.
  TORCH_ARG(Kind, kind) = Kind::Adam;
  /// Learning rate (all kinds).
  TORCH_ARG(double, lr) = 2e-4;
  TORCH_ARG(double, beta1) = 0.5;     ///< Adam
  TORCH_ARG(double, beta2) = 0.999;   ///< Adam
  TORCH_ARG(double, eps) = 1e-8;      ///< Adam, RMSprop
  TORCH_ARG(double, alpha) = 0.99;    ///< RMSprop smoothing constant
  TORCH_ARG(double, momentum) = 0.0;  ///< RMSprop, SGD
  /// L2 penalty on the weights (all kinds).
  TORCH_ARG(double, weight_decay) = 0.0;
};

/// The name of an optimizer kind, as configs and logs spell it.
inline std::string to_string(OptimizerOptions::Kind kind) {
  switch (kind) {
    case OptimizerOptions::Kind::Adam: return "adam";
    case OptimizerOptions::Kind::RMSprop: return "rmsprop";
    case OptimizerOptions::Kind::SGD: return "sgd";
  }
  return "unknown";
}

namespace detail {
/// Builds the LibTorch optimizer `options` describe over `params`; `who` names the network
/// in error messages.
inline std::unique_ptr<torch::optim::Optimizer> make_optimizer(
    const OptimizerOptions& o, std::vector<torch::Tensor> params, const std::string& who) {
  GANCRAFT_CHECK(o.lr() > 0, OptionError, who, " optimizer: learning rate must be > 0, got ", o.lr());
  GANCRAFT_CHECK(o.beta1() >= 0 && o.beta1() < 1 && o.beta2() >= 0 && o.beta2() < 1, OptionError,
                 who, " optimizer: betas must lie in [0, 1), got (", o.beta1(), ", ", o.beta2(), ")");
  GANCRAFT_CHECK(o.momentum() >= 0, OptionError, who, " optimizer: momentum must be >= 0, got ",
                 o.momentum());
  GANCRAFT_CHECK(!params.empty(), OptionError, who, " has no parameters to optimize");
  switch (o.kind()) {
    case OptimizerOptions::Kind::Adam:
      return std::make_unique<torch::optim::Adam>(
          std::move(params), torch::optim::AdamOptions(o.lr())
                                 .betas({o.beta1(), o.beta2()})
                                 .eps(o.eps())
                                 .weight_decay(o.weight_decay()));
    case OptimizerOptions::Kind::RMSprop:
      return std::make_unique<torch::optim::RMSprop>(
          std::move(params), torch::optim::RMSpropOptions(o.lr())
                                 .alpha(o.alpha())
                                 .eps(o.eps())
                                 .momentum(o.momentum())
                                 .weight_decay(o.weight_decay()));
    case OptimizerOptions::Kind::SGD:
      return std::make_unique<torch::optim::SGD>(
          std::move(params),
          torch::optim::SGDOptions(o.lr()).momentum(o.momentum()).weight_decay(o.weight_decay()));
  }
  throw OptionError(detail::str(who, " optimizer: unknown kind"));
}
}  // namespace detail

}  // namespace gancraft
