#pragma once
/// @file gancraft/data/unpaired_image_folder.hpp

#include <gancraft/core/random.hpp>
#include <gancraft/data/image_folder.hpp>
#include <gancraft/error.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

namespace gancraft::data {

/// Images of two domains in two folders, without correspondence (CycleGAN's trainA and
/// trainB): example i is `{data: an image of A, target: an image of B}`. There are
/// max(|A|, |B|) examples; the larger folder is seen once per epoch, the smaller one cycled.
/// B is visited in a fixed order shuffled with `seed`, so that the folders' sorted orders do
/// not line up (paired data put here by mistake meet their partners only by chance). The pairs
/// are the same every epoch; CycleGAN's losses never compare an A with the B it came with.
/// Each side is read and resized as `ImageFolder` does, with its own options.
/// @code
/// gc::data::UnpairedImageFolder domains("data/horses", "data/zebras",
///                                       gc::data::ImageFolderOptions().image_size(64));
/// trainer.fit(domains);   // a ModelTrainer of CycleGAN: batch.data from A, batch.target from B
/// @endcode
/// @throws IoError naming a folder that is missing or holds no image.
class UnpairedImageFolder : public torch::data::datasets::Dataset<UnpairedImageFolder> {
 public:
  /// Scans both folders; decodes nothing yet.
  UnpairedImageFolder(const std::filesystem::path& a, const std::filesystem::path& b,
                      ImageFolderOptions a_options = {}, std::optional<ImageFolderOptions> b_options = std::nullopt,
                      uint64_t seed = 0)
      : a_(a, a_options), b_(b, b_options.value_or(a_options)) {
    at::Generator gen = make_generator(seed);
    const torch::Tensor order = torch::randperm(static_cast<int64_t>(b_.paths().size()), gen, torch::kLong);
    b_order_.assign(order.data_ptr<int64_t>(), order.data_ptr<int64_t>() + order.numel());
  }

  /// Example `index`: A's image `index % |A|` as `data`, B's image at position `index % |B|` of
  /// its shuffled order as `target`, each `[C, S, S]` in [-1, 1].
  torch::data::Example<> get(std::size_t index) override {
    GANCRAFT_CHECK(index < *size(), OptionError, "UnpairedImageFolder: index ", index, " out of range for ",
                   *size(), " examples");
    const std::size_t na = a_.paths().size(), nb = b_.paths().size();
    return {a_.get(index % na).data, b_.get(static_cast<std::size_t>(b_order_[index % nb])).data};
  }

  /// max(|A|, |B|).
  torch::optional<std::size_t> size() const override { return std::max(a_.paths().size(), b_.paths().size()); }

  const ImageFolder& a() const noexcept { return a_; }  ///< domain A's folder
  const ImageFolder& b() const noexcept { return b_; }  ///< domain B's folder

 private:
  ImageFolder a_, b_;
  std::vector<int64_t> b_order_;
};

}  // namespace gancraft::data
