#pragma once
/// @file gancraft/io/cifar_format.hpp
/// One batch file of CIFAR-10's binary release, parsed from bytes already in
/// memory (and already gunzipped): size and label checks, and a view of the
/// records.
///
/// Torch-free on purpose (bytes in, shape and bytes out), so that clang's
/// libFuzzer can build it (fuzz/fuzz_cifar.cpp); gancraft/data/cifar10.hpp
/// wraps it into tensors.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include <gancraft/error.hpp>

namespace gancraft::detail {

/// Bytes in one CIFAR-10 record: a label byte and 3 * 32 * 32 pixel bytes.
inline constexpr std::size_t kCifarRecordBytes = 1 + 3 * 32 * 32;

}  // namespace gancraft::detail

namespace gancraft::io {

/// A CIFAR-10 batch: `count` records of `detail::kCifarRecordBytes` bytes
/// each (a label byte 0..9, then the 32x32 red, green and blue planes).
/// `records` points into the parsed buffer, so it lives as long as that buffer.
struct CifarBatch {
  std::size_t count = 0;                  ///< number of records, > 0
  const std::uint8_t* records = nullptr;  ///< count * kCifarRecordBytes bytes
};

/// Parses a CIFAR-10 binary batch held in `bytes`; `source` names it in errors.
///
/// @code
/// auto batch = gancraft::io::parse_cifar_batch(bytes, "data_batch_1.bin");
/// @endcode
/// @throws IoError naming `source` when the size is not a whole, non-zero
/// number of records or a label is outside 0..9.
inline CifarBatch parse_cifar_batch(std::span<const std::uint8_t> bytes,
                                    const std::string& source) {
  constexpr std::size_t record_bytes = detail::kCifarRecordBytes;
  GANCRAFT_CHECK(!bytes.empty() && bytes.size() % record_bytes == 0, IoError, source,
                 ": wrong size: ", bytes.size(), " bytes is not a whole, non-zero number of ",
                 record_bytes, "-byte records (the official files hold 10000 records, ",
                 10000 * record_bytes, " bytes)");
  const std::size_t n = bytes.size() / record_bytes;
  for (std::size_t r = 0; r < n; ++r) {
    const std::uint8_t label = bytes[r * record_bytes];
    GANCRAFT_CHECK(label < 10, IoError, source, ": label ", int(label), " of record ", r,
                   " is outside 0..9");
  }
  return {n, bytes.data()};
}

}  // namespace gancraft::io
