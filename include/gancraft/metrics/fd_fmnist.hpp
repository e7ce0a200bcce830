#pragma once
/// @file gancraft/metrics/fd_fmnist.hpp

#include <gancraft/error.hpp>
#include <gancraft/io/checkpoint.hpp>
#include <gancraft/metrics/feature_extractor.hpp>
#include <gancraft/models/fashion_mnist_classifier.hpp>

#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

namespace gancraft::metrics {

/// FD-FMNIST: the Fréchet distance in the 128-d penultimate features of gancraft's
/// Fashion-MNIST classifier (`models::FashionMnistClassifier`, trained by
/// `tools/fd_fmnist_train.cpp`, weights in `tools/data/fd_fmnist.pt`). It plays FID's role for
/// 28×28 grey images where Inception weights are not at hand; its values are not comparable
/// with Inception FID, nor with FD under any other classifier.
///
/// The FD-FMNIST classifier's weights file: `$GANCRAFT_FD_FMNIST` when set, else the file
/// gancraft's CMake package compiled in (`GANCRAFT_FD_FMNIST_WEIGHTS`: the source tree's
/// tools/data/fd_fmnist.pt for FetchContent and add_subdirectory, PREFIX/share/gancraft/ once
/// installed). `IoError` when that file does not exist, saying how to point at it.
inline std::filesystem::path fd_fmnist_weights() {
  if (const char* env = std::getenv("GANCRAFT_FD_FMNIST"); env != nullptr && *env != '\0') {
    GANCRAFT_CHECK(std::filesystem::is_regular_file(env), IoError, "$GANCRAFT_FD_FMNIST names ", env,
                   ", which is not a file");
    return env;
  }
#ifdef GANCRAFT_FD_FMNIST_WEIGHTS
  const std::filesystem::path built_in = GANCRAFT_FD_FMNIST_WEIGHTS;
  GANCRAFT_CHECK(std::filesystem::is_regular_file(built_in), IoError, "the FD-FMNIST classifier's weights are not at ",
                 built_in.string(), " (where gancraft's CMake package put them); set $GANCRAFT_FD_FMNIST to the file");
  return built_in;
#else
  throw IoError("the FD-FMNIST classifier's weights: this program was not built against gancraft's CMake target "
                "(which defines GANCRAFT_FD_FMNIST_WEIGHTS); set $GANCRAFT_FD_FMNIST to tools/data/fd_fmnist.pt");
#endif
}

/// Loads the classifier from `path` (a state dict written by `export_state_dict`) in eval mode.
/// `IoError` naming the file when it is missing, unreadable, lacks a tensor or holds one of
/// the wrong shape.
inline models::FashionMnistClassifier load_fd_fmnist_classifier(const std::filesystem::path& path) {
  models::FashionMnistClassifier net;
  std::map<std::string, torch::Tensor> stored;
  for (auto& [name, tensor] : import_state_dict(path)) stored.emplace(name, tensor);
  torch::NoGradGuard no_grad;
  auto assign = [&](const std::string& name, torch::Tensor& target) {
    auto it = stored.find(name);
    GANCRAFT_CHECK(it != stored.end(), IoError, path.string(), ": no tensor \"", name,
                   "\"; is this an FD-FMNIST classifier?");
    GANCRAFT_CHECK(it->second.sizes() == target.sizes(), IoError, path.string(), ": tensor \"",
                   name, "\" has shape ", it->second.sizes(), ", the classifier needs ",
                   target.sizes());
    target.copy_(it->second);
  };
  for (auto& p : net->named_parameters()) assign(p.key(), p.value());
  for (auto& b : net->named_buffers()) assign(b.key(), b.value());
  net->eval();
  return net;
}

/// The FD-FMNIST feature extractor: images [N, 1, 28, 28] in [-1, 1] → features [N, 128].
/// `ShapeError` naming the shape for anything else (FD-FMNIST is defined for 28×28 only).
inline FeatureExtractor fd_fmnist_extractor(models::FashionMnistClassifier net) {
  net->eval();
  return [net](const torch::Tensor& x) mutable {
    GANCRAFT_CHECK(x.dim() == 4 && x.size(1) == 1 && x.size(2) == 28 && x.size(3) == 28,
                   ShapeError, "FD-FMNIST takes images [N, 1, 28, 28], got shape ", x.sizes());
    // On the classifier's device (a CUDA generator's images come back to the CPU classifier).
    return net->features(x.to(net->parameters().front().device(), torch::kFloat));
  };
}

}  // namespace gancraft::metrics
