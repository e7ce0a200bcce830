#pragma once
/// @file gancraft/io/csv_matrix.hpp
/// A numeric CSV reader for feature files (one row per sample), free of torch so the fuzzer
/// can build it.

#include <gancraft/error.hpp>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace gancraft::io {

/// A dense row-major matrix read from CSV.
struct CsvMatrix {
  int64_t rows = 0;            ///< samples
  int64_t cols = 0;            ///< values per sample
  std::vector<double> values;  ///< rows × cols, row-major
};

/// Parses CSV text: comma-separated numbers, one row per line, every row the same length;
/// an optional first line that is not numeric is taken as a header; blank lines, `\r\n` line
/// ends and spaces around values are accepted. `name` (a file name) starts every error, which
/// also gives the line and column: `IoError` on an empty file, a field that is not a finite
/// number, or a row of another length.
inline CsvMatrix parse_csv_matrix(std::string_view text, const std::string& name) {
  CsvMatrix m;
  int64_t line_no = 0;
  bool first_content_line = true;
  std::string field;
  std::vector<double> row;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    row.clear();
    bool numeric = true;
    std::string bad;
    int64_t col = 0;
    size_t start = 0;
    while (true) {
      size_t comma = line.find(',', start);
      std::string_view f = line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      ++col;
      const size_t b = f.find_first_not_of(" \t"), e = f.find_last_not_of(" \t");
      field.assign(b == std::string_view::npos ? std::string_view{} : f.substr(b, e - b + 1));
      char* stop = nullptr;
      errno = 0;
      const double v = field.empty() ? 0.0 : std::strtod(field.c_str(), &stop);
      if (field.empty() || stop != field.c_str() + field.size() || !std::isfinite(v)) {
        if (numeric) bad = "line " + std::to_string(line_no) + ", column " + std::to_string(col) + ": \"" + field + "\"";
        numeric = false;
      } else {
        row.push_back(v);
      }
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    if (!numeric) {
      GANCRAFT_CHECK(first_content_line, IoError, name, ": ", bad, " is not a finite number");
      first_content_line = false;  // a header
      continue;
    }
    first_content_line = false;
    if (m.rows == 0) m.cols = static_cast<int64_t>(row.size());
    GANCRAFT_CHECK(static_cast<int64_t>(row.size()) == m.cols, IoError, name, ": line ", line_no,
                   " has ", row.size(), " values, earlier rows have ", m.cols);
    m.values.insert(m.values.end(), row.begin(), row.end());
    ++m.rows;
  }
  GANCRAFT_CHECK(m.rows > 0, IoError, name, ": no numeric rows");
  return m;
}

/// Reads and parses a CSV file (see `parse_csv_matrix`); `IoError` naming the file when it
/// cannot be opened.
inline CsvMatrix read_csv_matrix(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  GANCRAFT_CHECK(in.good(), IoError, path.string(), ": cannot open");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_csv_matrix(text, path.string());
}

}  // namespace gancraft::io
