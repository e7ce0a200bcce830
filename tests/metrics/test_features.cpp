// Feature extractors: modules, TorchScript from the same LibTorch's Python, the FID input convention,
// batched extraction, and the 2-D mixture measures.
#include <gancraft/data/gaussian_mixture.hpp>
#include <gancraft/metrics/feature_extractor.hpp>
#include <gancraft/metrics/feature_file.hpp>
#include <gancraft/metrics/mixture_quality.hpp>
#include <gancraft/metrics/torchscript_extractor.hpp>
#include <gancraft/training/random.hpp>

#include "../support/test_support.hpp"

#include "../support/catch.hpp"
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <unistd.h>  // getpid: CTest runs test cases as parallel processes, each needs its own dir
#include <fstream>

namespace gc = gancraft;
namespace gm = gancraft::metrics;

namespace {

/// Exports the traced network once (fails, never passes silently, without torch in GANCRAFT_PYTHON).
std::filesystem::path torchscript_dir() {
  static const std::filesystem::path dir = [] {
    auto d = gc::test::fresh_dir("metrics_torchscript_" + std::to_string(::getpid()));
    const std::string cmd = GANCRAFT_PYTHON " " GANCRAFT_SOURCE_DIR "/tests/metrics/make_torchscript.py " +
                            d.string() + " > " + (d / "log.txt").string() + " 2>&1";
    INFO(gc::test::read_bytes(d / "log.txt"));
    REQUIRE(std::system(cmd.c_str()) == 0);
    return d;
  }();
  return dir;
}

}  // namespace

TEST_CASE("a TorchScript network exported from Python extracts the same features", "[metrics]") {
  const auto dir = torchscript_dir();
  const auto net = gm::load_torchscript_extractor(dir / "net.pt");
  const auto input = gm::read_features_csv(dir / "input.csv").to(torch::kFloat).view({7, 2, 3, 3});
  const auto expected = gm::read_features_csv(dir / "output.csv");
  const auto features = gm::extract_features(net, input, /*batch_size=*/3);  // 3 + 3 + 1
  REQUIRE(features.sizes() == torch::IntArrayRef{7, 5});
  CHECK(torch::allclose(features.to(torch::kDouble), expected, 1e-6, 1e-6));
}

TEST_CASE("load_torchscript_extractor names a missing or corrupt file", "[metrics]") {
  const auto dir = gc::test::fresh_dir("metrics_bad_torchscript");
  std::string msg = gc::test::error_message<gc::IoError>([&] { gm::load_torchscript_extractor(dir / "none.pt"); });
  CHECK_THAT(msg, ContainsText("no such file") && ContainsText("none.pt"));
  std::ofstream(dir / "junk.pt") << "not a zip archive";
  msg = gc::test::error_message<gc::IoError>([&] { gm::load_torchscript_extractor(dir / "junk.pt"); });
  CHECK_THAT(msg, ContainsText("junk.pt") && ContainsText("not a readable TorchScript module"));
}

TEST_CASE("prepare_for_inception follows the pytorch-fid convention", "[metrics]") {
  const auto dir = torchscript_dir();
  std::ifstream in(dir / "resize.json");
  const auto ref = nlohmann::json::parse(in);
  const auto g = torch::linspace(-1, 1, 28 * 28).view({1, 1, 28, 28});
  const auto x = gm::prepare_for_inception(g);
  REQUIRE(x.sizes() == torch::IntArrayRef{1, 3, 299, 299});
  CHECK(x.to(torch::kDouble).mean().item<double>() == Approx(ref["mean"].get<double>()).epsilon(1e-6));
  for (size_t i = 0; i < ref["positions"].size(); ++i) {
    const auto p = ref["positions"][i];
    CHECK(x[0][p[0].get<int64_t>()][p[1].get<int64_t>()][p[2].get<int64_t>()].item<double>() ==
          Approx(ref["values"][i].get<double>()).margin(1e-6));
  }
  // Ranges: -1 maps to 0, 0 and -1; values beyond [-1, 1] are clamped. To within float rounding:
  // LibTorch 2.x's bilinear kernel turns a constant -1 into values 1 ulp either side of it.
  const auto low = torch::full({2, 1, 8, 8}, -3.0);
  CHECK(gm::prepare_for_inception(low).abs().max().item<double>() <= 1e-6);
  CHECK(gm::prepare_for_inception(low, gm::InceptionInputOptions().range(gm::PixelRange::ZeroTo255).size(32))
            .abs().max().item<double>() <= 1e-4);
  CHECK(gm::prepare_for_inception(low, gm::InceptionInputOptions().range(gm::PixelRange::MinusOneToOne))
            .min().item<double>() == Approx(-1.0).margin(1e-6));
  CHECK_THROWS_AS(gm::prepare_for_inception(torch::zeros({2, 2, 8, 8})), gc::ShapeError);
}

