#pragma once
/// @file gancraft/training/scoped_state.hpp
/// Guards that change a piece of training state for a scope and put it back, even on an
/// exception: a module's mode, its parameters' gradients, its buffers, its weights, and
/// LibTorch's global random stream.

#include <gancraft/error.hpp>

#include <torch/torch.h>

#include <mutex>
#include <utility>
#include <vector>

namespace gancraft {

/// Turns off gradients of a module's parameters for a scope (the discriminator during the
/// generator update: its weight gradients would be computed and then thrown away).
/// @code
/// gc::FrozenParameters frozen(d->parameters());  // D's weights get no gradients here
/// @endcode
class FrozenParameters {
 public:
  /// Turns off `requires_grad` on `params`; the destructor puts back what each had.
  explicit FrozenParameters(std::vector<torch::Tensor> params) : params_(std::move(params)) {
    was_.reserve(params_.size());
    for (auto& p : params_) {
      was_.push_back(p.requires_grad());
      p.requires_grad_(false);
    }
  }
  ~FrozenParameters() {
    for (size_t i = 0; i < params_.size(); ++i) params_[i].requires_grad_(was_[i]);
  }
  FrozenParameters(const FrozenParameters&) = delete;
  FrozenParameters& operator=(const FrozenParameters&) = delete;

 private:
  std::vector<torch::Tensor> params_;
  std::vector<bool> was_;
};

namespace detail {

using gancraft::FrozenParameters;

/// Restores a module's train/eval mode when it goes out of scope.
class ModeGuard {
 public:
  explicit ModeGuard(torch::nn::Module& m) : m_(m), training_(m.is_training()) {}
  ~ModeGuard() { m_.train(training_); }
  ModeGuard(const ModeGuard&) = delete;
  ModeGuard& operator=(const ModeGuard&) = delete;

 private:
  torch::nn::Module& m_;
  bool training_;
};

/// Saves LibTorch's global generators (the CPU's and, where CUDA is available, each device's)
/// and puts them back when the scope ends: `torch::manual_seed` inside the scope reseeds both.
class GlobalGeneratorGuard {
 public:
  GlobalGeneratorGuard() {
    generators_.push_back(at::detail::getDefaultCPUGenerator());
    if (torch::cuda::is_available())
      for (int64_t i = 0; i < static_cast<int64_t>(torch::cuda::device_count()); ++i)
        generators_.push_back(at::globalContext().defaultGenerator(
            torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(i))));
    for (auto& g : generators_) {
      std::lock_guard<std::mutex> lock(g.mutex());
      states_.push_back(g.get_state());
    }
  }
  ~GlobalGeneratorGuard() {
    for (size_t i = 0; i < generators_.size(); ++i) {
      std::lock_guard<std::mutex> lock(generators_[i].mutex());
      generators_[i].set_state(states_[i]);
    }
  }
  GlobalGeneratorGuard(const GlobalGeneratorGuard&) = delete;
  GlobalGeneratorGuard& operator=(const GlobalGeneratorGuard&) = delete;

 private:
  std::vector<at::Generator> generators_;
  std::vector<torch::Tensor> states_;
};

/// Copies a module's buffers (BatchNorm statistics) and restores them when the scope ends.
class BufferGuard {
 public:
  explicit BufferGuard(torch::nn::Module& m) : buffers_(m.buffers()) {
    saved_.reserve(buffers_.size());
    for (auto& b : buffers_) saved_.push_back(b.clone());
  }
  ~BufferGuard() {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < buffers_.size(); ++i) buffers_[i].copy_(saved_[i]);
  }
  BufferGuard(const BufferGuard&) = delete;
  BufferGuard& operator=(const BufferGuard&) = delete;

 private:
  std::vector<torch::Tensor> buffers_;
  std::vector<torch::Tensor> saved_;
};

/// Copies `replacement` (one tensor per parameter of `m`, or none) into `m`'s parameters for
/// its lifetime, and the originals back afterwards, even on an exception.
class ParameterSwap {
 public:
  ParameterSwap(torch::nn::Module& m, std::vector<torch::Tensor> replacement) {
    if (replacement.empty()) return;
    params_ = m.parameters();
    GANCRAFT_CHECK(replacement.size() == params_.size(), ShapeError, "sampling parameters: ",
                   replacement.size(), " tensors for a generator with ", params_.size(), " parameters");
    torch::NoGradGuard no_grad;
    saved_.reserve(params_.size());
    for (size_t i = 0; i < params_.size(); ++i) {
      saved_.push_back(params_[i].detach().clone());
      params_[i].detach().copy_(replacement[i]);
    }
  }
  ~ParameterSwap() {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < saved_.size(); ++i) params_[i].detach().copy_(saved_[i]);
  }
  ParameterSwap(const ParameterSwap&) = delete;
  ParameterSwap& operator=(const ParameterSwap&) = delete;

 private:
  std::vector<torch::Tensor> params_, saved_;
};

}  // namespace detail
}  // namespace gancraft
