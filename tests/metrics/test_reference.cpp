// Metrics against values computed independently by SciPy/NumPy (reference_metrics.py) and
// against closed forms.
#include <gancraft/core/random.hpp>
#include <gancraft/metrics/density_coverage.hpp>
#include <gancraft/metrics/feature_file.hpp>
#include <gancraft/metrics/frechet_distance.hpp>
#include <gancraft/metrics/inception_score.hpp>
#include <gancraft/metrics/kernel_inception_distance.hpp>
#include <gancraft/metrics/precision_recall.hpp>
#include <gancraft/metrics/psnr.hpp>
#include <gancraft/metrics/ssim.hpp>

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

struct Reference {
  torch::Tensor a, b, c, logits;
  torch::Tensor images_x, images_y;  ///< [5, 3, 20, 24]
  nlohmann::json expected;
};

/// Runs the reference script once (fails, never passes silently, when GANCRAFT_PYTHON lacks scipy).
const Reference& reference() {
  static const Reference ref = [] {
    const auto dir = gc::test::fresh_dir("metrics_reference_" + std::to_string(::getpid()));
    const std::string cmd = GANCRAFT_PYTHON " " GANCRAFT_SOURCE_DIR "/tests/metrics/reference_metrics.py " +
                            dir.string() + " > " + (dir / "log.txt").string() + " 2>&1";
    INFO(gc::test::read_bytes(dir / "log.txt"));
    REQUIRE(std::system(cmd.c_str()) == 0);
    Reference r;
    r.a = gm::read_features_csv(dir / "a.csv");
    r.b = gm::read_features_csv(dir / "b.csv");
    r.c = gm::read_features_csv(dir / "c.csv");
    r.logits = gm::read_features_csv(dir / "logits.csv");
    r.images_x = gm::read_features_csv(dir / "images_x.csv").reshape({5, 3, 20, 24});
    r.images_y = gm::read_features_csv(dir / "images_y.csv").reshape({5, 3, 20, 24});
    std::ifstream in(dir / "expected.json");
    r.expected = nlohmann::json::parse(in);
    return r;
  }();
  return ref;
}

bool relatively_close(double ours, double theirs, double rel) {
  return std::abs(ours - theirs) <= rel * std::abs(theirs);
}

}  // namespace

TEST_CASE("frechet_distance agrees with scipy.linalg.sqrtm to 1e-6 relative", "[metrics]") {
  const Reference& r = reference();
  const double ab = gm::frechet_distance(r.a, r.b), ac = gm::frechet_distance(r.a, r.c);
  INFO("ours " << ab << " / " << ac << ", scipy " << r.expected["fd_ab"] << " / " << r.expected["fd_ac"]);
  CHECK(relatively_close(ab, r.expected["fd_ab"].get<double>(), 1e-6));
  CHECK(relatively_close(ac, r.expected["fd_ac"].get<double>(), 1e-6));
  // A set against itself: zero up to rounding (scipy's sqrtm leaves ~1e-12 too).
  CHECK(std::abs(gm::frechet_distance(r.a, r.a)) < 1e-9);
  // Symmetric.
  CHECK(relatively_close(gm::frechet_distance(r.b, r.a), ab, 1e-9));
}

TEST_CASE("kernel_inception_distance agrees with the NumPy formula", "[metrics]") {
  const Reference& r = reference();
  const auto kid = gm::kernel_inception_distance(r.a, r.b, gm::KidOptions().subsets(1).subset_size(400));
  CHECK(relatively_close(kid.mean, r.expected["kid_ab"].get<double>(), 1e-9));
  CHECK(kid.std == 0.0);
  // Subsets: the mean of several draws stays near the full-set value, and repeats exactly.
  const auto opts = gm::KidOptions().subsets(20).subset_size(200).seed(5);
  const auto k1 = gm::kernel_inception_distance(r.a, r.b, opts);
  const auto k2 = gm::kernel_inception_distance(r.a, r.b, opts);
  CHECK(k1.mean == k2.mean);
  CHECK(k1.std > 0);
  CHECK(std::abs(k1.mean - kid.mean) < 4 * k1.std);
}

