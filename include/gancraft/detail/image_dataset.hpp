#pragma once
/// @file gancraft/detail/image_dataset.hpp
/// Machinery shared by the in-memory image data sets (MNIST, Fashion-MNIST,
/// CIFAR-10): the one mapping from 8-bit pixels to [-1, 1], and the
/// `Dataset` base that serves examples from whole tensors.

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>

#include <torch/torch.h>

#include <gancraft/data/split.hpp>
#include <gancraft/error.hpp>

namespace gancraft::detail {

/// The value a byte `p` maps to: p / 127.5 - 1, computed in double and rounded
/// once to float, so 0 -> -1 and 255 -> 1 exactly.
inline float byte_to_unit_range(std::uint8_t p) noexcept {
  return static_cast<float>(static_cast<double>(p) / 127.5 - 1.0);
}

/// Maps `n` bytes to floats with `byte_to_unit_range` (through a 256-entry table,
/// so the result is bit-identical on every platform and no wide temporary is made).
inline void bytes_to_unit_range(const std::uint8_t* in, float* out, std::size_t n) noexcept {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> t{};
    for (int p = 0; p < 256; ++p) t[p] = byte_to_unit_range(static_cast<std::uint8_t>(p));
    return t;
  }();
  for (std::size_t i = 0; i < n; ++i) out[i] = table[in[i]];
}

/// A whole data set decoded into memory.
struct LabelledImages {
  /// float [N, C, H, W] in [-1, 1].
  torch::Tensor images;
  /// int64 [N].
  torch::Tensor labels;
};

/// A map-style data set serving examples from whole in-memory tensors.
/// `Self` is the concrete data set (CRTP, as `torch::data::datasets::Dataset`
/// requires); it loads the tensors and passes them to this constructor.
template <class Self>
class InMemoryImageDataset : public torch::data::datasets::Dataset<Self> {
 public:
  /// Example `index`: image float [C, H, W] in [-1, 1] and an int64 scalar label.
  /// @throws OptionError if `index` is out of range.
  torch::data::Example<> get(std::size_t index) override {
    GANCRAFT_CHECK(index < static_cast<std::size_t>(images_.size(0)), OptionError, name_,
                   ": index ", index, " out of range for ", images_.size(0), " images");
    const auto i = static_cast<int64_t>(index);
    return {images_[i], labels_[i]};
  }

  /// Number of examples.
  torch::optional<std::size_t> size() const override {
    return static_cast<std::size_t>(images_.size(0));
  }

  /// All images, float [N, C, H, W] in [-1, 1].
  const torch::Tensor& images() const noexcept { return images_; }
  /// All labels, int64 [N].
  const torch::Tensor& labels() const noexcept { return labels_; }
  /// The part that was loaded.
  data::Split split() const noexcept { return split_; }

 protected:
  /// Takes ownership of the loaded tensors; `name` labels error messages.
  InMemoryImageDataset(LabelledImages loaded, data::Split split, const char* name)
      : images_(std::move(loaded.images)),
        labels_(std::move(loaded.labels)),
        split_(split),
        name_(name) {}

 private:
  torch::Tensor images_;
  torch::Tensor labels_;
  data::Split split_;
  const char* name_;
};

}  // namespace gancraft::detail
