#pragma once
/// @file tools/report.hpp
/// `gancraft report DIR`: one self-contained HTML page about a run directory.
///
/// Reads what the run's hooks wrote (see examples/dcgan_fashion_mnist.cpp):
///   DIR/config.json                      the resolved experiment config (a JSON object)
///   DIR/metrics.jsonl                    `JsonlLogger` lines: step, epoch, seconds, d_loss, ...
///   DIR/eval.jsonl                       `Evaluate` lines: step, fd, ... (optional)
///   DIR/samples/step-NNNNNN.png          `SampleGrid` grids
///   DIR/checkpoints/{latest,step-NNNNNN/state.json}   `Checkpointer` output
///   DIR/generator.pt                     `ExportGenerator` output (optional; listed only)
/// and writes DIR/report.html: run facts, one inline SVG chart per numeric metric, the sample
/// grids as a timeline (base64 data URIs) and the config. No scripts, fonts or network.
///
/// This header deliberately includes no torch: the tool's other commands pay for LibTorch, the
/// report does not need it, so the checkpoint listing below is a small torch-free copy of the
/// rule in gancraft/io/checkpoint.hpp (`latest` first, then descending steps).

#include "config.hpp"

#include <gancraft/detail/atomic_file.hpp>
#include <gancraft/error.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <locale>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gancraft::tools {

namespace detail {

/// Standard base64 (RFC 4648 §4, with `=` padding) of `bytes`.
inline std::string base64_encode(std::string_view bytes) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t n = (std::uint32_t(std::uint8_t(bytes[i])) << 16) |
                            (std::uint32_t(std::uint8_t(bytes[i + 1])) << 8) |
                            std::uint32_t(std::uint8_t(bytes[i + 2]));
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    out += alphabet[n & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t n = std::uint32_t(std::uint8_t(bytes[i])) << 16;
    if (rest == 2) n |= std::uint32_t(std::uint8_t(bytes[i + 1])) << 8;
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += rest == 2 ? alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

/// `text` with the five HTML-special characters escaped, safe in element content and in
/// quoted attribute values.
inline std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

/// `value` printed with up to `digits` significant digits in the "C" locale (SVG and HTML
/// need '.' decimals whatever the process locale is).
inline std::string format_number(double value, int digits = 4) {
  std::ostringstream out;
  out.imbue(std::locale::classic());
  out.precision(digits);
  out << value;
  return out.str();
}

/// SVG coordinates: one decimal is finer than a pixel.
inline std::string format_coord(double value) {
  std::ostringstream out;
  out.imbue(std::locale::classic());
  out.setf(std::ios::fixed);
  out.precision(1);
  out << value;
  return out.str();
}

/// A whole file as bytes; `IoError` naming it if it cannot be read.
inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  GANCRAFT_CHECK(in.good(), IoError, path.string(), ": cannot open for reading");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  GANCRAFT_CHECK(!in.bad(), IoError, path.string(), ": read failed");
  return bytes;
}

/// One (step, value) point of a metric.
struct Point {
  double step;
  double value;
};

/// One charted metric: its finite points in file order and how many values were skipped.
struct Series {
  std::string name;
  std::vector<Point> points;
  std::size_t skipped = 0;  ///< null (how nlohmann writes NaN/Inf) or non-finite values
};

/// What metrics.jsonl holds.
struct Metrics {
  bool present = false;          ///< the file exists
  std::size_t records = 0;       ///< non-blank lines
  std::vector<Series> series;    ///< d_loss, g_loss first, then by first appearance
  std::vector<std::string> not_charted;  ///< keys holding strings, booleans, arrays or objects
  std::optional<double> last_step;
  std::optional<double> first_step;
  double duration = 0;           ///< summed wall seconds over every `fit` (see read_metrics)
  bool has_seconds = false;
};

/// Keys that are the x axis or bookkeeping rather than metrics.
inline bool is_axis_key(const std::string& key) {
  return key == "step" || key == "epoch" || key == "seconds";
}

/// Parses `path` as JSON Lines. Blank lines are ignored; every other line must be a JSON
/// object with a finite numeric "step", or `IoError` names the file and the 1-based line.
///
/// A key is charted when every value it has is a number or null; nlohmann (and so
/// `JsonlLogger`) writes NaN and infinities as null, so nulls and non-finite numbers become
/// skipped points rather than errors. `seconds` restarts at 0 when a run is resumed, so the
/// duration is the sum of the last `seconds` of each stretch where it keeps growing.
inline Metrics read_metrics(const std::filesystem::path& path) {
  Metrics m;
  if (!std::filesystem::exists(path)) return m;
  m.present = true;
  std::ifstream in(path, std::ios::binary);
  GANCRAFT_CHECK(in.good(), IoError, path.string(), ": cannot open for reading");

  std::map<std::string, bool> numeric;       // key -> every value so far is a number or null
  std::vector<std::string> order;            // keys by first appearance
  double segment_seconds = 0;
  std::string line;
  std::size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    nlohmann::json record;
    try {
      record = nlohmann::json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
      throw IoError(gancraft::detail::str(path.string(), ": line ", line_no,
                                          ": malformed JSON: ", e.what()));
    }
    GANCRAFT_CHECK(record.is_object(), IoError, path.string(), ": line ", line_no,
                   ": expected a JSON object, got ", record.type_name());
    const auto step_it = record.find("step");
    GANCRAFT_CHECK(step_it != record.end() && step_it->is_number() &&
                       std::isfinite(step_it->get<double>()),
                   IoError, path.string(), ": line ", line_no, ": no finite numeric \"step\"");
    const double step = step_it->get<double>();
    ++m.records;
    if (!m.first_step) m.first_step = step;
    m.last_step = m.last_step ? std::max(*m.last_step, step) : step;

    if (auto s = record.find("seconds"); s != record.end() && s->is_number()) {
      const double seconds = s->get<double>();
      if (std::isfinite(seconds)) {
        if (seconds < segment_seconds) m.duration += segment_seconds;  // a resumed fit began
        segment_seconds = seconds;
        m.has_seconds = true;
      }
    }

    for (const auto& [key, value] : record.items()) {
      if (is_axis_key(key)) continue;
      const bool is_num = value.is_number() || value.is_null();
      if (!numeric.count(key)) {
        numeric[key] = is_num;
        order.push_back(key);
      } else if (!is_num) {
        numeric[key] = false;
      }
    }
  }
  GANCRAFT_CHECK(!in.bad(), IoError, path.string(), ": read failed");
  m.duration += segment_seconds;

