#pragma once
/// @file gancraft/models/fashion_mnist_classifier.hpp

#include <torch/torch.h>

#include <cstdint>
#include <utility>

namespace gancraft::models {

/// The small convolutional Fashion-MNIST classifier behind FD-FMNIST (see `metrics/fd_fmnist.hpp`):
/// three blocks of 3×3 convolution, BatchNorm, ReLU and 2×2 max-pooling (32, 64, 128
/// channels: 28 → 14 → 7 → 3), a 128-unit ReLU layer whose output is the feature vector, and a
/// linear layer to the 10 class logits. Input: images [N, 1, 28, 28] in [-1, 1], gancraft's
/// image range.
class FashionMnistClassifierImpl : public torch::nn::Module {
 public:
  /// Length of the feature vector.
  static constexpr int64_t feature_dim = 128;
  /// Number of classes.
  static constexpr int64_t num_classes = 10;

  FashionMnistClassifierImpl() {
    torch::nn::Sequential body;
    for (auto [in, out] : {std::pair<int64_t, int64_t>{1, 32}, {32, 64}, {64, 128}}) {
      body->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1).bias(false)));
      body->push_back(torch::nn::BatchNorm2d(out));
      body->push_back(torch::nn::ReLU());
      body->push_back(torch::nn::MaxPool2d(2));
    }
    body->push_back(torch::nn::Flatten());
    body_ = register_module("body", body);
    hidden_ = register_module("hidden", torch::nn::Linear(128 * 3 * 3, feature_dim));
    dropout_ = register_module("dropout", torch::nn::Dropout(0.3));
    head_ = register_module("head", torch::nn::Linear(feature_dim, num_classes));
  }

  /// The penultimate features [N, 128] (after the ReLU).
  torch::Tensor features(const torch::Tensor& x) { return torch::relu(hidden_(body_->forward(x))); }
  /// Class logits [N, 10].
  torch::Tensor forward(const torch::Tensor& x) { return head_(dropout_(features(x))); }

 private:
  torch::nn::Sequential body_{nullptr};
  torch::nn::Linear hidden_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::Linear head_{nullptr};
};

/// Module holder for `FashionMnistClassifierImpl`.
TORCH_MODULE(FashionMnistClassifier);

}  // namespace gancraft::models