TEST_CASE("module_extractor and extract_features run any module in batches", "[metrics]") {
  torch::manual_seed(0);
  torch::nn::Linear lin(4, 2);
  const auto fe = gm::module_extractor(lin);
  const auto x = torch::randn({10, 4});
  const auto batched = gm::extract_features(fe, x, 4);
  CHECK(torch::allclose(batched, lin->forward(x).detach()));
  // An extractor that drops rows is caught, naming the shapes.
  gm::FeatureExtractor bad = [](const torch::Tensor& t) { return t.narrow(0, 0, 1); };
  const auto msg = gc::test::error_message<gc::ShapeError>([&] { gm::extract_features(bad, x, 4); });
  CHECK_THAT(msg, ContainsText("[1, 4] for a batch of 4 images"));
}

TEST_CASE("feature CSV files round-trip exactly and name bad lines", "[metrics]") {
  const auto dir = gc::test::fresh_dir("metrics_csv");
  const auto x = torch::randn({5, 3}, torch::kDouble) * 1e-7 + 1.0 / 3.0;
  gm::write_features_csv(dir / "x.csv", x);
  CHECK(torch::equal(gm::read_features_csv(dir / "x.csv"), x));
  std::ofstream(dir / "header.csv") << "f0,f1\r\n1, 2\r\n\r\n3,4\r\n";
  CHECK(torch::equal(gm::read_features_csv(dir / "header.csv"), torch::tensor({1.0, 2.0, 3.0, 4.0}, torch::kDouble).view({2, 2})));
  std::ofstream(dir / "ragged.csv") << "1,2\n3\n";
  CHECK_THAT(gc::test::error_message<gc::IoError>([&] { gm::read_features_csv(dir / "ragged.csv"); }),
             ContainsText("ragged.csv: line 2 has 1 values, earlier rows have 2"));
  std::ofstream(dir / "nan.csv") << "1,2\n3,nan\n";
  CHECK_THAT(gc::test::error_message<gc::IoError>([&] { gm::read_features_csv(dir / "nan.csv"); }),
             ContainsText("line 2, column 2: \"nan\" is not a finite number"));
  // A first row with one bad value is an error, not a header silently dropped.
  std::ofstream(dir / "badfirst.csv") << "1.0,abc\n3,4\n";
  CHECK_THAT(gc::test::error_message<gc::IoError>([&] { gm::read_features_csv(dir / "badfirst.csv"); }),
             ContainsText("line 1, column 2: \"abc\" is not a finite number"));
  CHECK_THROWS_AS(gm::write_features_csv(dir / "nan.csv", torch::full({2, 2}, std::nan(""))), gc::OptionError);
  std::ofstream(dir / "empty.csv") << "x,y\n";
  CHECK_THAT(gc::test::error_message<gc::IoError>([&] { gm::read_features_csv(dir / "empty.csv"); }),
             ContainsText("no numeric rows"));
}

TEST_CASE("mixture_quality counts modes, high-quality samples and reverse KL", "[metrics]") {
  const auto ring = gc::data::GaussianMixture::ring();  // 8 modes, std 0.01
  // 30 samples on mode 0, 10 on mode 2, 2 off every mode (between modes, radius 0.5).
  torch::Tensor s = torch::cat({ring.means()[0].repeat({30, 1}), ring.means()[2].repeat({10, 1}),
                                torch::tensor({{0.5, 0.0}, {0.0, 0.0}}, torch::kDouble)});
  s.narrow(0, 0, 30).add_(0.025);
  const auto q = gc::metrics::mixture_quality(s, ring);
  // The shift puts mode 0's samples 0.0354 away, beyond 3 σ = 0.03: they are not high quality.
  CHECK(q.modes == 1);
  CHECK(q.hq_fraction == Approx(10.0 / 42.0));
  CHECK(q.reverse_kl == Approx(std::log(8.0)));  // all HQ samples on one mode
  const auto near = gc::metrics::mixture_quality(torch::cat({ring.means()[0].repeat({30, 1}) + 0.02,
                                                              ring.means()[2].repeat({10, 1})}), ring);
  CHECK(near.modes == 2);
  CHECK(near.hq_fraction == 1.0);
  const double p = 0.75, r = 0.25;  // 30 / 40 and 10 / 40
  CHECK(near.reverse_kl == Approx(p * std::log(8 * p) + r * std::log(8 * r)));
  // Samples from the mixture itself: every mode, ~all high quality, KL near 0.
  const auto self = gc::metrics::mixture_quality(ring.sample(2500, 1), ring);
  CHECK(self.modes == 8);
  CHECK(self.hq_fraction > 0.98);
  CHECK(self.reverse_kl < 0.01);
  CHECK(std::isnan(gc::metrics::mixture_quality(torch::full({3, 2}, 9.0), ring).reverse_kl));
}
