#pragma once
/// @file gancraft/detail/state_dict_file.hpp
/// Named tensors as the bytes of a `torch.save` file that Python's `torch.load(path)` reads with
/// its default `weights_only=True` (PyTorch >= 2.6), and every LibTorch's `torch::pickle_load`.
///
/// `torch::pickle_save` tags a typed dictionary with `torch.jit._pickle.restore_type_tag`,
/// which `weights_only` loading refuses; an untagged pickle of the same dictionary is the plain
/// `{name: tensor}` that `torch.save(dict)` writes.

#include <gancraft/error.hpp>

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/export.h>
#include <torch/csrc/jit/serialization/pickler.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

namespace gancraft::detail {

/// The bytes of a `torch.save` file holding the dictionary `{name: tensor}`, in memory (no file
/// is touched, so a full disk cannot make LibTorch's writer throw from a destructor).
inline std::string state_dict_bytes(const std::vector<std::pair<std::string, torch::Tensor>>& named) {
  c10::impl::GenericDict dict(c10::StringType::get(), c10::TensorType::get());
  for (const auto& [name, tensor] : named) dict.insert(name, tensor);
  std::string pickle;
  torch::jit::Pickler pickler([&pickle](const char* data, size_t n) { pickle.append(data, n); },
                              /*tensor_table=*/nullptr, /*type_renamer=*/nullptr,
                              /*memoized_class_types=*/nullptr, /*get_tensor_id=*/nullptr,
                              /*tag_aggregates=*/false);
  pickler.protocol();
  pickler.pushIValue(c10::IValue(dict));
  pickler.stop();
  std::string bytes;
  caffe2::serialize::PyTorchStreamWriter writer([&bytes](const void* data, size_t n) {
    bytes.append(static_cast<const char*>(data), n);
    return n;
  });
  torch::jit::writeArchiveAndTensors("data", pickle.data(), pickle.size(), pickler.tensorData(), writer);
  writer.writeEndOfFile();
  return bytes;
}

/// Reads a dictionary of tensors written by `state_dict_bytes`, `torch::pickle_save` or Python's
/// `torch.save(dict)`, as name → tensor. `IoError` naming `path` when it is not one; LibTorch's
/// own errors pass through (callers name the file with `detail::load_file`).
inline std::vector<std::pair<std::string, torch::Tensor>> read_state_dict_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  GANCRAFT_CHECK(in.good(), IoError, path.string(), ": cannot open");
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), {});
  const c10::IValue value = torch::pickle_load(bytes);
  GANCRAFT_CHECK(value.isGenericDict(), IoError, path.string(), ": not a dictionary");
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& item : value.toGenericDict()) {
    GANCRAFT_CHECK(item.key().isString() && item.value().isTensor(), IoError, path.string(),
                   ": not a dictionary of named tensors");
    out.emplace_back(item.key().toStringRef(), item.value().toTensor());
  }
  return out;
}

}  // namespace gancraft::detail
