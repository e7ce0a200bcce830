#pragma once
/// @file gancraft/detail/gzip.hpp
/// Whole-file reading with transparent gzip decompression (zlib). Used by the
/// data sets, whose reference releases ship as `.gz` files.

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include <gancraft/error.hpp>

namespace gancraft::detail {

/// Reads the whole file at `path` as raw bytes.
/// @throws IoError naming the file when it is missing, not a regular file or unreadable.
inline std::vector<std::uint8_t> read_file_bytes(const std::filesystem::path& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  GANCRAFT_CHECK(!ec && std::filesystem::exists(status), IoError, path.string(),
                 ": cannot read: file does not exist");
  GANCRAFT_CHECK(std::filesystem::is_regular_file(status), IoError, path.string(),
                 ": cannot read: not a regular file");
  std::ifstream in(path, std::ios::binary);
  GANCRAFT_CHECK(in.is_open(), IoError, path.string(),
                 ": cannot open for reading: ", std::strerror(errno));
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  GANCRAFT_CHECK(size >= 0, IoError, path.string(), ": cannot determine file size");
  in.seekg(0, std::ios::beg);
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  if (size > 0) {
    in.read(reinterpret_cast<char*>(bytes.data()), size);
  }
  GANCRAFT_CHECK(in.good() || (size == 0 && !in.bad()), IoError, path.string(),
                 ": read error after ", in.gcount(), " of ", size, " bytes");
  return bytes;
}

/// True when `bytes` starts with the gzip magic number 1f 8b.
inline bool is_gzip(std::span<const std::uint8_t> bytes) noexcept {
  return bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}

/// Default limit on what `gunzip` produces: 2^32 bytes (4 GiB), some 25 times
/// CIFAR-10's training set, so that a gzip bomb (deflate expands up to about
/// 1032:1) fails with an error instead of exhausting memory.
inline constexpr std::size_t kMaxGunzipBytes = std::size_t{1} << 32;

/// Decompresses a gzip stream (one or more concatenated members, as `gzip`
/// and `cat a.gz b.gz` produce). `name` only labels error messages.
/// Torch-free, so the fuzz targets (fuzz/) use it too.
/// @throws IoError naming `name` on a truncated or corrupt stream, or one that
/// decompresses to more than `max_bytes`.
inline std::vector<std::uint8_t> gunzip(std::span<const std::uint8_t> compressed,
                                        const std::filesystem::path& name,
                                        std::size_t max_bytes = kMaxGunzipBytes) {
  std::vector<std::uint8_t> out;
  // The gzip trailer stores the uncompressed size modulo 2^32: a good first guess.
  if (compressed.size() >= 18) {
    const auto* t = compressed.data() + compressed.size() - 4;
    const std::uint32_t isize = std::uint32_t(t[0]) | std::uint32_t(t[1]) << 8 |
                                std::uint32_t(t[2]) << 16 | std::uint32_t(t[3]) << 24;
    // Cap the hint so that a corrupt trailer cannot request absurd memory.
    out.reserve(std::min<std::size_t>({isize, compressed.size() * 1032, max_bytes}));
  }

  z_stream zs{};
  // 15 + 16: maximum window, gzip wrapper only (no raw deflate, no zlib header).
  GANCRAFT_CHECK(inflateInit2(&zs, 15 + 16) == Z_OK, IoError, name.string(),
                 ": cannot initialise zlib: ", zs.msg ? zs.msg : "out of memory");
  struct End {
    z_stream* zs;
    ~End() { inflateEnd(zs); }
  } end{&zs};

  std::size_t consumed = 0;
  // Geometric growth from 64 KiB: amortised linear copying when the trailer's
  // hint is wrong, and no megabyte zero-filled for a tiny stream. One byte
  // past max_bytes is room enough to notice a stream that exceeds it.
  constexpr std::size_t initial = std::size_t{64} << 10;
  const std::size_t ceiling = max_bytes < SIZE_MAX ? max_bytes + 1 : max_bytes;
  while (true) {
    const std::size_t in_left = compressed.size() - consumed;
    zs.next_in = const_cast<Bytef*>(compressed.data() + consumed);
    zs.avail_in =
        static_cast<uInt>(std::min<std::size_t>(in_left, std::numeric_limits<uInt>::max()));
    if (out.capacity() - out.size() < initial / 4)
      out.reserve(std::min(std::max(out.size() * 2, initial), ceiling));
    const std::size_t old_size = out.size();
    out.resize(out.capacity());
    zs.next_out = out.data() + old_size;
    zs.avail_out = static_cast<uInt>(
        std::min<std::size_t>(out.size() - old_size, std::numeric_limits<uInt>::max()));
    const uInt avail_in_before = zs.avail_in;
    const uInt avail_out_before = zs.avail_out;
    const int rc = inflate(&zs, Z_NO_FLUSH);
    consumed += avail_in_before - zs.avail_in;
    out.resize(old_size + (avail_out_before - zs.avail_out));
    GANCRAFT_CHECK(out.size() <= max_bytes, IoError, name.string(),
                   ": gzip stream decompresses to more than the limit of ", max_bytes,
                   " bytes (refused as a possible decompression bomb)");

    if (rc == Z_STREAM_END) {
      // Another member may follow; anything that is not one is trailing garbage.
      const std::span<const std::uint8_t> rest = compressed.subspan(consumed);
      if (rest.empty()) break;
      GANCRAFT_CHECK(is_gzip(rest), IoError, name.string(), ": corrupt gzip: ", rest.size(),
                     " bytes of trailing data after the end of the compressed stream");
      GANCRAFT_CHECK(inflateReset(&zs) == Z_OK, IoError, name.string(),
                     ": cannot reset zlib stream");
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && consumed == compressed.size()) {
      throw IoError(str(name.string(), ": truncated gzip: compressed stream ends after ",
                        compressed.size(), " bytes (", out.size(),
                        " bytes decompressed) without its end marker"));
    }
    if (rc == Z_BUF_ERROR) continue;  // output buffer full: grow and go on
    if (rc == Z_MEM_ERROR) throw IoError(str(name.string(), ": gunzip ran out of memory"));
    throw IoError(str(name.string(), ": corrupt gzip: ", zs.msg ? zs.msg : "invalid data",
                      " (at compressed byte ", consumed, ")"));
  }
  out.shrink_to_fit();
  return out;
}

/// Reads the whole file at `path`; if it starts with the gzip magic number it
/// is decompressed, otherwise its raw bytes are returned.
/// @throws IoError naming the file when it is unreadable, truncated or corrupt.
inline std::vector<std::uint8_t> read_maybe_gzipped(const std::filesystem::path& path) {
  std::vector<std::uint8_t> bytes = read_file_bytes(path);
  if (!is_gzip(bytes)) return bytes;
  return gunzip(bytes, path);
}

}  // namespace gancraft::detail
