#pragma once
/// @file gancraft/metrics/feature_file.hpp

#include <gancraft/detail/atomic_file.hpp>
#include <gancraft/error.hpp>
#include <gancraft/io/csv_matrix.hpp>

#include <torch/torch.h>

#include <charconv>
#include <filesystem>
#include <string>

namespace gancraft::metrics {

/// Reads a feature file: CSV, one row per sample (optional header line), as float64 [N, D].
/// Errors name the file, line and column (see `io::parse_csv_matrix`).
inline torch::Tensor read_features_csv(const std::filesystem::path& path) {
  io::CsvMatrix m = io::read_csv_matrix(path);
  return torch::from_blob(m.values.data(), {m.rows, m.cols}, torch::kDouble).clone();
}

/// Writes features [N, D] as CSV in the shortest form that reads back to the same float64
/// (locale-independent); the file is replaced atomically. `OptionError` on NaN or Inf, which
/// the reader would refuse.
inline void write_features_csv(const std::filesystem::path& path, const torch::Tensor& features) {
  GANCRAFT_CHECK(features.defined() && features.dim() == 2, ShapeError,
                 "write_features_csv: features must be [N, D], got shape ",
                 features.defined() ? features.sizes() : torch::IntArrayRef{});
  const torch::Tensor x = features.detach().to(torch::kCPU, torch::kDouble).contiguous();
  GANCRAFT_CHECK(torch::isfinite(x).all().item<bool>(), OptionError, "write_features_csv: ",
                 path.string(), ": the features contain NaN or Inf");
  const auto a = x.accessor<double, 2>();
  std::string text;
  char buf[32];
  for (int64_t i = 0; i < x.size(0); ++i) {
    for (int64_t j = 0; j < x.size(1); ++j) {
      if (j) text += ',';
      text.append(buf, std::to_chars(buf, buf + sizeof buf, a[i][j]).ptr);
    }
    text += '\n';
  }
  gancraft::detail::write_file_atomically(path, text);
}

}  // namespace gancraft::metrics
