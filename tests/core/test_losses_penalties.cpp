// Losses, penalties and with_penalty against references computed by hand from the papers'
// formulas (plain std::log / std::exp on doubles), independent of the library's softplus form.
#include <gancraft/gan.hpp>

#include "../support/catch.hpp"

#include "what_contains.hpp"

#include <cmath>
#include <limits>
#include <vector>

namespace gc = gancraft;
namespace gl = gancraft::losses;
namespace gp = gancraft::penalties;
using gancraft::test::WhatContains;

namespace {

const std::vector<double> kReal{2.0, -1.0, 0.5};
const std::vector<double> kFake{-3.0, 0.25, 1.0};

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}
template <class F>
double mean_of(const std::vector<double>& v, F f) {
  double s = 0;
  for (double x : v) s += f(x);
  return s / static_cast<double>(v.size());
}
torch::Tensor t64(const std::vector<double>& v) {
  return torch::tensor(v, torch::TensorOptions().dtype(torch::kFloat64));
}
double value(const torch::Tensor& t) {
  REQUIRE(t.numel() == 1);
  return t.item<double>();
}

// Paper formulas, written out with sigmoid and log.
double gan_d_ref(const std::vector<double>& r, const std::vector<double>& f) {
  return mean_of(r, [](double x) { return -std::log(sigmoid(x)); }) +
         mean_of(f, [](double x) { return -std::log(1.0 - sigmoid(x)); });
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// 1. Losses: values
// ---------------------------------------------------------------------------------------------

TEST_CASE("Minimax matches -log D(x) - log(1 - D(G(z))) and log(1 - D(G(z)))", "[core][losses]") {
  gl::Minimax loss;
  const auto r = t64(kReal), f = t64(kFake);
  CHECK(value(loss.discriminator_loss(r, f)) == Approx(gan_d_ref(kReal, kFake)).margin(1e-6));
  const double g_ref = mean_of(kFake, [](double x) { return std::log(1.0 - sigmoid(x)); });
  CHECK(value(loss.generator_loss(f)) == Approx(g_ref).margin(1e-6));
  // The saturating objective is negative (log of a probability).
  CHECK(value(loss.generator_loss(f)) < 0);
}

TEST_CASE("NonSaturating matches the BCE discriminator and -log D(G(z)) generator",
          "[core][losses]") {
  gl::NonSaturating loss;
  const auto r = t64(kReal), f = t64(kFake);
  CHECK(value(loss.discriminator_loss(r, f)) == Approx(gan_d_ref(kReal, kFake)).margin(1e-6));
  const double g_ref = mean_of(kFake, [](double x) { return -std::log(sigmoid(x)); });
  CHECK(value(loss.generator_loss(f)) == Approx(g_ref).margin(1e-6));
  // Cross-check against LibTorch's own BCE-with-logits, a third independent formulation.
  const double bce = value(torch::binary_cross_entropy_with_logits(r, torch::ones_like(r)) +
                           torch::binary_cross_entropy_with_logits(f, torch::zeros_like(f)));
  CHECK(value(loss.discriminator_loss(r, f)) == Approx(bce).margin(1e-9));
}

TEST_CASE("LeastSquares matches Mao et al. eq. (2) with a=0, b=1, c=1", "[core][losses]") {
  gl::LeastSquares loss;
  const auto r = t64(kReal), f = t64(kFake);
  const double d_ref = 0.5 * mean_of(kReal, [](double x) { return (x - 1) * (x - 1); }) +
                       0.5 * mean_of(kFake, [](double x) { return x * x; });
  const double g_ref = 0.5 * mean_of(kFake, [](double x) { return (x - 1) * (x - 1); });
  CHECK(value(loss.discriminator_loss(r, f)) == Approx(d_ref).margin(1e-6));
  CHECK(value(loss.generator_loss(f)) == Approx(g_ref).margin(1e-6));
}

TEST_CASE("Wasserstein is mean(fake) - mean(real) and -mean(fake)", "[core][losses]") {
  gl::Wasserstein loss;
  const auto r = t64(kReal), f = t64(kFake);
  CHECK(value(loss.discriminator_loss(r, f)) == Approx(mean(kFake) - mean(kReal)).margin(1e-6));
  CHECK(value(loss.generator_loss(f)) == Approx(-mean(kFake)).margin(1e-6));
}

TEST_CASE("Hinge matches max(0, 1 - s_r) + max(0, 1 + s_f) and -s_f", "[core][losses]") {
  gl::Hinge loss;
  const auto r = t64(kReal), f = t64(kFake);
  // The sample vectors hit both sides of both hinges (2 and -3 are in the flat part).
  const double d_ref = mean_of(kReal, [](double x) { return std::max(0.0, 1 - x); }) +
                       mean_of(kFake, [](double x) { return std::max(0.0, 1 + x); });
  CHECK(d_ref == Approx((0 + 2 + 0.5) / 3.0 + (0 + 1.25 + 2) / 3.0));
  CHECK(value(loss.discriminator_loss(r, f)) == Approx(d_ref).margin(1e-6));
  CHECK(value(loss.generator_loss(f)) == Approx(-mean(kFake)).margin(1e-6));
}

TEST_CASE("RelativisticAverage matches RaSGAN (Jolicoeur-Martineau 2018, sec. 4.2)",
          "[core][losses]") {
  gl::RelativisticAverage loss;
  const auto r = t64(kReal), f = t64(kFake);
  const double mr = mean(kReal), mf = mean(kFake);
  // D̃(x_r) = σ(C(x_r) - E C(x_f)), D̃(x_f) = σ(C(x_f) - E C(x_r)).
  const double d_ref = mean_of(kReal, [&](double x) { return -std::log(sigmoid(x - mf)); }) +
                       mean_of(kFake, [&](double x) { return -std::log(1 - sigmoid(x - mr)); });
  const double g_ref = mean_of(kFake, [&](double x) { return -std::log(sigmoid(x - mr)); }) +
                       mean_of(kReal, [&](double x) { return -std::log(1 - sigmoid(x - mf)); });
  CHECK(value(loss.discriminator_loss(r, f)) == Approx(d_ref).margin(1e-6));
  // generator_loss takes (fake, real); swapped arguments would give the discriminator's value.
  CHECK(value(loss.generator_loss(f, r)) == Approx(g_ref).margin(1e-6));
  CHECK(std::abs(d_ref - g_ref) > 1e-3);
}

// ---------------------------------------------------------------------------------------------
// 1b. Losses: numerical stability and gradients
// ---------------------------------------------------------------------------------------------

TEST_CASE("logistic losses take their asymptotic values at scores of +-200 in float32",
          "[core][losses][stability]") {
  auto f32 = [](std::vector<float> v) { return torch::tensor(v); };
  const auto hi = f32({200.f, 200.f}), lo = f32({-200.f, -200.f});

  gl::NonSaturating ns;
  CHECK(value(ns.discriminator_loss(hi, lo)) == Approx(0.0).margin(1e-6));
  CHECK(value(ns.discriminator_loss(lo, hi)) == Approx(400.0).epsilon(1e-6));
  CHECK(value(ns.generator_loss(lo)) == Approx(200.0).epsilon(1e-6));
  CHECK(value(ns.generator_loss(hi)) == Approx(0.0).margin(1e-6));

  gl::Minimax mm;
  CHECK(value(mm.discriminator_loss(hi, lo)) == Approx(0.0).margin(1e-6));
  CHECK(value(mm.generator_loss(lo)) == Approx(0.0).margin(1e-6));
  CHECK(value(mm.generator_loss(hi)) == Approx(-200.0).epsilon(1e-6));

  gl::RelativisticAverage ra;
  CHECK(value(ra.discriminator_loss(hi, lo)) == Approx(0.0).margin(1e-6));
  CHECK(value(ra.generator_loss(lo, hi)) == Approx(800.0).epsilon(1e-6));

  gl::Hinge hinge;
  CHECK(value(hinge.discriminator_loss(hi, lo)) == 0.0);
  CHECK(value(hinge.discriminator_loss(lo, hi)) == Approx(402.0).epsilon(1e-6));
  gl::LeastSquares ls;
  CHECK(value(ls.generator_loss(lo)) == Approx(0.5 * 201.0 * 201.0).epsilon(1e-6));
}

TEMPLATE_TEST_CASE("losses and their gradients stay finite at scores of +-200 in float32",
                   "[core][losses][stability]", gl::Minimax, gl::NonSaturating,
                   gl::LeastSquares, gl::Wasserstein, gl::Hinge, gl::RelativisticAverage) {
  TestType loss;
  auto r = torch::tensor(std::vector<float>{200.f, -200.f, 200.f}).requires_grad_(true);
  auto f = torch::tensor(std::vector<float>{-200.f, 200.f, -200.f}).requires_grad_(true);
  torch::Tensor d = loss.discriminator_loss(r, f);
  torch::Tensor g;
  if constexpr (gc::detail::has_relativistic_generator_loss<TestType>)
    g = loss.generator_loss(f, r);
  else
    g = loss.generator_loss(f);
  CHECK(std::isfinite(value(d)));
  CHECK(std::isfinite(value(g)));
  auto grads = torch::autograd::grad({d}, {r, f});
  CHECK(torch::isfinite(grads[0]).all().item<bool>());
  CHECK(torch::isfinite(grads[1]).all().item<bool>());
  auto g_grad = torch::autograd::grad({g}, {f}, {}, /*retain_graph=*/true,
                                      /*create_graph=*/false, /*allow_unused=*/true);
  REQUIRE(g_grad[0].defined());
  CHECK(torch::isfinite(g_grad[0]).all().item<bool>());
}

TEST_CASE("NonSaturating gradients equal the hand-derived -(1 - σ(f))/N", "[core][losses]") {
  gl::NonSaturating loss;
  auto f = t64(kFake).requires_grad_(true);
  loss.generator_loss(f).backward();
  const double n = static_cast<double>(kFake.size());
  for (size_t i = 0; i < kFake.size(); ++i) {
    INFO("i = " << i);
    CHECK(f.grad()[static_cast<int64_t>(i)].item<double>() ==
          Approx(-(1 - sigmoid(kFake[i])) / n).margin(1e-12));
  }

  // Discriminator side: d/dr = -(1 - σ(r))/N, d/df = σ(f)/N.
  auto r = t64(kReal).requires_grad_(true);
  auto f2 = t64(kFake).requires_grad_(true);
  loss.discriminator_loss(r, f2).backward();
  for (size_t i = 0; i < kReal.size(); ++i) {
    CHECK(r.grad()[static_cast<int64_t>(i)].item<double>() ==
          Approx(-(1 - sigmoid(kReal[i])) / n).margin(1e-12));
    CHECK(f2.grad()[static_cast<int64_t>(i)].item<double>() ==
          Approx(sigmoid(kFake[i]) / n).margin(1e-12));
  }

  // At f = -200 (float32) the generator still gets the full gradient -1/N: it does not saturate.
  auto far = torch::full({4}, -200.f).requires_grad_(true);
  loss.generator_loss(far).backward();
  CHECK(torch::allclose(far.grad(), torch::full({4}, -0.25f)));
}

// ---------------------------------------------------------------------------------------------
// 2. Penalties
// ---------------------------------------------------------------------------------------------

namespace {

/// A linear critic D(x) = x·w: its input gradient is w everywhere.
struct LinearCritic {
  torch::Tensor w = torch::tensor({0.6, -1.2, 2.0}, torch::kFloat64).requires_grad_(true);
  gc::DiscriminatorFn fn() const {
    torch::Tensor weight = w;
    return [weight](const torch::Tensor& x) { return x.matmul(weight); };
  }
  double norm() const { return w.detach().norm().item<double>(); }
};

/// D(x) = Σ x² per sample: ∇D(x) = 2x, ‖∇D(x)‖ = 2‖x‖.
const gc::DiscriminatorFn kSquareCritic = [](const torch::Tensor& x) {
  return x.square().flatten(1).sum(1);
};

torch::Tensor batch(std::vector<int64_t> shape, uint64_t seed) {
  auto gen = gc::make_generator(seed);
  return torch::randn(shape, gen, torch::TensorOptions().dtype(torch::kFloat64));
}

}  // namespace

TEST_CASE("GradientPenalty on a linear critic is λ(‖w‖ - 1)² and its gradient reaches w",
          "[core][penalties]") {
  LinearCritic critic;
  const double nw = critic.norm();
  const auto real = batch({5, 3}, 1), fake = batch({5, 3}, 2);

  for (double lambda : {10.0, 2.5}) {
    INFO("lambda = " << lambda);
    gp::GradientPenalty penalty;
    if (lambda != 10.0) penalty.weight = lambda;  // 10 is the default
    for (uint64_t seed : {7u, 8u}) {  // any interpolation gives the same value
      auto gen = gc::make_generator(seed);
      gc::ScopedTrainingGenerator scoped(gen);
      torch::Tensor p = penalty.penalty(critic.fn(), real, fake);
      CHECK(value(p) == Approx(lambda * (nw - 1) * (nw - 1)).epsilon(1e-12));
      critic.w.mutable_grad() = torch::Tensor();
      p.backward();
      REQUIRE(critic.w.grad().defined());
      torch::Tensor expected = 2 * lambda * (nw - 1) * critic.w.detach() / nw;
      CHECK(torch::allclose(critic.w.grad(), expected, 1e-10, 1e-12));
    }
  }

  gp::GradientPenalty custom_target;
  custom_target.target = 2.0;
  CHECK(value(custom_target.penalty(critic.fn(), real, fake)) ==
        Approx(10.0 * (nw - 2) * (nw - 2)).epsilon(1e-12));
}

TEST_CASE("R1 and R2 on a linear critic are γ/2·‖w‖² with gradient γ·w",
          "[core][penalties]") {
  LinearCritic critic;
  const double nw = critic.norm();
  const auto real = batch({4, 3}, 3), fake = batch({4, 3}, 4);

  gp::R1 r1;
  CHECK(value(r1.penalty(critic.fn(), real, fake)) == Approx(10.0 / 2 * nw * nw).epsilon(1e-12));
  r1.gamma = 4.0;
  torch::Tensor p1 = r1.penalty(critic.fn(), real, fake);
  CHECK(value(p1) == Approx(4.0 / 2 * nw * nw).epsilon(1e-12));
  p1.backward();
  CHECK(torch::allclose(critic.w.grad(), 4.0 * critic.w.detach(), 1e-10, 1e-12));

  critic.w.mutable_grad() = torch::Tensor();
  gp::R2 r2;
  r2.gamma = 3.0;
  torch::Tensor p2 = r2.penalty(critic.fn(), real, fake);
  CHECK(value(p2) == Approx(3.0 / 2 * nw * nw).epsilon(1e-12));
  p2.backward();
  CHECK(torch::allclose(critic.w.grad(), 3.0 * critic.w.detach(), 1e-10, 1e-12));
}

TEST_CASE("R1 penalises the real batch and R2 the fake batch", "[core][penalties]") {
  // With D = Σx², ‖∇D(x)‖² = 4‖x‖², so the two penalties see different batches.
  const auto real = batch({4, 3}, 5), fake = batch({4, 3}, 6) * 3;
  auto ref = [](const torch::Tensor& x, double gamma) {
    auto a = x.accessor<double, 2>();
    double s = 0;
    for (int64_t i = 0; i < x.size(0); ++i)
      for (int64_t j = 0; j < x.size(1); ++j) s += 4 * a[i][j] * a[i][j];
    return gamma / 2 * s / static_cast<double>(x.size(0));
  };
  gp::R1 r1{2.0};
  gp::R2 r2{2.0};
  CHECK(value(r1.penalty(kSquareCritic, real, fake)) == Approx(ref(real, 2.0)).epsilon(1e-12));
  CHECK(value(r2.penalty(kSquareCritic, real, fake)) == Approx(ref(fake, 2.0)).epsilon(1e-12));
}

TEST_CASE("GradientPenalty on a nonlinear critic matches an independent seeded computation",
          "[core][penalties]") {
  const double lambda = 10.0;
  for (std::vector<int64_t> shape : {std::vector<int64_t>{6, 3}, std::vector<int64_t>{4, 2, 3}}) {
    INFO("sample batch has " << shape.size() << " dimensions");
    const auto real = batch(shape, 11), fake = batch(shape, 12);
    const int64_t n = shape[0];

    auto gen = gc::make_generator(99);
    torch::Tensor p;
    {
      gc::ScopedTrainingGenerator scoped(gen);
      p = gp::GradientPenalty{}.penalty(kSquareCritic, real, fake);
    }
    // Replicate the draw: one α ~ U[0, 1) per sample, shaped [N, 1, ...], from the same state.
    auto copy = gc::make_generator(99);
    std::vector<int64_t> alpha_shape(shape.size(), 1);
    alpha_shape[0] = n;
    torch::Tensor alpha = torch::rand(alpha_shape, copy, torch::kFloat64).reshape({n});

    auto r = real.reshape({n, -1}), f = fake.reshape({n, -1});
    auto ra = r.accessor<double, 2>(), fa = f.accessor<double, 2>();
    auto aa = alpha.accessor<double, 1>();
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) {
      double sq = 0;
      for (int64_t j = 0; j < r.size(1); ++j) {
        const double x = aa[i] * ra[i][j] + (1 - aa[i]) * fa[i][j];
        sq += 4 * x * x;  // ‖∇Σx²‖² = ‖2x‖²
      }
      sum += (std::sqrt(sq) - 1) * (std::sqrt(sq) - 1);
    }
    const double expected = lambda * sum / static_cast<double>(n);
    CHECK(value(p) == Approx(expected).epsilon(1e-12));

    // The α must vary per sample: with α fixed at 0 or 1 the value would differ.
    auto endpoint = [&](const torch::Tensor& x) {
      return value(lambda * (2 * x.reshape({n, -1}).norm(2, 1) - 1).square().mean());
    };
    CHECK(std::abs(expected - endpoint(real)) > 1e-6);
    CHECK(std::abs(expected - endpoint(fake)) > 1e-6);

    // The penalty draws from training_generator(): the installed generator advanced.
    auto after = gc::make_generator(99);
    (void)torch::rand(alpha_shape, after, torch::kFloat64);
    CHECK(torch::equal(torch::rand({3}, gen, torch::kFloat64),
                       torch::rand({3}, after, torch::kFloat64)));
  }
}

