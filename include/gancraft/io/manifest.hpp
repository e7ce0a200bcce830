#pragma once
/// @file gancraft/io/manifest.hpp
/// The manifest of a checkpoint directory: every file with its size and CRC-32, so a reader
/// can tell a complete checkpoint from a truncated, bit-flipped or partial one.
///
/// Torch-free on purpose (bytes in, structure out), so that it can be fuzzed with clang.

#include <gancraft/error.hpp>

#include <nlohmann/json.hpp>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace gancraft::detail {
inline std::string crc_hex(uint32_t crc) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", crc);
  return buf;
}
}  // namespace gancraft::detail

namespace gancraft::io {

/// One file listed in a manifest.
struct ManifestEntry {
  std::string name;     ///< file name inside the checkpoint directory (no path separators)
  uint64_t size = 0;    ///< bytes
  uint32_t crc32 = 0;   ///< zlib CRC-32 of the contents
};

/// What `manifest.json` holds.
struct Manifest {
  /// The manifest's own file name inside the checkpoint directory.
  static constexpr const char* file_name = "manifest.json";
  /// The `format` value that marks a gancraft checkpoint manifest.
  static constexpr const char* format = "gancraft-checkpoint";
  /// The checkpoint format version this library writes, and the only one it reads. Version 3
  /// (gancraft 0.2) stores optimizer state portably across LibTorch versions; version 2 held
  /// LibTorch's own optimizer archives, tied to the LibTorch that wrote them.
  static constexpr int current_version = 3;

  /// The checkpoint format version the manifest declares.
  int version = current_version;
  /// The training step (generator updates) the checkpoint was taken at.
  int64_t step = 0;
  /// Every file of the checkpoint except the manifest itself, with size and CRC-32.
  std::vector<ManifestEntry> files;
};

/// CRC-32 (zlib) and size of a file; `IoError` naming it when it cannot be read.
inline ManifestEntry describe_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  GANCRAFT_CHECK(in.good(), IoError, path.string(), ": cannot open");
  ManifestEntry e;
  e.name = path.filename().string();
  uLong crc = crc32(0L, Z_NULL, 0);
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto got = static_cast<size_t>(in.gcount());
    crc = crc32(crc, reinterpret_cast<const Bytef*>(buf.data()), static_cast<uInt>(got));
    e.size += got;
  }
  GANCRAFT_CHECK(in.eof(), IoError, path.string(), ": read failed");
  e.crc32 = static_cast<uint32_t>(crc);
  return e;
}

/// The manifest as JSON text.
inline std::string to_json(const Manifest& m) {
  nlohmann::json files = nlohmann::json::array();
  for (const auto& f : m.files)
    files.push_back({{"name", f.name}, {"size", f.size}, {"crc32", gancraft::detail::crc_hex(f.crc32)}});
  return nlohmann::json{{"format", Manifest::format},
                        {"format_version", m.version},
                        {"step", m.step},
                        {"files", files}}
             .dump(2);
}

/// Parses and validates manifest text; `source` names it in errors. Throws `IoError` for
/// anything malformed: not JSON, wrong format, unsupported version, bad entries.
inline Manifest parse_manifest(std::string_view text, const std::string& source) {
  nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr,
                                           /*allow_exceptions=*/false);
  GANCRAFT_CHECK(!j.is_discarded(), IoError, source, ": not valid JSON");
  GANCRAFT_CHECK(j.is_object(), IoError, source, ": not a JSON object");
  auto field = [&](const char* key) -> const nlohmann::json& {
    auto it = j.find(key);
    GANCRAFT_CHECK(it != j.end(), IoError, source, ": missing \"", key, "\"");
    return *it;
  };
  const auto& format = field("format");
  GANCRAFT_CHECK(format.is_string() && format.get<std::string>() == Manifest::format, IoError,
                 source, ": not a gancraft checkpoint manifest");
  const auto& version = field("format_version");
  GANCRAFT_CHECK(version.is_number_integer(), IoError, source,
                 ": \"format_version\" must be an integer");
  Manifest m;
  m.version = version.get<int>();
  GANCRAFT_CHECK(m.version != 2, IoError, source,
                 ": checkpoint format version 2 (gancraft 0.1), whose optimizer state is in "
                 "LibTorch's own archive format and loads correctly only on the LibTorch that wrote "
                 "it; this gancraft reads version ", Manifest::current_version,
                 " only. Resume it with gancraft 0.1 on the LibTorch that wrote it, or start a new run");
  GANCRAFT_CHECK(m.version == Manifest::current_version, IoError, source,
                 ": checkpoint format version ", m.version, "; this gancraft reads version ",
                 Manifest::current_version);
  const auto& step = field("step");
  GANCRAFT_CHECK(step.is_number_integer() && step.get<int64_t>() >= 0, IoError, source,
                 ": \"step\" must be a non-negative integer");
  m.step = step.get<int64_t>();
  const auto& files = field("files");
  GANCRAFT_CHECK(files.is_array(), IoError, source, ": \"files\" must be an array");
  for (const auto& f : files) {
    GANCRAFT_CHECK(f.is_object() && f.contains("name") && f.contains("size") &&
                       f.contains("crc32"),
                   IoError, source, ": each file entry needs name, size and crc32");
    const auto& name = f["name"];
    const auto& size = f["size"];
    const auto& crc = f["crc32"];
    GANCRAFT_CHECK(name.is_string() && size.is_number_unsigned() && crc.is_string(), IoError,
                   source, ": file entry with wrong types: ", f.dump().substr(0, 200));
    ManifestEntry e;
    e.name = name.get<std::string>();
    GANCRAFT_CHECK(!e.name.empty() && e.name != "." && e.name != ".." &&
                       e.name.find('/') == std::string::npos &&
                       e.name.find('\\') == std::string::npos &&
                       e.name.find('\0') == std::string::npos,
                   IoError, source, ": unsafe file name in manifest");
    e.size = size.get<uint64_t>();
    const std::string hex = crc.get<std::string>();
    GANCRAFT_CHECK(hex.size() == 8 && hex.find_first_not_of("0123456789abcdef") == std::string::npos,
                   IoError, source, ": crc32 of ", e.name, " must be 8 lowercase hex digits");
    e.crc32 = static_cast<uint32_t>(std::stoul(hex, nullptr, 16));
    m.files.push_back(std::move(e));
  }
  return m;
}

/// Reads `dir/manifest.json` and checks every listed file's presence, size and CRC-32.
/// Throws `IoError` naming the first file that is missing or differs.
inline Manifest verify_checkpoint_files(const std::filesystem::path& dir) {
  const auto path = dir / Manifest::file_name;
  std::ifstream in(path, std::ios::binary);
  GANCRAFT_CHECK(in.good(), IoError, path.string(), ": missing; not a complete checkpoint");
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  Manifest m = parse_manifest(text, path.string());
  for (const auto& f : m.files) {
    const auto file = dir / f.name;
    GANCRAFT_CHECK(std::filesystem::exists(file), IoError, file.string(),
                   ": listed in the manifest but missing");
    const ManifestEntry actual = describe_file(file);
    GANCRAFT_CHECK(actual.size == f.size, IoError, file.string(), ": size ", actual.size,
                   " bytes, the manifest says ", f.size, " (truncated or overwritten)");
    GANCRAFT_CHECK(actual.crc32 == f.crc32, IoError, file.string(), ": checksum ",
                   gancraft::detail::crc_hex(actual.crc32), " does not match the manifest's ",
                   gancraft::detail::crc_hex(f.crc32), " (corrupted)");
  }
  return m;
}

}  // namespace gancraft::io