  // Losses first, the rest in order of appearance.
  std::stable_partition(order.begin(), order.end(),
                        [](const std::string& k) { return k == "d_loss" || k == "g_loss"; });
  for (const auto& key : order) {
    if (numeric[key]) {
      m.series.push_back(Series{key, {}, 0});
    } else {
      m.not_charted.push_back(key);
    }
  }
  if (m.series.empty()) return m;

  // Second pass for the values: the first pass decided which keys are charted.
  in.clear();
  in.seekg(0);
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const nlohmann::json record = nlohmann::json::parse(line);  // valid: checked above
    const double step = record["step"].get<double>();
    for (auto& s : m.series) {
      const auto it = record.find(s.name);
      if (it == record.end()) continue;  // not logged on this step: no point, nothing skipped
      if (it->is_number() && std::isfinite(it->get<double>()))
        s.points.push_back({step, it->get<double>()});
      else
        ++s.skipped;
    }
  }
  return m;
}

/// At most `max_points` of `points` (`max_points` >= 4), first and last always kept. Each of
/// the buckets between them keeps its minimum and maximum, so spikes and NaN-precursors stay
/// visible where averaging or striding would hide them.
inline std::vector<Point> downsample(const std::vector<Point>& points, std::size_t max_points = 1000) {
  if (points.size() <= max_points) return points;
  std::vector<Point> out;
  out.reserve(max_points);
  out.push_back(points.front());
  const std::size_t inner = points.size() - 2;
  const std::size_t buckets = (max_points - 2) / 2;
  for (std::size_t b = 0; b < buckets; ++b) {
    const std::size_t begin = 1 + inner * b / buckets;
    const std::size_t end = 1 + inner * (b + 1) / buckets;
    if (begin == end) continue;
    std::size_t lo = begin, hi = begin;
    for (std::size_t i = begin; i < end; ++i) {
      if (points[i].value < points[lo].value) lo = i;
      if (points[i].value > points[hi].value) hi = i;
    }
    out.push_back(points[std::min(lo, hi)]);
    if (lo != hi) out.push_back(points[std::max(lo, hi)]);
  }
  out.push_back(points.back());
  return out;
}