TEST_CASE("precision_recall and density_coverage agree with the NumPy formulas", "[metrics]") {
  const Reference& r = reference();
  const auto pr = gm::precision_recall(r.a, r.b, 3);
  CHECK(pr.precision == Approx(r.expected["precision_ab"].get<double>()).epsilon(1e-12));
  CHECK(pr.recall == Approx(r.expected["recall_ab"].get<double>()).epsilon(1e-12));
  const auto dc = gm::density_coverage(r.a, r.b, 5);
  CHECK(dc.density == Approx(r.expected["density_ab"].get<double>()).epsilon(1e-12));
  CHECK(dc.coverage == Approx(r.expected["coverage_ab"].get<double>()).epsilon(1e-12));
  // The references are not degenerate: neither 0 nor 1.
  CHECK(pr.precision > 0.05);
  CHECK(pr.precision < 0.95);
}

TEST_CASE("inception_score agrees with the NumPy formula", "[metrics]") {
  const Reference& r = reference();
  const auto s = gm::inception_score(r.logits, 3);
  CHECK(relatively_close(s.mean, r.expected["is_mean"].get<double>(), 1e-9));
  CHECK(relatively_close(s.std, r.expected["is_std"].get<double>(), 1e-6));
}

TEST_CASE("inception_score spans 1 to the class count", "[metrics]") {
  // Identical predictions: p(y|x) = p(y), so KL = 0 and IS = 1.
  CHECK(gm::inception_score(torch::randn({1, 10}).repeat({50, 1}), 5).mean == Approx(1.0));
  // Confident and evenly spread over C classes: IS = C.
  torch::Tensor logits = torch::full({40, 4}, -200.0);
  for (int64_t i = 0; i < 40; ++i) logits[i][i % 4] = 200.0;
  CHECK(gm::inception_score(logits, 2).mean == Approx(4.0).epsilon(1e-9));
}

TEST_CASE("frechet_distance of two Gaussians matches the closed form", "[metrics]") {
  // N(mu1, diag(s1)) vs N(mu2, diag(s2)): d² = |mu1 − mu2|² + Σ (s1 + s2 − 2 sqrt(s1 s2)).
  at::Generator gen = gc::make_generator(11);
  const auto mu1 = torch::tensor({0.0, 1.0, -1.0, 0.5}, torch::kDouble);
  const auto mu2 = torch::tensor({0.5, 1.0, 0.0, 0.0}, torch::kDouble);
  const auto s1 = torch::tensor({1.0, 2.0, 0.5, 1.5}, torch::kDouble);
  const auto s2 = torch::tensor({2.0, 0.5, 0.5, 1.0}, torch::kDouble);
  const double analytic = (mu1 - mu2).pow(2).sum().item<double>() +
                          (s1 + s2 - 2 * (s1 * s2).sqrt()).sum().item<double>();
  const int64_t n = 200000;
  // Stream in batches, as a large evaluation would.
  gm::FeatureStatistics a, b;
  for (int i = 0; i < 10; ++i) {
    a.add(torch::randn({n / 10, 4}, gen, torch::kDouble) * s1.sqrt() + mu1);
    b.add(torch::randn({n / 10, 4}, gen, torch::kDouble) * s2.sqrt() + mu2);
  }
  CHECK(a.count() == n);
  const double d2 = gm::frechet_distance(a, b);
  INFO("sampled " << d2 << ", analytic " << analytic);
  // Sampling error of the means and variances at n = 200,000 is ~0.005 here.
  CHECK(std::abs(d2 - analytic) < 0.03);
}

