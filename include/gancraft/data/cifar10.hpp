#pragma once
/// @file gancraft/data/cifar10.hpp
/// CIFAR-10 from its binary release (`cifar-10-batches-bin`).

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
#include <gancraft/io/cifar_format.hpp>

namespace gancraft::detail {

/// Loads the `split` part of CIFAR-10's binary release from `root` (the
/// batches directory or its parent).
inline LabelledImages load_cifar10(const std::filesystem::path& root, data::Split split) {
  using data::Split;
  std::filesystem::path dir = root;
  if (std::filesystem::is_directory(root / "cifar-10-batches-bin"))
    dir = root / "cifar-10-batches-bin";
  std::vector<std::filesystem::path> files;
  if (split == Split::Train) {
    for (int i = 1; i <= 5; ++i)
      files.push_back(dir / ("data_batch_" + std::to_string(i) + ".bin"));
  } else {
    files.push_back(dir / "test_batch.bin");
  }
  std::vector<torch::Tensor> images, labels;
  for (const auto& file : files) {
    GANCRAFT_CHECK(std::filesystem::exists(file), IoError, file.string(),
                   ": not found; CIFAR10 expects the binary release's files in ", root.string(),
                   " or ", (root / "cifar-10-batches-bin").string());
    const std::vector<std::uint8_t> bytes = detail::read_maybe_gzipped(file);
    const io::CifarBatch batch = io::parse_cifar_batch(bytes, file.string());
    const auto n = static_cast<int64_t>(batch.count);
    torch::Tensor file_images = torch::empty({n, 3, 32, 32}, torch::kFloat);
    torch::Tensor file_labels = torch::empty({n}, torch::kLong);
    float* pixels = file_images.data_ptr<float>();
    int64_t* label_out = file_labels.data_ptr<int64_t>();
    for (int64_t r = 0; r < n; ++r) {
      const std::uint8_t* record = batch.records + r * kCifarRecordBytes;
      label_out[r] = record[0];
      // The planes are already in [C, H, W] order.
      detail::bytes_to_unit_range(record + 1, pixels + r * (kCifarRecordBytes - 1),
                                  kCifarRecordBytes - 1);
    }
    images.push_back(std::move(file_images));
    labels.push_back(std::move(file_labels));
  }
  return {images.size() == 1 ? images[0] : torch::cat(images),
          labels.size() == 1 ? labels[0] : torch::cat(labels)};
}

}  // namespace gancraft::detail

namespace gancraft::data {

/// CIFAR-10 (Krizhevsky, 2009), read from the binary release: in
/// `cifar-10-batches-bin`, `data_batch_1.bin` … `data_batch_5.bin` make up
/// `Split::Train` and `test_batch.bin` makes up `Split::Test`. `root` may be
/// that directory or its parent.
///
/// Each record is 3073 bytes: one label byte (0..9), then the 32x32 red,
/// green and blue planes. The official files hold 10000 records each, but
/// any non-zero whole number of records is accepted (so subsets and test
/// fixtures load too); a file may also be gzip-compressed.
/// Images are float [N, 3, 32, 32] scaled to [-1, 1] (p / 127.5 - 1).
///
/// @code
/// gancraft::data::CIFAR10 train("data");  // finds data/cifar-10-batches-bin
/// auto [image, label] = train.get(0);      // [3,32,32], int64 scalar
/// @endcode
/// @throws IoError naming the file on a missing file, a size that is not a
/// whole number of records, or a label outside 0..9.
///
/// Accessors (from the base): `get(i)` → {image [3,32,32], int64 label},
/// `size()`, `images()` float [N,3,32,32], `labels()` int64 [N], `split()`.
class CIFAR10 : public detail::InMemoryImageDataset<CIFAR10> {
 public:
  /// Bytes in one record: a label byte and 3 * 32 * 32 pixel bytes.
  static constexpr std::size_t kRecordBytes = detail::kCifarRecordBytes;

  /// Loads the `split` part from `root` (the batches directory or its parent).
  explicit CIFAR10(const std::filesystem::path& root, Split split = Split::Train)
      : InMemoryImageDataset(detail::load_cifar10(root, split), split, "CIFAR10") {}

  /// The class names, indexed by label.
  static const std::vector<std::string>& classes() {
    static const std::vector<std::string> names{"airplane", "automobile", "bird",  "cat",  "deer",
                                                "dog",      "frog",       "horse", "ship", "truck"};
    return names;
  }
};

}  // namespace gancraft::data
