// Tests for tools/report.hpp (`gancraft report DIR`), including a render in headless Chromium.

#include "../support/catch.hpp"

#include "../support/test_support.hpp"

#include "tools/report.hpp"

#include <gancraft/io/png.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

namespace fs = std::filesystem;
namespace gt = gancraft::tools;
inline auto Contains(const std::string& text) { return ContainsText(text); }

namespace {

fs::path fresh_dir(const std::string& name) { return gancraft::test::fresh_dir("tools_report_" + name); }

std::string slurp(const fs::path& path) { return gancraft::test::read_bytes(path); }

void spit(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

// An independent base64 decoder (RFC 4648 §4): throws on any character outside the alphabet
// or a length that is not a multiple of 4, so a wrong encoder cannot pass by accident.
std::string base64_decode(const std::string& text) {
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (text.size() % 4 != 0) throw std::runtime_error("base64 length not a multiple of 4");
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    unsigned value = 0;
    int pad = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      value <<= 6;
      if (c == '=') {
        if (i + 4 != text.size() || j < 2) throw std::runtime_error("misplaced '='");
        ++pad;
      } else {
        if (pad) throw std::runtime_error("data after '='");
        const auto at = alphabet.find(c);
        if (at == std::string::npos) throw std::runtime_error(std::string("bad base64 char ") + c);
        value |= static_cast<unsigned>(at);
      }
    }
    out += static_cast<char>((value >> 16) & 0xff);
    if (pad < 2) out += static_cast<char>((value >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(value & 0xff);
  }
  return out;
}

// Every base64 payload of a `data:image/png;base64,` URI in `html`, in page order.
std::vector<std::string> embedded_pngs(const std::string& html) {
  const std::string prefix = "data:image/png;base64,";
  std::vector<std::string> out;
  for (auto at = html.find(prefix); at != std::string::npos; at = html.find(prefix, at + 1)) {
    const auto begin = at + prefix.size();
    out.push_back(html.substr(begin, html.find('"', begin) - begin));
  }
  return out;
}

// Number of points in the first polyline inside the chart whose data-series is `name`.
std::size_t polyline_points(const std::string& html, const std::string& name) {
  const auto chart = html.find("<svg class=\"chart\" data-series=\"" + name + "\"");
  REQUIRE(chart != std::string::npos);
  const auto end = html.find("</svg>", chart);
  const auto line = html.find("<polyline", chart);
  if (line == std::string::npos || line > end) return 0;
  const auto begin = html.find("points=\"", line) + 8;
  const std::string points = html.substr(begin, html.find('"', begin) - begin);
  return static_cast<std::size_t>(std::count(points.begin(), points.end(), ','));
}

// A run directory like dcgan_fashion_mnist writes: config, 3 metric series (d_real has a NaN,
// which nlohmann writes as null), two sample grids and a checkpoint state.
struct SyntheticRun {
  fs::path dir;
  std::vector<fs::path> pngs;
};

SyntheticRun make_run(const std::string& name) {
  SyntheticRun run{fresh_dir(name), {}};
  spit(run.dir / "config.json",
       nlohmann::json{{"model", "dcgan <v2>"},
                      {"loss", "non_saturating"},
                      {"batch_size", 64},
                      {"note", "<script>alert('x')</script> & more"}}
           .dump(2));
  std::string lines;
  for (int step = 10; step <= 200; step += 10) {
    nlohmann::json line = {{"step", step}, {"epoch", 0}, {"seconds", step * 0.05},
                           {"d_loss", 1.4 - step * 0.003}, {"g_loss", 0.7 + std::sin(step * 0.05)},
                           {"d_real", step == 100 ? NAN : 0.5 + step * 0.001}};
    lines += line.dump() + "\n";
  }
  spit(run.dir / "metrics.jsonl", lines);
  // Grey and red/green images, so no pixel of theirs looks like the blue chart strokes.
  torch::Tensor gray = torch::arange(0, 256, torch::kInt32).reshape({16, 16}).to(torch::kUInt8);
  torch::Tensor rg = torch::zeros({8, 12, 3}, torch::kUInt8);
  rg.index_put_({torch::indexing::Slice(), torch::indexing::Slice(), 0}, 200);
  rg.index_put_({torch::indexing::Slice(0, 4), torch::indexing::Slice(), 1}, 180);
  run.pngs = {run.dir / "samples" / "step-000000.png", run.dir / "samples" / "step-000200.png"};
  gancraft::io::write_png(run.pngs[0], gray);
  gancraft::io::write_png(run.pngs[1], rg);
  fs::create_directories(run.dir / "checkpoints" / "step-000200");
  spit(run.dir / "checkpoints" / "step-000200" / "state.json",
       R"({"step": 200, "gancraft_version": "9.8.7", "torch_version": "1.13.0"})");
  spit(run.dir / "checkpoints" / "latest", "step-000200\n");
  return run;
}

template <class Fn>
std::string io_error_message(Fn&& fn) { return gancraft::test::error_message<gancraft::IoError>(fn); }

}  // namespace

TEST_CASE("report: base64 matches the RFC 4648 test vectors and round-trips", "[tools][report]") {
  CHECK(gt::detail::base64_encode("") == "");
  CHECK(gt::detail::base64_encode("f") == "Zg==");
  CHECK(gt::detail::base64_encode("fo") == "Zm8=");
  CHECK(gt::detail::base64_encode("foo") == "Zm9v");
  CHECK(gt::detail::base64_encode("foob") == "Zm9vYg==");
  CHECK(gt::detail::base64_encode("fooba") == "Zm9vYmE=");
  CHECK(gt::detail::base64_encode("foobar") == "Zm9vYmFy");
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (std::size_t n = 0; n <= all.size(); n += 37)
    CHECK(base64_decode(gt::detail::base64_encode(all.substr(0, n))) == all.substr(0, n));
  CHECK(base64_decode(gt::detail::base64_encode(all)) == all);
}

TEST_CASE("report: a chart per series, embedded samples, escaped config", "[tools][report]") {
  const SyntheticRun run = make_run("full");
  gt::write_report(run.dir);
  const std::string html = slurp(run.dir / "report.html");

  SECTION("one chart per numeric series, plus the combined loss chart") {
    for (const std::string name : {"d_loss", "g_loss", "d_real"})
      CHECK(count(html, "<svg class=\"chart\" data-series=\"" + name + "\"") == 1);
    CHECK(count(html, "<svg class=\"chart\" data-series=\"d_loss,g_loss\"") == 1);
    CHECK(count(html, "<svg class=\"chart\"") == 4);
    CHECK(count(html, "data-series=\"step\"") == 0);
    CHECK(count(html, "data-series=\"seconds\"") == 0);
    CHECK(count(html, "data-series=\"epoch\"") == 0);
    // The NaN is skipped, not drawn and not fatal.
    CHECK(polyline_points(html, "d_loss") == 20);
    CHECK(polyline_points(html, "d_real") == 19);
    CHECK_THAT(html, Contains("1 non-finite value skipped"));
    CHECK_THAT(html, Contains("stroke=\"#1f77b4\""));
  }
  SECTION("each sample grid is embedded byte for byte, in step order, with its caption") {
    const auto payloads = embedded_pngs(html);
    REQUIRE(payloads.size() == run.pngs.size());
    for (std::size_t i = 0; i < payloads.size(); ++i) CHECK(base64_decode(payloads[i]) == slurp(run.pngs[i]));
    CHECK(html.find("step 0<") < html.find("step 200<"));
    CHECK_THAT(html, Contains("image-rendering: pixelated"));
  }
  SECTION("run facts and the config, HTML-escaped") {
    CHECK_THAT(html, Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more"));
    CHECK(count(html, "<script") == 0);
    CHECK_THAT(html, Contains("dcgan &lt;v2&gt;"));
    CHECK_THAT(html, Contains("non_saturating"));
    CHECK_THAT(html, Contains("&quot;batch_size&quot;: 64"));
    CHECK_THAT(html, Contains("9.8.7"));     // gancraft version from the checkpoint
    CHECK_THAT(html, Contains("1.13.0"));    // LibTorch version
    CHECK_THAT(html, Contains("<td>200</td>"));  // steps done
    CHECK_THAT(html, Contains("10 s"));      // duration: the last "seconds"
  }
  SECTION("no quality section without eval.jsonl") {
    CHECK(count(html, "<h2>Quality</h2>") == 0);
  }
  SECTION("self-contained: no external resources") {
    CHECK(count(html, "http://") == count(html, "xmlns=\"http://www.w3.org/2000/svg\""));
    CHECK(count(html, "https://") == 0);
    CHECK(count(html, "<link") == 0);
  }
  SECTION("written atomically: no temporary left behind") {
    for (const auto& entry : fs::directory_iterator(run.dir))
      CHECK(entry.path().filename().string().rfind(".tmp-", 0) == std::string::npos);
  }
}

TEST_CASE("report: hooks::Evaluate's eval.jsonl gets a chart per value", "[tools][report]") {
  const SyntheticRun run = make_run("quality");
  spit(run.dir / "eval.jsonl", "{\"step\":100,\"samples\":500,\"fd\":80.5,\"precision\":0.4}\n"
                               "{\"step\":200,\"samples\":500,\"fd\":42.25,\"precision\":0.6}\n");
  gt::write_report(run.dir);
  const std::string html = slurp(run.dir / "report.html");
  CHECK(count(html, "<h2>Quality</h2>") == 1);
  CHECK(count(html, "<svg class=\"chart\" data-series=\"fd\"") == 1);
  CHECK(count(html, "<svg class=\"chart\" data-series=\"precision\"") == 1);
  CHECK(count(html, "data-series=\"samples\"") == 0);
  CHECK(polyline_points(html, "fd") == 2);
  CHECK_THAT(html, Contains("last 42.25"));
}

TEST_CASE("report: a malformed metrics line is an IoError naming the file and line", "[tools][report]") {
  const SyntheticRun run = make_run("malformed");
  spit(run.dir / "metrics.jsonl",
       "{\"step\": 1, \"d_loss\": 1.0}\n\n{\"step\": 2, \"d_loss\": 0.9}\n{\"step\": 3, \"d_loss\": \n");
  const std::string message = io_error_message([&] { gt::write_report(run.dir); });
  CHECK_THAT(message, Contains("metrics.jsonl") && Contains("line 4"));
  CHECK_FALSE(fs::exists(run.dir / "report.html"));

  spit(run.dir / "metrics.jsonl", "{\"step\": 1, \"d_loss\": 1.0}\n[1, 2]\n");
  CHECK_THAT(io_error_message([&] { gt::write_report(run.dir); }),
             Contains("metrics.jsonl") && Contains("line 2") && Contains("JSON object"));
  spit(run.dir / "metrics.jsonl", "{\"d_loss\": 1.0}\n");
  CHECK_THAT(io_error_message([&] { gt::write_report(run.dir); }),
             Contains("metrics.jsonl") && Contains("line 1") && Contains("step"));
  spit(run.dir / "config.json", "{\"model\": ");
  CHECK_THAT(io_error_message([&] { gt::write_report(run.dir); }), Contains("config.json"));
  CHECK_THAT(io_error_message([&] { gt::write_report(run.dir / "nope"); }), Contains("nope"));
}

namespace {
// The report of `run` once its metrics.jsonl holds `metrics`.
std::string report_with_metrics(const SyntheticRun& run, const std::string& metrics) {
  spit(run.dir / "metrics.jsonl", metrics);
  gt::write_report(run.dir);
  return slurp(run.dir / "report.html");
}
}  // namespace

TEST_CASE("report: missing, empty, single-point and long metrics", "[tools][report]") {
  const SyntheticRun run = make_run("edge");

  SECTION("missing metrics.jsonl: said so, no charts; samples and config still shown") {
    fs::remove(run.dir / "metrics.jsonl");
    gt::write_report(run.dir);
    const std::string html = slurp(run.dir / "report.html");
    CHECK_THAT(html, Contains("No metrics.jsonl"));
    CHECK(count(html, "<svg class=\"chart\"") == 0);
    CHECK(embedded_pngs(html).size() == 2);
    CHECK_THAT(html, Contains("&quot;batch_size&quot;: 64"));
  }
  SECTION("empty metrics.jsonl") {
    const std::string html = report_with_metrics(run, "");
    CHECK_THAT(html, Contains("metrics.jsonl is empty"));
    CHECK(count(html, "<svg class=\"chart\"") == 0);
  }
  SECTION("a single point is drawn as a dot on a labelled chart") {
    const std::string html = report_with_metrics(run, "{\"step\": 5, \"seconds\": 1.0, \"penalty\": 2.5}\n");
    CHECK(count(html, "<svg class=\"chart\"") == 1);
    CHECK(count(html, "<svg class=\"chart\" data-series=\"penalty\"") == 1);
    CHECK(count(html, "<circle") == 1);
    CHECK(count(html, "text-anchor=\"end\"") >= 2);  // y tick labels
  }
  SECTION("a series with no finite value still gets its chart") {
    const std::string html =
        report_with_metrics(run, "{\"step\": 1, \"d_loss\": null}\n{\"step\": 2, \"d_loss\": null}\n");
    CHECK(count(html, "<svg class=\"chart\" data-series=\"d_loss\"") == 1);
    CHECK_THAT(html, Contains("no finite values"));
    CHECK_THAT(html, Contains("2 non-finite values skipped"));
  }
  SECTION("non-numeric keys are listed, not charted") {
    const std::string html = report_with_metrics(run, "{\"step\": 1, \"d_loss\": 1, \"phase\": \"warmup\"}\n");
    CHECK(count(html, "<svg class=\"chart\"") == 1);
    CHECK_THAT(html, Contains("Not charted (not numeric): phase"));
  }
  SECTION("5000 points: at most 1000 drawn, first and last kept, the spike kept") {
    std::vector<gt::detail::Point> points;
    std::string lines;
    for (int step = 1; step <= 5000; ++step) {
      points.push_back({double(step), step == 2345 ? 50.0 : 1.0 + 1e-4 * step});
      lines += nlohmann::json{{"step", step}, {"d_loss", points.back().value}}.dump() + "\n";
    }
    const std::size_t drawn = polyline_points(report_with_metrics(run, lines), "d_loss");
    CHECK(drawn <= 1000);
    CHECK(drawn >= 900);

    const auto kept = gt::detail::downsample(points);
    CHECK(kept.size() <= 1000);
    CHECK(kept.front().step == 1);
    CHECK(kept.back().step == 5000);
    CHECK(std::any_of(kept.begin(), kept.end(), [](const auto& p) { return p.value == 50.0; }));
    CHECK(std::is_sorted(kept.begin(), kept.end(), [](const auto& a, const auto& b) { return a.step < b.step; }));
  }
}

namespace {

/// `report.html` of `dir` rendered by headless Chromium at `width` × `height`, as RGB int32 [H, W, 3].
torch::Tensor render(const fs::path& dir, int width, int height, const std::string& name) {
  const fs::path shot = dir / (name + ".png");
  const fs::path log = dir / (name + ".log");
  const std::string command =
      "timeout 180 /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
      " --disable-background-networking --disable-component-update --disable-sync"
      " --user-data-dir='" + (dir / ("profile-" + name)).string() + "'"
      " --window-size=" + std::to_string(width) + "," + std::to_string(height) + " --screenshot='" + shot.string() +
      "' 'file://" + fs::absolute(dir / "report.html").string() + "' > '" + log.string() + "' 2>&1";
  const int rc = std::system(command.c_str());
  INFO("command: " << command << "\nchromium output:\n" << slurp(log));
  REQUIRE(rc == 0);
  torch::Tensor image = gancraft::io::read_png(shot);
  return image.index({torch::indexing::Slice(), torch::indexing::Slice(), torch::indexing::Slice(0, 3)}).to(torch::kInt32);
}

/// Pixels of `image` in columns [x0, x1) tinted like the series blue #1f77b4, anti-aliased
/// strokes included (blue well above red, and at least green): no text, grid line or the
/// orange series is.
int64_t bluish_pixels(const torch::Tensor& image, int64_t x0, int64_t x1) {
  const torch::Tensor part = image.narrow(1, x0, x1 - x0);
  const torch::Tensor r = part.select(2, 0), g = part.select(2, 1), b = part.select(2, 2);
  return ((b - r).gt(40) & b.ge(g)).sum().item<int64_t>();
}

}  // namespace

TEST_CASE("report: the charts form a grid on a wide screen and shrink to fit a narrow one", "[tools][report][chromium]") {
  REQUIRE(fs::exists("/usr/bin/chromium"));
  const SyntheticRun run = make_run("chromium_layout");
  gt::write_report(run.dir);
  // 1600 px: two charts side by side, so the series blue appears in both halves of the page.
  const torch::Tensor wide = render(run.dir, 1600, 1600, "wide");
  CHECK(bluish_pixels(wide, 0, 800) > 500);
  CHECK(bluish_pixels(wide, 800, 1600) > 500);
  // 400 px (a phone): one column, each chart scaled down to the width: the strokes are there,
  // across the whole chart (past 3/4 of the screen), and none beyond the page's right padding.
  const torch::Tensor narrow = render(run.dir, 400, 2400, "narrow");
  CHECK(bluish_pixels(narrow, 0, 400) > 300);
  CHECK(bluish_pixels(narrow, 300, 385) > 20);
  CHECK(bluish_pixels(narrow, 390, 400) == 0);
}

TEST_CASE("report: headless Chromium renders charts and samples", "[tools][report][chromium]") {
  const fs::path chromium = "/usr/bin/chromium";
  INFO("Debian's chromium is needed to check the rendered report: apt-get install chromium (scripts/deps.sh)");
  REQUIRE(fs::exists(chromium));

  const SyntheticRun run = make_run("chromium");
  gt::write_report(run.dir);
  const fs::path shot = run.dir / "screenshot.png";
  const fs::path log = run.dir / "chromium.log";
  const std::string command =
      "timeout 180 " + chromium.string() +
      " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
      " --disable-background-networking --disable-component-update --disable-sync"
      " --user-data-dir='" + (run.dir / "chromium-profile").string() + "'"
      " --window-size=1200,2400 --screenshot='" + shot.string() + "' 'file://" +
      fs::absolute(run.dir / "report.html").string() + "' > '" + log.string() + "' 2>&1";
  const int rc = std::system(command.c_str());
  INFO("command: " << command << "\nchromium output:\n" << slurp(log));
  REQUIRE(rc == 0);
  REQUIRE(fs::exists(shot));

  torch::Tensor image = gancraft::io::read_png(shot);
  REQUIRE(image.dim() == 3);
  REQUIRE(image.size(2) >= 3);
  image = image.index({torch::indexing::Slice(), torch::indexing::Slice(), torch::indexing::Slice(0, 3)})
              .to(torch::kInt32);
  const int64_t pixels = image.size(0) * image.size(1);
  CHECK(image.size(0) == 2400);
  CHECK(image.size(1) == 1200);

  // Not blank: plenty of pixels differ from the page background (#fafafa) ...
  const torch::Tensor background = torch::tensor({250, 250, 250}, torch::kInt32);
  const int64_t foreground = (image - background).abs().amax(2).gt(8).sum().item<int64_t>();
  CHECK(foreground > pixels / 50);
  // ... in many colours (text anti-aliasing, the grey sample grid, two stroke colours) ...
  const torch::Tensor packed = (image.select(2, 0) * 65536 + image.select(2, 1) * 256 + image.select(2, 2)).flatten();
  const int64_t colours = std::get<0>(torch::_unique(packed)).numel();
  CHECK(colours > 100);
  // ... and the series stroke colour #1f77b4 (31, 119, 180) is drawn: nothing else on the
  // page is that blue.
  const torch::Tensor stroke = torch::tensor({31, 119, 180}, torch::kInt32);
  const int64_t blue = (image - stroke).abs().amax(2).le(24).sum().item<int64_t>();
  CHECK(blue > 1000);
  // The orange of g_loss in the combined chart too.
  const torch::Tensor orange = torch::tensor({255, 127, 14}, torch::kInt32);
  CHECK((image - orange).abs().amax(2).le(24).sum().item<int64_t>() > 100);
}

TEST_CASE("report: the model fact lists only the keys the model kind reads", "[tools][report]") {
  for (const std::string kind : {"dcgan", "mlp", "cycle_gan"}) {
    const fs::path dir = fresh_dir("model_keys_" + kind);
    const auto config = gt::resolve_config(nlohmann::json{{"model", {{"kind", kind}}}}, "test");
    REQUIRE(config["model"].contains("hidden"));  // the resolved config holds every kind's keys
    spit(dir / "config.json", config.dump(2));
    gt::write_report(dir);
    const std::string html = slurp(dir / "report.html");
    const auto row = html.find("<td>model</td>");
    REQUIRE(row != std::string::npos);
    const std::string model = html.substr(row, html.find("</tr>", row) - row);
    INFO(kind << ": " << model);
    CHECK((model.find("base_width") != std::string::npos) == (kind == "dcgan"));
    CHECK((model.find("hidden") != std::string::npos) == (kind == "mlp"));
    CHECK((model.find("cycle_weight") != std::string::npos) == (kind == "cycle_gan"));
    CHECK((model.find("latent_dim") != std::string::npos) == (kind != "cycle_gan"));
  }
}