TEST_CASE("GradientPenalty rejects real and fake batches of different shapes",
          "[core][penalties]") {
  LinearCritic critic;
  gp::GradientPenalty penalty;
  CHECK_THROWS_AS(penalty.penalty(critic.fn(), batch({4, 3}, 1), batch({5, 3}, 2)),
                  gc::ShapeError);
  CHECK_THROWS_MATCHES(penalty.penalty(critic.fn(), batch({4, 3}, 1), batch({4, 2}, 2)),
                       gc::ShapeError, WhatContains("same shape"));
}

// ---------------------------------------------------------------------------------------------
// 3. with_penalty
// ---------------------------------------------------------------------------------------------

using NsGp = gc::WithPenalty<gl::NonSaturating, gp::GradientPenalty>;
using RaGp = gc::WithPenalty<gl::RelativisticAverage, gp::GradientPenalty>;
using WGpR1 = gc::WithPenalty<gl::Wasserstein, gp::GradientPenalty, gp::R1>;
static_assert(gc::Loss<NsGp> && gc::Loss<RaGp> && gc::Loss<WGpR1>);
static_assert(std::is_same_v<decltype(gc::with_penalty(gl::Wasserstein{}, gp::GradientPenalty{},
                                                       gp::R1{})),
                             WGpR1>);
