#pragma once
/// @file gancraft/data/paired_image_folder.hpp

#include <gancraft/data/image_folder.hpp>
#include <gancraft/error.hpp>

#include <torch/torch.h>

#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace gancraft::data {

/// Paired images in two folders, `A/name.png` ↔ `B/name.png` (pix2pix's layout): example i
/// is `{data: A's image, target: B's image}`. Files pair by their path below the folder without
/// the extension, so `A/shoes/001.jpg` pairs with `B/shoes/001.png`. Each side is read and
/// resized as `ImageFolder` does, with its own options (a super-resolution task reads A at 14
/// and B at 28). Order: A's sorted order.
/// @code
/// gc::data::PairedImageFolder pairs("data/edges", "data/photos",
///                                   gc::data::ImageFolderOptions().image_size(64));
/// trainer.fit(pairs);   // a ModelTrainer: batch.data from A, batch.target from B
/// @endcode
/// @throws IoError naming a file with no partner (the first one, and how many there are), or
/// a folder that is missing or holds no image.
class PairedImageFolder : public torch::data::datasets::Dataset<PairedImageFolder> {
 public:
  /// Scans both folders and pairs their files; decodes nothing yet.
  PairedImageFolder(const std::filesystem::path& a, const std::filesystem::path& b,
                    ImageFolderOptions a_options = {}, std::optional<ImageFolderOptions> b_options = std::nullopt)
      : a_(a, a_options), b_(b, b_options.value_or(a_options)) {
    auto key = [](const std::filesystem::path& root, const std::filesystem::path& file) {
      return file.lexically_relative(root).replace_extension().generic_string();
    };
    std::map<std::string, std::size_t> in_b;
    for (std::size_t i = 0; i < b_.paths().size(); ++i) {
      const std::string k = key(b, b_.paths()[i]);
      GANCRAFT_CHECK(in_b.emplace(k, i).second, IoError, b_.paths()[i].string(), ": ", b.string(),
                     " has two images named ", k, " (with different extensions)");
    }
    std::vector<std::string> unmatched_a;
    std::map<std::string, bool> used;
    for (std::size_t i = 0; i < a_.paths().size(); ++i) {
      const std::string k = key(a, a_.paths()[i]);
      const auto it = in_b.find(k);
      if (it == in_b.end()) {
        unmatched_a.push_back(a_.paths()[i].string());
        continue;
      }
      GANCRAFT_CHECK(!used[k], IoError, a_.paths()[i].string(), ": ", a.string(), " has two images named ", k,
                     " (with different extensions)");
      used[k] = true;
      pairs_.emplace_back(i, it->second);
    }
    GANCRAFT_CHECK(unmatched_a.empty(), IoError, unmatched_a.front(), ": has no partner in ", b.string(), " (",
                   unmatched_a.size(), " of ", a_.paths().size(), " images in ", a.string(),
                   " have none); paired folders need the same file names");
    for (const auto& [k, i] : in_b)
      GANCRAFT_CHECK(used.count(k), IoError, b_.paths()[i].string(), ": has no partner in ", a.string(), " (",
                     b_.paths().size() - pairs_.size(), " of ", b_.paths().size(), " images in ", b.string(),
                     " have none); paired folders need the same file names");
  }

  /// Pair `index`: A's image as `data`, B's as `target`, each `[C, S, S]` in [-1, 1].
  torch::data::Example<> get(std::size_t index) override {
    GANCRAFT_CHECK(index < pairs_.size(), OptionError, "PairedImageFolder: index ", index, " out of range for ",
                   pairs_.size(), " pairs");
    return {a_.get(pairs_[index].first).data, b_.get(pairs_[index].second).data};
  }

  /// Number of pairs.
  torch::optional<std::size_t> size() const override { return pairs_.size(); }

  const ImageFolder& a() const noexcept { return a_; }  ///< the source folder
  const ImageFolder& b() const noexcept { return b_; }  ///< the target folder

 private:
  ImageFolder a_, b_;
  std::vector<std::pair<std::size_t, std::size_t>> pairs_;
};

}  // namespace gancraft::data
