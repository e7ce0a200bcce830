#pragma once
/// @file gancraft/io/idx_format.hpp
/// The IDX format of MNIST and Fashion-MNIST, parsed from bytes already in
/// memory (and already gunzipped): header checks and a view of the payload.
///
/// Torch-free on purpose (bytes in, shape and bytes out), so that clang's
/// libFuzzer can build it (fuzz/fuzz_idx.cpp); gancraft/data/mnist.hpp wraps
/// it into tensors.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include <gancraft/error.hpp>

namespace gancraft::detail {

/// Big-endian 32-bit read, as IDX headers store their fields.
inline std::uint32_t read_be32(const std::uint8_t* p) noexcept {
  return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 |
         std::uint32_t(p[3]);
}

}  // namespace gancraft::detail

namespace gancraft::io {

/// An IDX image file (magic 2051): `count` images of `rows` x `cols` bytes.
/// `pixels` points into the parsed buffer (`count * rows * cols` bytes, which
/// the parser checked are all there), so it lives as long as that buffer.
struct IdxImages {
  std::uint64_t count = 0;               ///< number of images (N)
  std::uint64_t rows = 0;                ///< image height, > 0
  std::uint64_t cols = 0;                ///< image width, > 0
  const std::uint8_t* pixels = nullptr;  ///< N * rows * cols bytes, row-major per image
};

/// An IDX label file (magic 2049): `count` label bytes, each below the
/// `num_classes` given to the parser. `labels` points into the parsed buffer.
struct IdxLabels {
  std::uint64_t count = 0;               ///< number of labels (N)
  const std::uint8_t* labels = nullptr;  ///< N bytes
};

/// Parses an IDX image file held in `bytes`; `source` names it in errors.
///
/// @code
/// auto idx = gancraft::io::parse_idx_images(bytes, "train-images-idx3-ubyte");
/// // idx.count images of idx.rows x idx.cols at idx.pixels
/// @endcode
/// @throws IoError naming `source` on a bad magic number, a truncated header
/// or payload, trailing data, zero-sized images or a size beyond 2^64 bytes.
inline IdxImages parse_idx_images(std::span<const std::uint8_t> bytes, const std::string& source) {
  // The magic number first: a wrong kind of file is the more useful diagnosis.
  const std::uint32_t magic = bytes.size() >= 4 ? detail::read_be32(bytes.data()) : 0;
  GANCRAFT_CHECK(magic == 2051, IoError, source, ": bad magic number ", magic,
                 " (expected 2051 for an IDX image file",
                 magic == 2049 ? "; this is a label file" : "", ")");
  GANCRAFT_CHECK(bytes.size() >= 16, IoError, source,
                 ": truncated: an IDX image file needs a 16-byte header but the file has ",
                 bytes.size(), " bytes");
  const std::uint64_t n = detail::read_be32(bytes.data() + 4);
  const std::uint64_t rows = detail::read_be32(bytes.data() + 8);
  const std::uint64_t cols = detail::read_be32(bytes.data() + 12);
  // rows * cols < 2^64; the product with n may not be, and no real file is that big.
  const bool overflow = rows != 0 && cols != 0 && n > UINT64_MAX / (rows * cols);
  const std::uint64_t actual = bytes.size() - 16;
  GANCRAFT_CHECK(!overflow, IoError, source, ": truncated: header says ", n, " images of ", rows,
                 "x", cols, " (more than 2^64 bytes) but file has ", actual,
                 " bytes of pixels after its 16-byte header");
  const std::uint64_t expected = n * rows * cols;
  GANCRAFT_CHECK(actual >= expected, IoError, source, ": truncated: header says ", n,
                 " images of ", rows, "x", cols, " (", expected, " bytes) but file has ", actual,
                 " bytes of pixels after its 16-byte header");
  GANCRAFT_CHECK(actual == expected, IoError, source, ": ", actual - expected,
                 " bytes of trailing data: header says ", n, " images of ", rows, "x", cols, " (",
                 expected, " bytes)");
  GANCRAFT_CHECK(rows > 0 && cols > 0, IoError, source, ": header says images are ", rows, "x",
                 cols);
  return {n, rows, cols, bytes.data() + 16};
}

/// Parses an IDX label file held in `bytes`; every label must be below
/// `num_classes`. `source` names the file in errors.
///
/// @code
/// auto idx = gancraft::io::parse_idx_labels(bytes, "train-labels-idx1-ubyte", 10);
/// @endcode
/// @throws IoError naming `source` on a bad magic number, a truncated header
/// or payload, trailing data or a label out of range.
inline IdxLabels parse_idx_labels(std::span<const std::uint8_t> bytes, const std::string& source,
                                  std::int64_t num_classes) {
  const std::uint32_t magic = bytes.size() >= 4 ? detail::read_be32(bytes.data()) : 0;
  GANCRAFT_CHECK(magic == 2049, IoError, source, ": bad magic number ", magic,
                 " (expected 2049 for an IDX label file",
                 magic == 2051 ? "; this is an image file" : "", ")");
  GANCRAFT_CHECK(bytes.size() >= 8, IoError, source,
                 ": truncated: an IDX label file needs an 8-byte header but the file has ",
                 bytes.size(), " bytes");
  const std::uint64_t n = detail::read_be32(bytes.data() + 4);
  const std::uint64_t actual = bytes.size() - 8;
  GANCRAFT_CHECK(actual >= n, IoError, source, ": truncated: header says ", n,
                 " labels but file has ", actual, " bytes of labels after its 8-byte header");
  GANCRAFT_CHECK(actual == n, IoError, source, ": ", actual - n,
                 " bytes of trailing data: header says ", n, " labels");
  const std::uint8_t* labels = bytes.data() + 8;
  for (std::uint64_t i = 0; i < n; ++i) {
    GANCRAFT_CHECK(labels[i] < num_classes, IoError, source, ": label ", int(labels[i]),
                   " at index ", i, " is outside 0..", num_classes - 1);
  }
  return {n, labels};
}

}  // namespace gancraft::io