TEST_CASE("FeatureStatistics streams batches into the full-set mean and covariance", "[metrics]") {
  at::Generator gen = gc::make_generator(2);
  const torch::Tensor x = torch::randn({1000, 6}, gen, torch::kDouble) * 3 + 7;
  gm::FeatureStatistics whole(x), streamed, merged;
  for (int64_t s = 0; s < 1000; s += 137) streamed.add(x.narrow(0, s, std::min<int64_t>(137, 1000 - s)));
  merged.add(gm::FeatureStatistics(x.narrow(0, 0, 400)));
  merged.add(gm::FeatureStatistics(x.narrow(0, 400, 600)));
  const torch::Tensor cov = torch::cov(x.t());  // unbiased
  for (const auto* s : {&whole, &streamed, &merged}) {
    CHECK(s->count() == 1000);
    CHECK(torch::allclose(s->mean(), x.mean(0), 0, 1e-12));
    CHECK(torch::allclose(s->covariance(), cov, 0, 1e-10));
  }
}

TEST_CASE("metric errors name the sets and the numbers", "[metrics]") {
  const auto small = torch::randn({10, 16}), big = torch::randn({100, 16});
  std::string msg = gc::test::error_message<gc::OptionError>([&] { gm::frechet_distance(small, big); });
  CHECK_THAT(msg, ContainsText("set a has 10 samples for 16 features"));
  msg = gc::test::error_message<gc::ShapeError>([&] { gm::frechet_distance(big, torch::randn({100, 8})); });
  CHECK_THAT(msg, ContainsText("set a has 16 features per sample, set b has 8"));
  msg = gc::test::error_message<gc::OptionError>([&] {
    gm::kernel_inception_distance(small, big, gm::KidOptions().subset_size(50));
  });
  CHECK_THAT(msg, ContainsText("subset_size 50") && ContainsText("a has 10 samples"));
  // A subset as large as both sets is the same every time: refused for more than one subset
  // (it gave 100 equal estimates and kid_std 0); one subset is the whole-set estimate.
  const auto other = torch::randn({10, 16});
  msg = gc::test::error_message<gc::OptionError>([&] {
    gm::kernel_inception_distance(small, other, gm::KidOptions().subsets(100).subset_size(10));
  });
  CHECK_THAT(msg, ContainsText("subset_size 10 is the size of both sets") && ContainsText("subsets 1"));
  const auto whole = gm::kernel_inception_distance(small, other, gm::KidOptions().subsets(1).subset_size(10));
  CHECK(whole.mean == Approx(gm::kernel_inception_distance(small, other, gm::KidOptions().subsets(1).subset_size(10).seed(9)).mean));
  CHECK(whole.std == 0);
  msg = gc::test::error_message<gc::OptionError>([&] { gm::precision_recall(small, big, 10); });
  CHECK_THAT(msg, ContainsText("the real set has N = 10 samples; got k = 10"));
  msg = gc::test::error_message<gc::OptionError>([&] {
    gm::FeatureStatistics s;
    s.add(torch::full({3, 2}, std::nan("")));
  });
  CHECK_THAT(msg, ContainsText("NaN"));
  msg = gc::test::error_message<gc::OptionError>([&] { gm::inception_score(torch::randn({5, 3}), 6); });
  CHECK_THAT(msg, ContainsText("splits must be in [1, N] for 5 samples"));
}

TEST_CASE("precision and recall see mode dropping, density and coverage too", "[metrics]") {
  // Real: two clusters. Fake: only the first. Precision stays high, recall halves.
  at::Generator gen = gc::make_generator(4);
  auto cluster = [&](double centre, int64_t n) { return torch::randn({n, 3}, gen, torch::kDouble) * 0.1 + centre; };
  const auto real = torch::cat({cluster(0, 300), cluster(5, 300)});
  const auto fake = cluster(0, 600);
  const auto pr = gm::precision_recall(real, fake);
  CHECK(pr.precision > 0.9);
  CHECK(pr.recall < 0.6);
  CHECK(pr.recall > 0.4);
  const auto dc = gm::density_coverage(real, fake);
  CHECK(dc.coverage < 0.55);
  CHECK(dc.density > 1.0);  // fakes crowd into half the real balls
}