static_assert(gc::detail::has_penalty<NsGp> && !gc::detail::has_penalty<gl::NonSaturating>);
static_assert(gc::detail::has_generator_loss<NsGp> &&
              !gc::detail::has_relativistic_generator_loss<NsGp>);
static_assert(gc::detail::has_relativistic_generator_loss<RaGp> &&
              !gc::detail::has_generator_loss<RaGp>);

TEST_CASE("with_penalty forwards the score terms exactly", "[core][with_penalty]") {
  const auto r = t64(kReal), f = t64(kFake);
  auto ns = gc::with_penalty(gl::NonSaturating{}, gp::GradientPenalty{});
  CHECK(torch::equal(ns.discriminator_loss(r, f), gl::NonSaturating{}.discriminator_loss(r, f)));
  CHECK(torch::equal(ns.generator_loss(f), gl::NonSaturating{}.generator_loss(f)));
  auto ra = gc::with_penalty(gl::RelativisticAverage{}, gp::R1{});
  CHECK(torch::equal(ra.discriminator_loss(r, f),
                     gl::RelativisticAverage{}.discriminator_loss(r, f)));
  CHECK(torch::equal(ra.generator_loss(f, r), gl::RelativisticAverage{}.generator_loss(f, r)));
  CHECK(std::get<0>(ra.penalties()).gamma == 10.0);
}

TEST_CASE("with_penalty sums its penalties", "[core][with_penalty]") {
  LinearCritic critic;
  const double nw = critic.norm();
  gp::GradientPenalty gpen;
  gpen.weight = 2.0;
  gp::R1 r1;
  r1.gamma = 4.0;
  auto loss = gc::with_penalty(gl::Wasserstein{}, gpen, r1);
  const auto real = batch({4, 3}, 21), fake = batch({4, 3}, 22);
  auto gen = gc::make_generator(5);
  gc::ScopedTrainingGenerator scoped(gen);
  torch::Tensor p = loss.penalty(critic.fn(), real, fake);
  CHECK(value(p) == Approx(2.0 * (nw - 1) * (nw - 1) + 2.0 * nw * nw).epsilon(1e-12));
  p.backward();
  torch::Tensor w = critic.w.detach();
  CHECK(torch::allclose(critic.w.grad(), 2 * 2.0 * (nw - 1) * w / nw + 4.0 * w, 1e-10, 1e-12));
}