/// About `count` round tick values ({1, 2, 5} x 10^k apart) covering [lo, hi].
inline std::vector<double> nice_ticks(double lo, double hi, int count = 5) {
  if (!(hi > lo)) return {lo};
  const double raw = (hi - lo) / count;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double fraction = raw / magnitude;
  const double step = (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * magnitude;
  std::vector<double> ticks;
  for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9; t += step)
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  return ticks;
}

/// Stroke colours: the first is the one every single-series chart uses.
inline constexpr const char* series_colors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"};

/// An inline SVG line chart (640 x 240) of `series` against step, with tick-labelled axes and,
/// for several series, a legend. `data_series` goes into `data-series` for tools and tests.
inline std::string svg_chart(const std::string& data_series, const std::vector<const Series*>& series) {
  constexpr double width = 640, height = 240;
  constexpr double left = 64, right = 16, top = 24, bottom = 40;
  constexpr double plot_w = width - left - right, plot_h = height - top - bottom;

  std::vector<std::vector<Point>> shown;
  double x_lo = INFINITY, x_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
  for (const Series* s : series) {
    shown.push_back(downsample(s->points));
    for (const Point& p : shown.back()) {
      x_lo = std::min(x_lo, p.step), x_hi = std::max(x_hi, p.step);
      y_lo = std::min(y_lo, p.value), y_hi = std::max(y_hi, p.value);
    }
  }
  std::ostringstream svg;
  svg << "<svg class=\"chart\" data-series=\"" << html_escape(data_series)
      << "\" xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"240\" viewBox=\"0 0 640 240\""
      << " role=\"img\" aria-label=\"" << html_escape(data_series) << " against step\">\n"
      << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << plot_w << "\" height=\""
      << plot_h << "\" fill=\"#fff\" stroke=\"#bbb\"/>\n";
  if (!std::isfinite(x_lo)) {
    svg << "<text x=\"320\" y=\"124\" text-anchor=\"middle\" fill=\"#666\">no finite values</text>\n</svg>";
    return svg.str();
  }
  // A flat or single-point series still needs a non-empty range to map onto pixels.
  if (x_hi == x_lo) x_lo -= 1, x_hi += 1;
  if (y_hi == y_lo) {
    const double pad = std::max(std::abs(y_lo) * 0.1, 1e-3);
    y_lo -= pad, y_hi += pad;
  } else {
    const double pad = (y_hi - y_lo) * 0.05;
    y_lo -= pad, y_hi += pad;
  }
  const auto px = [&](double x) { return left + (x - x_lo) / (x_hi - x_lo) * plot_w; };
  const auto py = [&](double y) { return top + (y_hi - y) / (y_hi - y_lo) * plot_h; };

  svg << "<g class=\"grid\" stroke=\"#e4e4e4\" font-size=\"11\" fill=\"#444\">\n";
  for (double t : nice_ticks(y_lo, y_hi)) {
    const std::string y = format_coord(py(t));
    svg << "<line x1=\"" << left << "\" x2=\"" << left + plot_w << "\" y1=\"" << y << "\" y2=\"" << y
        << "\"/><text x=\"" << left - 6 << "\" y=\"" << y
        << "\" dy=\"4\" text-anchor=\"end\" stroke=\"none\">" << format_number(t) << "</text>\n";
  }
  for (double t : nice_ticks(x_lo, x_hi, 6)) {
    const std::string x = format_coord(px(t));
    svg << "<line y1=\"" << top << "\" y2=\"" << top + plot_h << "\" x1=\"" << x << "\" x2=\"" << x
        << "\"/><text x=\"" << x << "\" y=\"" << top + plot_h + 16
        << "\" text-anchor=\"middle\" stroke=\"none\">" << format_number(t, 7) << "</text>\n";
  }
  svg << "</g>\n<text x=\"" << left + plot_w / 2 << "\" y=\"" << height - 4
      << "\" text-anchor=\"middle\" font-size=\"12\" fill=\"#444\">step</text>\n";

  for (std::size_t i = 0; i < shown.size(); ++i) {
    const char* color = series_colors[i % std::size(series_colors)];
    if (shown[i].size() == 1) {
      svg << "<circle cx=\"" << format_coord(px(shown[i][0].step)) << "\" cy=\""
          << format_coord(py(shown[i][0].value)) << "\" r=\"3\" fill=\"" << color << "\"/>\n";
      continue;
    }
    svg << "<polyline fill=\"none\" stroke=\"" << color << "\" stroke-width=\"1.5\" points=\"";
    for (const Point& p : shown[i]) svg << format_coord(px(p.step)) << ',' << format_coord(py(p.value)) << ' ';
    svg << "\"/>\n";
  }
  if (series.size() > 1) {
    // The legend sits in the top margin, right-aligned, so it never hides the lines.
    for (std::size_t i = 0; i < series.size(); ++i) {
      const double x = left + plot_w - 100 * static_cast<double>(series.size() - i);
      svg << "<line x1=\"" << x << "\" x2=\"" << x + 20 << "\" y1=\"12\" y2=\"12\" stroke=\""
          << series_colors[i % std::size(series_colors)] << "\" stroke-width=\"2\"/><text x=\""
          << x + 26 << "\" y=\"16\" font-size=\"11\" fill=\"#333\">" << html_escape(series[i]->name)
          << "</text>\n";
    }
  }
  svg << "</svg>";
  return svg.str();
}