TEST_CASE("PSNR and SSIM agree with NumPy/SciPy (Wang et al. 2004's SSIM) to 1e-9", "[metrics][psnr][ssim]") {
  const Reference& r = reference();
  const double p = gm::psnr(r.images_x, r.images_y), s = gm::ssim(r.images_x, r.images_y);
  INFO("ours " << p << " dB, SSIM " << s << "; numpy " << r.expected["psnr_xy"] << ", " << r.expected["ssim_xy"]);
  CHECK(relatively_close(p, r.expected["psnr_xy"].get<double>(), 1e-9));
  CHECK(relatively_close(s, r.expected["ssim_xy"].get<double>(), 1e-9));
  CHECK(relatively_close(gm::ssim(r.images_x, r.images_y, gm::SsimOptions().data_range(1.0)),
                         r.expected["ssim_xy_range1"].get<double>(), 1e-9));
  // float32 inputs give the same values to float precision (computed in float64 inside).
  CHECK(relatively_close(gm::ssim(r.images_x.to(torch::kFloat), r.images_y.to(torch::kFloat)), s, 1e-5));
}

TEST_CASE("PSNR and SSIM: closed forms, identical images, and bad input named", "[metrics][psnr][ssim]") {
  const torch::Tensor x = torch::rand({3, 1, 16, 16}, gc::make_generator(2), torch::kDouble) * 2 - 1;
  // A constant offset of 0.1: MSE 0.01, PSNR = 10 log10(2² / 0.01) = 26.0206 dB.
  CHECK(gm::psnr(x, x + 0.1) == Approx(10 * std::log10(4.0 / 0.01)).epsilon(1e-9));
  CHECK(gm::psnr(x, x + 0.1, 1.0) == Approx(10 * std::log10(1.0 / 0.01)).epsilon(1e-9));
  CHECK(std::isinf(gm::psnr(x, x)));
  CHECK(gm::ssim(x, x) == Approx(1.0).epsilon(1e-12));
  // Two constant images a and b have no variance: SSIM = (2ab + C1) / (a² + b² + C1), with
  // C1 = (0.01 · 2)².
  const double c1 = 0.02 * 0.02;
  CHECK(gm::ssim(torch::full({1, 2, 12, 12}, 0.5, torch::kDouble), torch::full({1, 2, 12, 12}, 0.3, torch::kDouble)) ==
        Approx((2 * 0.5 * 0.3 + c1) / (0.25 + 0.09 + c1)).epsilon(1e-12));
  // Independent noise images share no structure: SSIM near 0.
  const torch::Tensor other = torch::rand({3, 1, 16, 16}, gc::make_generator(3), torch::kDouble) * 2 - 1;
  CHECK(std::abs(gm::ssim(x, other)) < 0.1);
  CHECK(gm::ssim_per_image(x, x).sizes() == c10::IntArrayRef{3});
  CHECK_THAT(gc::test::error_message([&] { gm::ssim(x.narrow(2, 0, 8), x.narrow(2, 0, 8)); }),
             ContainsText("images of 8x16 are smaller than the 11x11 window"));
  CHECK_THAT(gc::test::error_message([&] { gm::psnr(x, x.narrow(0, 0, 2)); }), ContainsText("differ in shape"));
  CHECK_THAT(gc::test::error_message([&] { gm::psnr(x.flatten(1), x.flatten(1)); }),
             ContainsText("expected two image batches [N, C, H, W]"));
  CHECK_THAT(gc::test::error_message([&] { gm::psnr(x, x, 0.0); }), ContainsText("data_range must be > 0"));
  CHECK_THAT(gc::test::error_message([&] { gm::ssim(x, x, gm::SsimOptions().window(4)); }),
             ContainsText("window must be odd"));
}
