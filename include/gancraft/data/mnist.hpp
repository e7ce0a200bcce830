#pragma once
/// @file gancraft/data/mnist.hpp
/// MNIST and Fashion-MNIST from their IDX files (raw or gzip-compressed).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <torch/torch.h>

#include <gancraft/data/split.hpp>
#include <gancraft/detail/gzip.hpp>
#include <gancraft/detail/image_dataset.hpp>
#include <gancraft/error.hpp>
#include <gancraft/io/idx_format.hpp>

namespace gancraft::detail {

/// An IDX image file decoded to [-1, 1]: `images` is float [N, 1, rows, cols].
/// @throws IoError naming the file on a bad magic number or a size that does
/// not match the header (see io::parse_idx_images).
inline torch::Tensor read_idx_images(const std::filesystem::path& path) {
  const std::vector<std::uint8_t> bytes = read_maybe_gzipped(path);
  const io::IdxImages idx = io::parse_idx_images(bytes, path.string());
  torch::Tensor images = torch::empty({static_cast<int64_t>(idx.count), 1,
                                       static_cast<int64_t>(idx.rows),
                                       static_cast<int64_t>(idx.cols)},
                                      torch::kFloat);
  bytes_to_unit_range(idx.pixels, images.data_ptr<float>(), idx.count * idx.rows * idx.cols);
  return images;
}

/// An IDX label file as int64 [N]; every label must be below `num_classes`.
/// @throws IoError naming the file on a bad magic number, size or label
/// (see io::parse_idx_labels).
inline torch::Tensor read_idx_labels(const std::filesystem::path& path, int64_t num_classes) {
  const std::vector<std::uint8_t> bytes = read_maybe_gzipped(path);
  const io::IdxLabels idx = io::parse_idx_labels(bytes, path.string(), num_classes);
  torch::Tensor labels = torch::empty({static_cast<int64_t>(idx.count)}, torch::kLong);
  auto* out = labels.data_ptr<int64_t>();
  for (std::uint64_t i = 0; i < idx.count; ++i) out[i] = idx.labels[i];
  return labels;
}

/// `root/name` if it exists, else `root/name.gz`.
/// @throws IoError naming both candidates when neither exists.
inline std::filesystem::path find_raw_or_gz(const std::filesystem::path& root,
                                            const std::string& name, const char* dataset) {
  const std::filesystem::path raw = root / name;
  const std::filesystem::path gz = root / (name + ".gz");
  if (std::filesystem::exists(raw)) return raw;
  if (std::filesystem::exists(gz)) return gz;
  throw IoError(str(raw.string(), ": not found (nor ", gz.string(), "); ", dataset,
                    " expects its IDX files directly in ", root.string()));
}

/// Loads the `split` part of an MNIST-format data set from the IDX files in
/// `root`; `dataset` names the data set in error messages.
inline LabelledImages load_idx_dataset(const std::filesystem::path& root, data::Split split,
                                       const char* dataset) {
  const std::string prefix = split == data::Split::Train ? "train" : "t10k";
  const auto image_path = find_raw_or_gz(root, prefix + "-images-idx3-ubyte", dataset);
  const auto label_path = find_raw_or_gz(root, prefix + "-labels-idx1-ubyte", dataset);
  LabelledImages loaded{read_idx_images(image_path), read_idx_labels(label_path, 10)};
  GANCRAFT_CHECK(loaded.labels.size(0) == loaded.images.size(0), IoError, label_path.string(),
                 ": has ", loaded.labels.size(0), " labels but ", image_path.string(), " has ",
                 loaded.images.size(0), " images");
  return loaded;
}

}  // namespace gancraft::detail

namespace gancraft::data {

/// The MNIST handwritten digits (LeCun et al., 1998), read from the four IDX
/// files of the original release, each raw or gzip-compressed:
/// `train-images-idx3-ubyte[.gz]`, `train-labels-idx1-ubyte[.gz]` for
/// `Split::Train`, `t10k-…` for `Split::Test`, directly inside `root`.
/// Images are float [N, 1, 28, 28] scaled to [-1, 1] (p / 127.5 - 1).
///
/// @code
/// auto loader = torch::data::make_data_loader(
///     gancraft::data::MNIST("data/mnist").map(torch::data::transforms::Stack<>()), 64);
/// @endcode
/// @throws IoError naming the file on a missing, truncated or malformed file.
/// Accessors (from the base): `get(i)` → {image [1,28,28], int64 label},
/// `size()`, `images()` float [N,1,28,28], `labels()` int64 [N], `split()`.
class MNIST : public detail::InMemoryImageDataset<MNIST> {
 public:
  /// Loads the `split` part of MNIST from `root`.
  explicit MNIST(const std::filesystem::path& root, Split split = Split::Train)
      : InMemoryImageDataset(detail::load_idx_dataset(root, split, "MNIST"), split, "MNIST") {}

  /// The class names, indexed by label: "0" … "9".
  static const std::vector<std::string>& classes() {
    static const std::vector<std::string> names{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
    return names;
  }
};

/// Fashion-MNIST (Xiao, Rasul & Vollgraf, 2017, arXiv:1708.07747): the same
/// IDX layout, file names and scaling as `MNIST`, with clothing classes.
///
/// @code
/// gancraft::data::FashionMNIST test("/usr/share/datasets/fashion-mnist",
/// gancraft::data::Split::Test);
/// @endcode
/// @throws IoError naming the file on a missing, truncated or malformed file.
/// Accessors as for `MNIST`.
class FashionMNIST : public detail::InMemoryImageDataset<FashionMNIST> {
 public:
  /// Loads the `split` part of Fashion-MNIST from `root`.
  explicit FashionMNIST(const std::filesystem::path& root, Split split = Split::Train)
      : InMemoryImageDataset(detail::load_idx_dataset(root, split, "FashionMNIST"), split,
                             "FashionMNIST") {}

  /// The class names, indexed by label.
  static const std::vector<std::string>& classes() {
    static const std::vector<std::string> names{"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                                "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                                "Bag",         "Ankle boot"};
    return names;
  }
};

}  // namespace gancraft::data
