#pragma once
/// @file gancraft/detail/jsonl_file.hpp
/// JSON Lines logs that a resumed run rewinds.

#include <gancraft/detail/atomic_file.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace gancraft::detail {

/// A resumed run repeats the steps after its checkpoint: drops the lines of `path` whose
/// "step" is after `step` (rewriting the file atomically) so the log holds each step once,
/// and returns the objects kept. Lines that are not JSON objects are kept as they are.
inline std::vector<nlohmann::json> rewind_jsonl(const std::filesystem::path& path, int64_t step) {
  std::ifstream in(path);
  std::string kept, line;
  std::vector<nlohmann::json> objects;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.value("step", int64_t{0}) > step) continue;
    kept += line + "\n";
    if (j.is_object()) objects.push_back(std::move(j));
  }
  in.close();
  write_file_atomically(path, kept);
  return objects;
}

}  // namespace gancraft::detail
