#pragma once
/// @file gancraft/metrics/torchscript_extractor.hpp
/// Kept out of `gan.hpp`: `torch/script.h` (the TorchScript loader) costs compile time that
/// only programs loading TorchScript should pay.

#include <gancraft/error.hpp>
#include <gancraft/metrics/feature_extractor.hpp>

#include <torch/script.h>
#include <torch/torch.h>

#include <filesystem>
#include <memory>
#include <string>

namespace gancraft::metrics {

/// A `FeatureExtractor` from a TorchScript file (`torch.jit.trace(net, x).save(path)` in
/// Python), so a network exported from Python, such as pytorch-fid's Inception-v3 with its
/// 2048-d pool output, gives the standard FID in C++. The module runs in eval mode; its
/// forward must return one tensor. `IoError` naming the file when it is missing or not a
/// TorchScript archive.
inline FeatureExtractor load_torchscript_extractor(const std::filesystem::path& path,
                                                   torch::Device device = torch::kCPU) {
  GANCRAFT_CHECK(std::filesystem::is_regular_file(path), IoError,
                 "load_torchscript_extractor: no such file: ", path.string());
  auto module = std::make_shared<torch::jit::Module>();
  try {
    *module = torch::jit::load(path.string(), device);
  } catch (const c10::Error& e) {
    throw IoError("load_torchscript_extractor: " + path.string() +
                  " is not a readable TorchScript module: " + e.what_without_backtrace());
  }
  module->eval();
  const std::string name = path.string();
  return [module, name](const torch::Tensor& x) {
    torch::jit::IValue out = module->forward({x});
    GANCRAFT_CHECK(out.isTensor(), ShapeError, "TorchScript extractor ", name,
                   " returned a ", out.tagKind(), " instead of one tensor");
    return out.toTensor();
  };
}

}  // namespace gancraft::metrics