/// The step of a `step-NNNNNN` name (with `suffix` after it), or nothing.
inline std::optional<std::int64_t> step_of(const std::string& name, std::string_view suffix = "") {
  if (name.rfind("step-", 0) != 0 || name.size() <= 5 + suffix.size()) return std::nullopt;
  if (name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) return std::nullopt;
  const std::string digits = name.substr(5, name.size() - 5 - suffix.size());
  if (digits.size() > 18 || digits.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return std::stoll(digits);
}

/// The newest readable checkpoint state.json under `root`: the one `latest` names, else the
/// highest `step-NNNNNN`. A damaged state.json is passed over (the report is still useful).
inline std::optional<nlohmann::json> latest_checkpoint_state(const std::filesystem::path& root) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return std::nullopt;
  std::vector<std::string> names;
  if (std::ifstream latest(root / "latest"); latest) {
    std::string name;
    if (std::getline(latest, name) && step_of(name)) names.push_back(name);
  }
  std::vector<std::pair<std::int64_t, std::string>> steps;
  for (const auto& entry : fs::directory_iterator(root, ec))
    if (auto s = step_of(entry.path().filename().string()); s && entry.is_directory(ec))
      steps.emplace_back(*s, entry.path().filename().string());
  std::sort(steps.rbegin(), steps.rend());
  for (auto& [s, name] : steps) names.push_back(name);
  for (const auto& name : names) {
    const fs::path state = root / name / "state.json";
    if (!fs::is_regular_file(state, ec)) continue;
    try {
      nlohmann::json j = nlohmann::json::parse(read_file(state));
      if (j.is_object()) return j;
    } catch (const std::exception&) {
      // damaged or half-written: try the next one
    }
  }
  return std::nullopt;
}

/// A sample grid found under samples/.
struct Sample {
  std::int64_t step;
  std::filesystem::path path;
};

/// samples/step-NNNNNN.png files, by step.
inline std::vector<Sample> list_samples(const std::filesystem::path& dir) {
  std::vector<Sample> out;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return out;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (auto s = step_of(entry.path().filename().string(), ".png"); s && entry.is_regular_file(ec))
      out.push_back({*s, entry.path()});
  std::sort(out.begin(), out.end(), [](const Sample& a, const Sample& b) { return a.step < b.step; });
  return out;
}

