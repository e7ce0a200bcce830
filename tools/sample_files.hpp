#pragma once
// `gancraft eval fd-fmnist --samples FILE`: generated 28×28 grey images read from a PNG grid, a
// CSV file or a tensor file, as [N, 1, 28, 28] floats in [-1, 1].

#include <gancraft/detail/exception_text.hpp>
#include <gancraft/error.hpp>
#include <gancraft/io/png.hpp>
#include <gancraft/metrics/feature_file.hpp>

#include <torch/serialize.h>
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace gancraft::tools {

/// Options of `read_sample_images`.
struct SampleFileOptions {
  int64_t side = 28;     ///< each image is side × side, grey
  int64_t padding = 2;   ///< a PNG grid's border between tiles (`io::GridOptions::padding`)
  int64_t limit = 0;     ///< read at most this many images; 0: all
};

namespace detail {

/// The tiles of a PNG grid in `io::make_grid`'s layout (row-major, `padding` pixels around and
/// between them), as [N, 1, side, side] in [-1, 1]; the last row's trailing cells that hold
/// only the border's value (the empty cells of a short row, at most cols - 1) are dropped.
inline torch::Tensor grid_tiles(const std::filesystem::path& path, const SampleFileOptions& o) {
  const torch::Tensor hwc = io::read_png(path);
  const int64_t h = hwc.size(0), w = hwc.size(1), cell = o.side + o.padding;
  GANCRAFT_CHECK((h - o.padding) % cell == 0 && (w - o.padding) % cell == 0 && h > o.padding && w > o.padding,
                 OptionError, path.string(), ": a ", w, "×", h, " image is not a grid of ", o.side, "×", o.side,
                 " tiles with ", o.padding, " pixels of padding (width and height must be k·", cell, " + ", o.padding,
                 "; give --padding P for another border)");
  GANCRAFT_CHECK(hwc.size(2) == 1 || hwc.size(2) == 3, OptionError, path.string(), ": ", hwc.size(2), " channels");
  // RGB grids of grey images have equal channels; the mean keeps any other as its luminance-free average.
  const torch::Tensor grey = hwc.to(torch::kFloat).mean(2);
  const int64_t rows = (h - o.padding) / cell, cols = (w - o.padding) / cell;
  std::vector<torch::Tensor> tiles;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      tiles.push_back(grey.narrow(0, o.padding + r * cell, o.side).narrow(1, o.padding + c * cell, o.side));
  // The empty cells of a short last row hold the border's value (the grid's corner pixel):
  // at most cols - 1 of them, so a generator's uniform images elsewhere are kept.
  const torch::Tensor border = grey[0][0];
  for (int64_t dropped = 0; dropped < cols - 1 && !tiles.empty() && (tiles.back() == border).all().item<bool>(); ++dropped)
    tiles.pop_back();
  return (torch::stack(tiles).unsqueeze(1) / 127.5 - 1).contiguous();
}

/// A tensor file: Python's `torch.save(t, path)` or C++'s `torch::save(t, path)`.
inline torch::Tensor tensor_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  GANCRAFT_CHECK(in, IoError, path.string(), ": cannot open");
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  try {
    return torch::pickle_load(bytes).toTensor();
  } catch (const std::exception&) {
  }
  try {
    torch::Tensor t;
    torch::load(t, path.string());
    return t;
  } catch (const std::exception& e) {
    throw IoError(gancraft::detail::str(path.string(), ": not a tensor saved by torch.save or torch::save (",
                                        gancraft::detail::short_what(e), ")"));
  }
}

}  // namespace detail

/// Generated images from `path` as [N, 1, side, side] floats in [-1, 1] (a generator's output
/// range), by extension: `.png` a grid as `gancraft sample` and `SampleGrid` write it; `.csv` one
/// image per row, side² values in [-1, 1] (as `gancraft sample --out FILE.csv` writes); `.pt` a
/// tensor [N, 1, side, side] or [N, side²] in [-1, 1].
/// @throws OptionError for another extension, shape or range; IoError for an unreadable file.
inline torch::Tensor read_sample_images(const std::filesystem::path& path, const SampleFileOptions& o = {}) {
  const std::string ext = path.extension().string();
  torch::Tensor x;
  if (ext == ".png") {
    x = detail::grid_tiles(path, o);
  } else if (ext == ".csv" || ext == ".pt") {
    x = ext == ".csv" ? metrics::read_features_csv(path) : detail::tensor_file(path);
    GANCRAFT_CHECK(x.is_floating_point(), OptionError, path.string(), ": expected floating-point values in [-1, 1], got ",
                   x.scalar_type());
    const bool flat = x.dim() == 2 && x.size(1) == o.side * o.side;
    const bool images = x.dim() == 4 && x.size(1) == 1 && x.size(2) == o.side && x.size(3) == o.side;
    GANCRAFT_CHECK(flat || images, OptionError, path.string(), ": expected [N, ", o.side * o.side, "] or [N, 1, ",
                   o.side, ", ", o.side, "] (grey ", o.side, "×", o.side, " images), got ", x.sizes());
    x = x.to(torch::kFloat).reshape({x.size(0), 1, o.side, o.side}).contiguous();
    GANCRAFT_CHECK(torch::isfinite(x).all().item<bool>(), OptionError, path.string(), ": holds NaN or Inf");
    const double lo = x.min().item<double>(), hi = x.max().item<double>();
    GANCRAFT_CHECK(lo >= -1.0001 && hi <= 1.0001, OptionError, path.string(), ": values span [", lo, ", ", hi,
                   "]; samples must be in [-1, 1], a generator's tanh range (map [0, 1] by 2x - 1)");
  } else {
    throw OptionError(gancraft::detail::str("--samples ", path.string(),
                                            ": expected a .png grid, a .csv file or a .pt tensor file"));
  }
  if (o.limit > 0 && x.size(0) > o.limit) x = x.narrow(0, 0, o.limit);
  return x;
}

}  // namespace gancraft::tools
