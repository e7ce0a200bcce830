#pragma once
/// @file gancraft/io/csv_matrix.hpp
/// A numeric CSV reader for feature files (one row per sample), free of torch so the fuzzer
/// can build it.

#include <gancraft/error.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
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
/// an optional first line without any number is taken as a header; blank lines, `\r\n` line
/// ends and spaces around values are accepted. `name` (a file name) starts every error, which
/// also gives the line and column: `IoError` on an empty file, a field that is not a finite
/// number, or a row of another length.
inline CsvMatrix parse_csv_matrix(std::string_view text, const std::string& name) {
  CsvMatrix m;
  int64_t line_no = 0;
  bool first_content_line = true;
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
    int64_t numbers = 0, fields = 0;
    std::string bad;
    for (size_t start = 0;;) {
      const size_t comma = line.find(',', start);
      std::string_view f = line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      ++fields;
      const size_t b = f.find_first_not_of(" \t"), e = f.find_last_not_of(" \t");
      f = b == std::string_view::npos ? std::string_view{} : f.substr(b, e - b + 1);
      // from_chars: locale-independent, unlike strtod (a German locale reads "1,5").
      double v = 0;
      const char* first = f.data() + (!f.empty() && f.front() == '+' ? 1 : 0);
      const auto [ptr, ec] = std::from_chars(first, f.data() + f.size(), v);
      if (!f.empty() && ec == std::errc() && ptr == f.data() + f.size() && std::isfinite(v)) {
        row.push_back(v);
        ++numbers;
      } else if (bad.empty()) {
        bad = "line " + std::to_string(line_no) + ", column " + std::to_string(fields) + ": \"" +
              std::string(f) + "\"";
      }
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    // Only a first line with no number at all is a header: a data row with one bad value is
    // an error, not a header silently dropped.
    const bool header = first_content_line && numbers == 0;
    first_content_line = false;
    if (header) continue;
    GANCRAFT_CHECK(bad.empty(), IoError, name, ": ", bad, " is not a finite number");
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