/// Width and height from a PNG's IHDR chunk, or nothing if `bytes` is not a PNG.
inline std::optional<std::pair<std::uint32_t, std::uint32_t>> png_size(std::string_view bytes) {
  static constexpr unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (bytes.size() < 24 || bytes.compare(0, 8, std::string_view(reinterpret_cast<const char*>(signature), 8)) != 0 ||
      bytes.substr(12, 4) != "IHDR")
    return std::nullopt;
  const auto be32 = [&](std::size_t at) {
    return (std::uint32_t(std::uint8_t(bytes[at])) << 24) | (std::uint32_t(std::uint8_t(bytes[at + 1])) << 16) |
           (std::uint32_t(std::uint8_t(bytes[at + 2])) << 8) | std::uint32_t(std::uint8_t(bytes[at + 3]));
  };
  return std::pair{be32(16), be32(20)};
}

/// "1h 02m 03s", "2m 05s" or "4.2 s".
inline std::string format_duration(double seconds) {
  if (seconds < 60) return format_number(seconds, 3) + " s";
  const auto total = static_cast<std::int64_t>(std::llround(seconds));
  char buf[48];
  if (total >= 3600)
    std::snprintf(buf, sizeof buf, "%lldh %02lldm %02llds", static_cast<long long>(total / 3600),
                  static_cast<long long>(total / 60 % 60), static_cast<long long>(total % 60));
  else
    std::snprintf(buf, sizeof buf, "%lldm %02llds", static_cast<long long>(total / 60),
                  static_cast<long long>(total % 60));
  return buf;
}

