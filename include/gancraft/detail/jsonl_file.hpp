#pragma once
/// @file gancraft/detail/jsonl_file.hpp
/// JSON Lines logs that a resumed run rewinds.

#include <gancraft/detail/atomic_file.hpp>
#include <gancraft/error.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace gancraft::detail {

/// A resumed run repeats the steps after its checkpoint: drops the lines of `path` whose
/// "step" is after `step` (rewriting the file atomically) so the log holds each step once,
/// and returns the objects kept. Lines that are not JSON objects (a line cut short by a crash)
/// are kept as they are; an object without a numeric "step" is an `IoError` naming the line.
inline std::vector<nlohmann::json> rewind_jsonl(const std::filesystem::path& path, int64_t step) {
  std::ifstream in(path);
  std::string kept, line;
  std::vector<nlohmann::json> objects;
  for (int64_t line_no = 1; std::getline(in, line); ++line_no) {
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    GANCRAFT_CHECK(!j.is_object() || (j.contains("step") && j["step"].is_number()), IoError,
                   path.string(), ": line ", line_no, ": no numeric \"step\"");
    if (j.is_object() && j["step"].get<double>() > static_cast<double>(step)) continue;
    kept += line + "\n";
    if (j.is_object()) objects.push_back(std::move(j));
  }
  in.close();
  write_file_atomically(path, kept);
  return objects;
}

}  // namespace gancraft::detail