/// A JSON value as display text: strings without quotes, everything else as compact JSON.
inline std::string json_text(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

inline constexpr const char* report_css = R"(
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       background: #fafafa; color: #222; margin: 24px auto; max-width: 1380px; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; }
h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 14px; margin: 0 0 4px; font-family: ui-monospace, Menlo, Consolas, monospace; }
table.facts td { padding: 2px 16px 2px 0; vertical-align: top; overflow-wrap: anywhere; }
table.facts td:first-child { color: #666; }
.charts { display: grid; gap: 16px; grid-template-columns: repeat(auto-fill, minmax(min(100%, 520px), 1fr)); }
.chart-box { background: #fff; border: 1px solid #e0e0e0; border-radius: 4px; padding: 8px; }
.chart-box p { margin: 2px 0 0; color: #666; font-size: 12px; }
svg.chart { display: block; font-family: inherit; width: 100%; height: auto; }
.timeline { display: flex; flex-wrap: wrap; gap: 16px; }
.timeline figure { margin: 0; max-width: 100%; box-sizing: border-box; background: #fff; border: 1px solid #e0e0e0; border-radius: 4px; padding: 8px; }
.timeline img { display: block; max-width: 100%; height: auto; image-rendering: pixelated; image-rendering: crisp-edges; }
.timeline figcaption { text-align: center; color: #444; margin-top: 4px; }
pre.config { background: #fff; border: 1px solid #e0e0e0; padding: 12px; overflow-x: auto; }
.note { color: #666; }
)";

}  // namespace detail

/// Writes `run_dir/report.html`, one self-contained page (inline CSS and SVG, images as data
/// URIs) showing the run's facts, a chart per numeric metric in metrics.jsonl, the sample grids
/// in step order and the resolved config. Missing pieces are reported on the page, not thrown.
/// The page is written atomically (temporary sibling, fsync, rename).
///
/// @code
/// gancraft::tools::write_report("runs/fmnist");  // then open runs/fmnist/report.html
/// @endcode
/// @throws IoError if `run_dir` is not a directory, if config.json or a metrics.jsonl line is
/// malformed (naming the file and line), or if a file cannot be read or the page written.
inline void write_report(const std::filesystem::path& run_dir) {
  namespace fs = std::filesystem;
  using detail::html_escape;
  std::error_code ec;
  GANCRAFT_CHECK(fs::is_directory(run_dir, ec), IoError, run_dir.string(),
                 ": not a run directory (it does not exist or is not a directory)");

  // --- inputs ---
  std::optional<nlohmann::json> config;
  const fs::path config_path = run_dir / "config.json";
  if (fs::exists(config_path, ec)) {
    try {
      config = nlohmann::json::parse(detail::read_file(config_path));
    } catch (const nlohmann::json::parse_error& e) {
      throw IoError(gancraft::detail::str(config_path.string(), ": malformed JSON: ", e.what()));
    }
  }
  const detail::Metrics metrics = detail::read_metrics(run_dir / "metrics.jsonl");
  const std::optional<nlohmann::json> state = detail::latest_checkpoint_state(run_dir / "checkpoints");
  const std::vector<detail::Sample> samples = detail::list_samples(run_dir / "samples");

  std::optional<double> steps_done = metrics.last_step;
  if (state && state->contains("step") && (*state)["step"].is_number())
    steps_done = std::max(steps_done.value_or(0), (*state)["step"].get<double>());
  if (!samples.empty())
    steps_done = std::max(steps_done.value_or(0), static_cast<double>(samples.back().step));

  // "runs/fmnist/" normalises to "runs/fmnist/", whose filename() is empty: drop the slash.
  fs::path absolute_dir = fs::absolute(run_dir).lexically_normal();
  if (absolute_dir.filename().empty()) absolute_dir = absolute_dir.parent_path();
  const std::string run_name = absolute_dir.filename().string();

  // --- page ---
  std::ostringstream html;
  html.imbue(std::locale::classic());
  html << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
       << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
       << "<title>gancraft report: " << html_escape(run_name) << "</title>\n<style>"
       << detail::report_css << "</style>\n</head>\n<body>\n"
       << "<h1>gancraft report: " << html_escape(run_name) << "</h1>\n";

  // Facts.
  const auto fact = [&](const std::string& key, const std::string& value) {
    html << "<tr><td>" << html_escape(key) << "</td><td>" << html_escape(value) << "</td></tr>\n";
  };
  html << "<h2>Run</h2>\n<table class=\"facts\">\n";
  fact("run directory", absolute_dir.string());
  fact("steps done", steps_done ? detail::format_number(*steps_done, 15) : "unknown");
  if (metrics.has_seconds) {
    fact("duration", detail::format_duration(metrics.duration) + " (wall time of the logged training)");
    if (metrics.duration > 0 && metrics.last_step)
      fact("steps/s", detail::format_number(*metrics.last_step / metrics.duration, 3));
  } else {
    fact("duration", "unknown (no \"seconds\" in metrics.jsonl)");
  }
  if (config && config->is_object()) {
    if (config->contains("model")) {
      // Only the keys this model kind reads: the resolved config holds every kind's defaults.
      nlohmann::json model = (*config)["model"];
      if (model.is_object() && model.contains("kind") && model["kind"].is_string()) {
        const std::string kind = model["kind"];
        for (auto it = model.begin(); it != model.end();)
          it = model_key_applies(it.key(), kind) ? std::next(it) : model.erase(it);
      }
      fact("model", detail::json_text(model));
    }
    if (config->contains("loss")) fact("loss", detail::json_text((*config)["loss"]));
  }
  if (state) {
    fact("gancraft version", state->contains("gancraft_version") ? detail::json_text((*state)["gancraft_version"]) : "unknown");
    fact("LibTorch version", state->contains("torch_version") ? detail::json_text((*state)["torch_version"]) : "unknown");
  } else {
    fact("versions", "unknown (no readable checkpoint state.json)");
  }
  fact("sample grids", std::to_string(samples.size()));
  if (fs::is_regular_file(run_dir / "generator.pt", ec))
    fact("exported generator", "generator.pt (" + detail::format_number(static_cast<double>(fs::file_size(run_dir / "generator.pt", ec)) / 1024.0, 3) +
                                   " KiB; gancraft sample --run reads it)");
  html << "</table>\n";

  // Charts.
  html << "<h2>Metrics</h2>\n";
  if (!metrics.present) {
    html << "<p class=\"note\">No metrics.jsonl in this run directory, so there are no charts.</p>\n";
  } else if (metrics.records == 0) {
    html << "<p class=\"note\">metrics.jsonl is empty, so there are no charts.</p>\n";
  } else if (metrics.series.empty()) {
    html << "<p class=\"note\">metrics.jsonl has " << metrics.records
         << " records but no numeric metrics to chart.</p>\n";
  } else {
    html << "<p class=\"note\">" << metrics.records << " logged steps";
    if (metrics.first_step && metrics.last_step)
      html << ", step " << detail::format_number(*metrics.first_step, 15) << " to "
           << detail::format_number(*metrics.last_step, 15);
    html << ". Charts show at most 1000 points each (first, last, and each interval's extremes).</p>\n"
         << "<div class=\"charts\">\n";
    const detail::Series* d_loss = nullptr;
    const detail::Series* g_loss = nullptr;
    for (const auto& s : metrics.series) {
      if (s.name == "d_loss") d_loss = &s;
      if (s.name == "g_loss") g_loss = &s;
    }
    if (d_loss && g_loss) {
      html << "<div class=\"chart-box\"><h3>d_loss and g_loss</h3>\n"
           << detail::svg_chart("d_loss,g_loss", {d_loss, g_loss}) << "\n</div>\n";
    }
    for (const auto& s : metrics.series) {
      html << "<div class=\"chart-box\"><h3>" << html_escape(s.name) << "</h3>\n"
           << detail::svg_chart(s.name, {&s}) << "\n<p>" << s.points.size() << " points";
      if (!s.points.empty())
        html << ", last " << detail::format_number(s.points.back().value, 6);
      if (s.skipped) html << ", " << s.skipped << " non-finite value" << (s.skipped == 1 ? "" : "s") << " skipped";
      html << "</p></div>\n";
    }
    html << "</div>\n";
    if (!metrics.not_charted.empty()) {
      html << "<p class=\"note\">Not charted (not numeric):";
      for (const auto& k : metrics.not_charted) html << ' ' << html_escape(k);
      html << "</p>\n";
    }
  }

  // Quality: `hooks::Evaluate`'s eval.jsonl (FD-FMNIST and friends), when the run has one.
  const detail::Metrics quality = detail::read_metrics(run_dir / "eval.jsonl");
  if (quality.present && !quality.series.empty()) {
    html << "<h2>Quality</h2>\n<p class=\"note\">" << quality.records
         << " evaluations from eval.jsonl (see docs/metrics.md).</p>\n<div class=\"charts\">\n";
    for (const auto& s : quality.series) {
      if (s.name == "samples") continue;
      html << "<div class=\"chart-box\"><h3>" << html_escape(s.name) << "</h3>\n"
           << detail::svg_chart(s.name, {&s}) << "\n<p>" << s.points.size() << " points";
      if (!s.points.empty()) html << ", last " << detail::format_number(s.points.back().value, 6);
      html << "</p></div>\n";
    }
    html << "</div>\n";
  }

  // Samples.
  html << "<h2>Samples</h2>\n";
  if (samples.empty()) {
    html << "<p class=\"note\">No sample grids (samples/step-NNNNNN.png).</p>\n";
  } else {
    html << "<div class=\"timeline\">\n";
    for (const auto& sample : samples) {
      const std::string bytes = detail::read_file(sample.path);
      const auto size = detail::png_size(bytes);
      html << "<figure>";
      if (!size) {
        html << "<p class=\"note\">" << html_escape(sample.path.filename().string())
             << " is not a PNG</p>";
      } else {
        // Small grids (28x28 digits) are shown at 2x, larger ones as they are, all crisp.
        const std::uint32_t scale = size->first <= 320 ? 2 : 1;
        html << "<img alt=\"samples at step " << sample.step << "\" width=\"" << size->first * scale
             << "\" height=\"" << size->second * scale << "\" src=\"data:image/png;base64,"
             << detail::base64_encode(bytes) << "\">";
      }
      html << "<figcaption>step " << sample.step << "</figcaption></figure>\n";
    }
    html << "</div>\n";
  }

  // Config.
  html << "<h2>Config</h2>\n";
  if (config)
    // Invalid UTF-8 in a string must not stop the report: show U+FFFD instead.
    html << "<pre class=\"config\">"
         << html_escape(config->dump(2, ' ', false, nlohmann::json::error_handler_t::replace))
         << "</pre>\n";
  else
    html << "<p class=\"note\">No config.json in this run directory.</p>\n";

  html << "</body>\n</html>\n";
  gancraft::detail::write_file_atomically(run_dir / "report.html", html.str());
}

}  // namespace gancraft::tools
