// Conditional GANs: the concepts, the projection head and AC-GAN loss values, training that
// learns the class-conditional distributions, labelled data, exact resume, one class per grid row.
#include <gancraft/gan.hpp>

#include "../support/catch.hpp"

#include "../support/test_support.hpp"
#include "fixtures.hpp"

#include <cmath>

using namespace fixtures;
namespace fs = std::filesystem;
inline auto Contains(const std::string& text) { return ContainsText(text); }

namespace {

constexpr int64_t kClasses = 4;

/// z (4) and a learned label embedding (8) through an MLP to a 2-D point.
struct CondGenImpl : torch::nn::Module {
  torch::nn::Embedding embed{nullptr};
  torch::nn::Sequential net{nullptr};
  CondGenImpl() {
    embed = register_module("embed", torch::nn::Embedding(kClasses, 8));
    net = register_module("net", torch::nn::Sequential(torch::nn::Linear(12, 64), torch::nn::LeakyReLU(),
                                                       torch::nn::Linear(64, 64), torch::nn::LeakyReLU(),
                                                       torch::nn::Linear(64, 2)));
  }
  torch::Tensor forward(torch::Tensor z, torch::Tensor labels) { return net->forward(torch::cat({z, embed(labels)}, 1)); }
};
TORCH_MODULE(CondGen);

/// φ: an MLP to 64 features, then the projection head.
struct ProjCriticImpl : torch::nn::Module {
  torch::nn::Sequential phi{nullptr};
  gc::nn::ProjectionHead head{nullptr};
  ProjCriticImpl() {
    phi = register_module("phi", torch::nn::Sequential(torch::nn::Linear(2, 64), torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2)),
                                                       torch::nn::Linear(64, 64), torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2))));
    head = register_module("head", gc::nn::ProjectionHead(gc::nn::ProjectionHeadOptions(64, kClasses)));
  }
  torch::Tensor forward(torch::Tensor x, torch::Tensor labels) { return head(phi->forward(x), labels); }
};
TORCH_MODULE(ProjCritic);

/// An AC-GAN discriminator: [N, 1 + classes]; counts its forward passes.
struct AcCriticImpl : torch::nn::Module {
  torch::nn::Sequential net{nullptr};
  std::shared_ptr<int64_t> calls = std::make_shared<int64_t>(0);
  explicit AcCriticImpl(int64_t outputs = 1 + kClasses) {
    net = register_module("net", torch::nn::Sequential(torch::nn::Linear(2, 64), torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2)),
                                                       torch::nn::Linear(64, 64), torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2)),
                                                       torch::nn::Linear(64, outputs)));
  }
  torch::Tensor forward(torch::Tensor x) {
    ++*calls;
    return net->forward(x);
  }
};
TORCH_MODULE(AcCritic);

static_assert(gc::ConditionalGenerator<CondGen> && !gc::Generator<CondGen>);
static_assert(gc::ConditionalDiscriminator<ProjCritic> && !gc::Discriminator<ProjCritic>);
static_assert(gc::ConditionalGenerator<gc::models::ConditionalDCGANGenerator>);
static_assert(gc::ConditionalDiscriminator<gc::models::ProjectionDCGANDiscriminator>);
static_assert(gc::Discriminator<gc::models::AuxiliaryDCGANDiscriminator>);
static_assert(gc::ConditionalLoss<gc::losses::AuxiliaryClassifier<gc::losses::NonSaturating>>);
static_assert(!gc::Loss<gc::losses::AuxiliaryClassifier<gc::losses::NonSaturating>>);

const float kCenters[kClasses][2] = {{2, 0}, {0, 2}, {-2, 0}, {0, -2}};

/// 2,000 points: class k is N(center_k, 0.1²).
std::pair<torch::Tensor, torch::Tensor> clusters() {
  auto gen = gc::make_generator(77);
  torch::Tensor labels = torch::randint(kClasses, {2000}, gen, torch::kLong);
  torch::Tensor centers = torch::from_blob(const_cast<float*>(&kCenters[0][0]), {kClasses, 2}).clone();
  return {centers.index_select(0, labels) + 0.1 * torch::randn({2000, 2}, gen), labels};
}

gc::TrainerOptions cond_options(int64_t steps) {
  const auto adam = gc::OptimizerOptions::adam(1e-3).beta1(0.5);
  return gc::TrainerOptions().latent_dim(4).batch_size(64).steps(steps).seed(3).num_classes(kClasses)
      .g_optimizer(adam).d_optimizer(adam);
}

/// For every class, the samples drawn for it sit around its own center.
template <class T>
void check_learned_classes(T& trainer) {
  for (int64_t k = 0; k < kClasses; ++k) {
    INFO("class " << k);
    const torch::Tensor x = trainer.sample(torch::full({500}, k, torch::kLong));
    const torch::Tensor d = (x - torch::tensor({kCenters[k][0], kCenters[k][1]})).norm(2, 1);
    const double near = (d < 0.5).to(torch::kDouble).mean().item<double>();
    const double mean_dist = (x.mean(0) - torch::tensor({kCenters[k][0], kCenters[k][1]})).norm().item<double>();
    CHECK(near > 0.8);
    CHECK(mean_dist < 0.4);
  }
}

/// A labelled map-style dataset over tensors (as torch::data datasets yield {data, target}).
struct Labelled : torch::data::datasets::Dataset<Labelled> {
  torch::Tensor x, y;
  Labelled(torch::Tensor x_, torch::Tensor y_) : x(std::move(x_)), y(std::move(y_)) {}
  torch::data::Example<> get(size_t i) override { return {x[static_cast<int64_t>(i)], y[static_cast<int64_t>(i)]}; }
  torch::optional<size_t> size() const override { return static_cast<size_t>(x.size(0)); }
};

}  // namespace

TEST_CASE("ProjectionHead computes psi(phi) + <V_y, phi> (Miyato and Koyama 2018)", "[conditional]") {
  gc::nn::ProjectionHead head(gc::nn::ProjectionHeadOptions(3, 2));
  {
    torch::NoGradGuard no_grad;
    head->linear->weight.copy_(torch::tensor({{0.5, -1.0, 2.0}}));
    head->linear->bias.fill_(0.25);
    head->embed->weight.copy_(torch::tensor({{1.0, 0.0, -1.0}, {0.5, 0.5, 0.5}}));
  }
  const torch::Tensor phi = torch::tensor({{1.0, 2.0, 3.0}, {-1.0, 0.5, 4.0}});
  const torch::Tensor out = head(phi, torch::tensor({0, 1}, torch::kLong));
  REQUIRE(out.sizes() == c10::IntArrayRef{2});
  // Row 0: 0.5 - 2 + 6 + 0.25 = 4.75; <(1,0,-1),(1,2,3)> = -2  → 2.75.
  // Row 1: -0.5 - 0.5 + 8 + 0.25 = 7.25; <(.5,.5,.5),(-1,.5,4)> = 1.75 → 9.0.
  CHECK(out[0].item<double>() == Approx(2.75).margin(1e-6));
  CHECK(out[1].item<double>() == Approx(9.0).margin(1e-6));
  CHECK_THROWS_WITH(head(phi, torch::tensor({0}, torch::kLong)), Contains("expected labels [2]"));
  CHECK_THROWS_AS(gc::nn::ProjectionHead(gc::nn::ProjectionHeadOptions(3, 0)), gc::OptionError);
}

TEST_CASE("AuxiliaryClassifier adds the class cross-entropy to the base loss (Odena et al. 2017)", "[conditional]") {
  gc::losses::AuxiliaryClassifier loss(gc::losses::NonSaturating{}, 0.5);
  const torch::Tensor real = torch::tensor({{1.0, 2.0, 0.0, -1.0}, {-0.5, 0.0, 1.0, 0.0}}, torch::kDouble);
  const torch::Tensor fake = torch::tensor({{0.3, 0.0, 0.0, 3.0}, {-2.0, 1.0, 1.0, 1.0}}, torch::kDouble);
  const torch::Tensor yr = torch::tensor({0, 2}, torch::kLong), yf = torch::tensor({2, 1}, torch::kLong);
  auto softplus = [](double v) { return std::log1p(std::exp(v)); };
  auto ce = [](std::vector<double> logits, int y) {
    double m = 0;
    for (double v : logits) m += std::exp(v);
    return std::log(m) - logits[static_cast<size_t>(y)];
  };
  const double ce_real = (ce({2, 0, -1}, 0) + ce({0, 1, 0}, 2)) / 2;
  const double ce_fake = (ce({0, 0, 3}, 2) + ce({1, 1, 1}, 1)) / 2;
  const double d_expected = (softplus(-1.0) + softplus(0.5)) / 2 + (softplus(0.3) + softplus(-2.0)) / 2 +
                            0.5 * (ce_real + ce_fake);
  const double g_expected = (softplus(-0.3) + softplus(2.0)) / 2 + 0.5 * ce_fake;
  CHECK(loss.discriminator_loss(real, fake, yr, yf).item<double>() == Approx(d_expected).epsilon(1e-12));
  CHECK(loss.generator_loss(fake, yf).item<double>() == Approx(g_expected).epsilon(1e-12));
  CHECK(torch::equal(loss.scores(real), real.select(1, 0)));
  CHECK_THROWS_WITH(loss.scores(torch::zeros({2})), Contains("[N, 1 + num_classes]"));
  CHECK_THROWS_AS(gc::losses::AuxiliaryClassifier(gc::losses::NonSaturating{}, -1.0), gc::OptionError);
}

TEST_CASE("a projection-discriminator cGAN learns each class's cluster", "[conditional]") {
  torch::manual_seed(1);
  auto [x, y] = clusters();
  auto trainer = gc::Trainer(CondGen{}, ProjCritic{}, gc::losses::NonSaturating{}, cond_options(1500));
  trainer.fit(x, y);
  check_learned_classes(trainer);
}

TEST_CASE("an AC-GAN learns each class's cluster", "[conditional]") {
  torch::manual_seed(1);
  auto [x, y] = clusters();
  auto trainer = gc::Trainer(CondGen{}, AcCritic{}, gc::losses::AuxiliaryClassifier(gc::losses::NonSaturating{}),
                             cond_options(1500));
  trainer.fit(x, y);
  check_learned_classes(trainer);
}

TEST_CASE("a labelled dataset trains exactly as the same tensors and labels", "[conditional]") {
  auto [x, y] = clusters();
  torch::manual_seed(2);
  auto a = gc::Trainer(CondGen{}, ProjCritic{}, gc::losses::Hinge{}, cond_options(40));
  a.fit(x, y);
  torch::manual_seed(2);
  auto b = gc::Trainer(CondGen{}, ProjCritic{}, gc::losses::Hinge{}, cond_options(40));
  torch::randn({7});  // fake labels and noise come from the trainer's stream, not the global one
  b.fit(Labelled(x, y));
  CHECK(identical(state_of(*a.generator()), state_of(*b.generator())));
  CHECK(identical(state_of(*a.discriminator()), state_of(*b.discriminator())));
  // A dataset whose labels leave [0, num_classes) is refused, naming the sample.
  auto c = gc::Trainer(CondGen{}, ProjCritic{}, gc::losses::Hinge{}, cond_options(5));
  CHECK_THROWS_WITH(c.fit(Labelled(x, y + 1)), Contains("outside [0, 4)"));
}

TEST_CASE("a conditional run stopped and resumed equals the uninterrupted run", "[conditional]") {
  const fs::path root = gc::test::fresh_dir("conditional_resume");
  auto [x, y] = clusters();
  auto make = [&](int64_t steps, int seed) {
    torch::manual_seed(seed);
    return gc::Trainer(CondGen{}, ProjCritic{}, gc::losses::NonSaturating{},
                       cond_options(steps));
  };
  auto whole = make(60, 4);
  whole.fit(x, y);
  {
    auto first = make(25, 4);
    first.add_hook(gc::hooks::Checkpointer(root, gc::hooks::CheckpointerOptions().every(1000)));
    first.fit(x, y);
  }
  auto second = make(60, 99);
  CHECK(second.resume(root).step == 25);
  second.fit(x, y);
  CHECK(identical(state_of(*whole.generator()), state_of(*second.generator())));
  CHECK(identical(state_of(*whole.discriminator()), state_of(*second.discriminator())));
  const torch::Tensor labels = torch::tensor({3, 0, 1}, torch::kLong);
  CHECK(torch::equal(whole.sample(labels), second.sample(labels)));
}

TEST_CASE("conditional GANs refuse missing, mismatched and out-of-range labels by name", "[conditional]") {
  auto [x, y] = clusters();
  auto t = gc::Trainer(CondGen{}, ProjCritic{}, gc::losses::NonSaturating{}, cond_options(5));
  CHECK_THROWS_WITH(t.fit(x), Contains("fit(real, labels)"));
  CHECK_THROWS_WITH(t.fit(x, y.narrow(0, 0, 10)), Contains("one label per sample"));
  CHECK_THROWS_WITH(t.fit(x, y * 2), Contains("labels range over [0, 6] but must lie in [0, 4)"));
  CHECK_THROWS_WITH(t.fit(x, y.to(torch::kFloat)), Contains("labels must be integers"));
  CHECK_THROWS_WITH(t.sample(torch::tensor({4}, torch::kLong)), Contains("must lie in [0, 4)"));
  CHECK_THROWS_WITH(gc::Trainer(CondGen{}, ProjCritic{}, gc::losses::NonSaturating{}, cond_options(5).num_classes(0)),
                    Contains("set TrainerOptions::num_classes"));
  CHECK_THROWS_WITH(gc::Trainer(BnGen{}, Critic{}, gc::losses::NonSaturating{}, small(5).num_classes(3)),
                    Contains("not conditional"));
  CHECK_THROWS_WITH(gc::Trainer(CondGen{}, AcCritic(3), gc::losses::AuxiliaryClassifier(gc::losses::NonSaturating{}),
                                cond_options(5)),
                    Contains("needs [N, 1 + 4]"));
  auto u = gc::Trainer(BnGen{}, Critic{}, gc::losses::NonSaturating{}, small(5));
  CHECK_THROWS_WITH(u.fit(ring_data(), torch::zeros({512}, torch::kLong)), Contains("not conditional"));
}

namespace {
/// Images [1, 4, 4] filled with a grey level that names the label: 2·y/(C−1) − 1.
struct LabelPainterImpl : torch::nn::Module {
  torch::Tensor w = register_parameter("w", torch::zeros({1}));
  torch::Tensor forward(torch::Tensor z, torch::Tensor labels) {
    const torch::Tensor level = labels.to(torch::kFloat) * (2.0 / (kClasses - 1)) - 1.0;
    return (level + 0 * z.sum(1) + w).view({-1, 1, 1, 1}).expand({z.size(0), 1, 4, 4}).contiguous();
  }
};
TORCH_MODULE(LabelPainter);

struct ImageCriticImpl : torch::nn::Module {
  torch::nn::Linear fc{register_module("fc", torch::nn::Linear(16, 1))};
  torch::Tensor forward(torch::Tensor x, torch::Tensor) { return fc(x.flatten(1)); }
};
TORCH_MODULE(ImageCritic);
}  // namespace

TEST_CASE("SampleGrid shows one class per row for a conditional GAN", "[conditional]") {
  const fs::path dir = gc::test::fresh_dir("conditional_grid");
  auto t = gc::Trainer(LabelPainter{}, ImageCritic{}, gc::losses::NonSaturating{},
                       gc::TrainerOptions().latent_dim(2).batch_size(4).steps(1).num_classes(kClasses));
  t.add_hook(gc::hooks::SampleGrid(dir, gc::hooks::SampleGridOptions().count(30).nrow(5).every(1)));
  t.fit(torch::zeros({8, 1, 4, 4}), torch::zeros({8}, torch::kLong));
  const torch::Tensor grid = gc::io::read_png(dir / "step-000001.png");  // uint8 [H, W, 1]
  REQUIRE(grid.size(0) == 6 * (4 + 2) + 2);  // 30 images, 5 per row: 6 rows
  for (int64_t row = 0; row < 6; ++row)
    for (int64_t col = 0; col < 5; ++col) {
      const int64_t cls = row % kClasses;
      const int expected = static_cast<int>(std::lround((2.0 * cls / (kClasses - 1)) * 127.5));
      INFO("row " << row << " col " << col);
      CHECK(grid[2 + row * 6 + 1][2 + col * 6 + 1][0].item<int>() == expected);
    }
}

TEST_CASE("ConditionalDCGAN models: shapes, one-hot conditioning and the AC-GAN output", "[conditional]") {
  using namespace gc::models;
  torch::manual_seed(0);
  ConditionalDCGANGenerator g(ConditionalDCGANGeneratorOptions(DCGANGeneratorOptions(28).base_width(8).latent_dim(16), 10));
  ProjectionDCGANDiscriminator p(ConditionalDCGANDiscriminatorOptions(DCGANDiscriminatorOptions(28).base_width(8), 10));
  AuxiliaryDCGANDiscriminator a(ConditionalDCGANDiscriminatorOptions(DCGANDiscriminatorOptions(28).base_width(8), 10));
  g->eval();
  const torch::Tensor z = torch::randn({3, 16});
  const torch::Tensor x = g(z, torch::tensor({0, 5, 9}, torch::kLong));
  CHECK(x.sizes() == c10::IntArrayRef{3, 1, 28, 28});
  // The label changes the image (through the one-hot input), the same label reproduces it.
  CHECK_FALSE(torch::allclose(g(z, torch::tensor({1, 5, 9}, torch::kLong))[0], x[0]));
  CHECK(torch::equal(g(z, torch::tensor({0, 5, 9}, torch::kLong)), x));
  CHECK(p(x, torch::tensor({0, 1, 2}, torch::kLong)).sizes() == c10::IntArrayRef{3});
  CHECK(a(x).sizes() == c10::IntArrayRef{3, 11});
  CHECK_THROWS_WITH(g(z, torch::tensor({0, 1}, torch::kLong)), Contains("expected int64 labels [3]"));
  CHECK_THROWS_WITH(p(torch::zeros({3, 1, 32, 32}), torch::tensor({0, 1, 2}, torch::kLong)),
                    Contains("expected images of shape [N, 1, 28, 28]"));
}

TEST_CASE("conditional training: accumulation chunks labels with their samples, AC-GAN's G step reads no real batch", "[conditional]") {
  auto [x, y] = clusters();
  torch::manual_seed(5);
  auto one = gc::Trainer(CondGen{}, ProjCritic{}, gc::losses::NonSaturating{}, cond_options(10));
  one.fit(x, y);
  torch::manual_seed(5);
  auto two = gc::Trainer(CondGen{}, ProjCritic{}, gc::losses::NonSaturating{}, cond_options(10).accumulation(4));
  two.fit(x, y);
  // The same updates up to summation order (no BatchNorm here).
  const auto a = state_of(*one.generator()), b = state_of(*two.generator());
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) CHECK(torch::allclose(a[i], b[i], 1e-4, 1e-5));

  AcCritic d;
  auto calls = d->calls;
  auto ac = gc::Trainer(CondGen{}, d, gc::losses::AuxiliaryClassifier(gc::losses::NonSaturating{}), cond_options(7));
  const int64_t after_probe = *calls;
  ac.fit(x, y);
  CHECK(*calls - after_probe == 7 * 3);  // per step: D on reals and fakes, G's fakes; nothing more
}

TEST_CASE("conditional GANs with penalties and relativistic losses", "[conditional]") {
  auto [x, y] = clusters();
  const torch::Tensor xb = x.narrow(0, 0, 64), yb = y.narrow(0, 0, 64).to(torch::kInt);  // int32 accepted
  // R1 = γ/2 · mean over the real batch of ‖∇ₓ D(x, y)‖², computed here by hand with autograd
  // on the critic's weights before the step, with the real batch's labels.
  auto r1_by_hand = [](auto& critic, const torch::Tensor& x, auto scores, double gamma) {
    const torch::Tensor xr = x.detach().clone().requires_grad_(true);
    const torch::Tensor grad = torch::autograd::grad({scores(critic, xr).sum()}, {xr})[0];
    return 0.5 * gamma * grad.square().sum(1).mean().item<double>();
  };
  auto projected = gc::Trainer(CondGen{}, ProjCritic{},
                               gc::with_penalty(gc::losses::NonSaturating{}, gc::penalties::R1{2.0}), cond_options(1));
  const double proj_expected = r1_by_hand(
      projected.discriminator(), xb,
      [&](auto& d, const torch::Tensor& x) { return d->forward(x, yb.to(torch::kLong)).reshape({-1}); }, 2.0);
  // With other labels the projection critic's gradient differs (same weights, before the
  // step): matching the value above shows the penalty saw the real batch's labels.
  const double other_labels = r1_by_hand(
      projected.discriminator(), xb,
      [&](auto& d, const torch::Tensor& x) { return d->forward(x, (yb.to(torch::kLong) + 1).remainder(kClasses)).reshape({-1}); }, 2.0);
  CHECK(std::abs(other_labels - proj_expected) > 1e-6);
  auto r = projected.discriminator_step(xb, yb);
  REQUIRE(r.penalty.defined());
  CHECK(proj_expected > 1e-4);
  CHECK(r.penalty.item<double>() == Approx(proj_expected).epsilon(1e-5));
  auto relativistic = gc::Trainer(CondGen{}, ProjCritic{}, gc::losses::RelativisticAverage{}, cond_options(1));
  relativistic.discriminator_step(xb, yb);
  CHECK(std::isfinite(relativistic.generator_step().item<double>()));
  auto ac = gc::Trainer(CondGen{}, AcCritic{},
                        gc::losses::AuxiliaryClassifier(gc::with_penalty(gc::losses::Hinge{}, gc::penalties::R1{1.0})),
                        cond_options(1));
  // AC-GAN: R1 of the adversarial logit (column 0) alone.
  const double ac_expected = r1_by_hand(
      ac.discriminator(), xb, [](auto& d, const torch::Tensor& x) { return d->forward(x).select(1, 0); }, 1.0);
  r = ac.discriminator_step(xb, yb);
  REQUIRE(r.penalty.defined());
  CHECK(ac_expected > 1e-4);
  CHECK(r.penalty.item<double>() == Approx(ac_expected).epsilon(1e-5));
  CHECK(r.real_scores.sizes() == c10::IntArrayRef{64});
}

TEST_CASE("sample(labels): integer labels of any width, and a refused call leaves the stream alone", "[conditional]") {
  auto make = [] {
    torch::manual_seed(8);
    return gc::Trainer(CondGen{}, ProjCritic{}, gc::losses::NonSaturating{}, cond_options(1));
  };
  auto a = make(), b = make();
  CHECK_THROWS_WITH(a.sample(torch::tensor({0, 9}, torch::kLong)), Contains("must lie in [0, 4)"));
  CHECK_THROWS_WITH(a.sample(torch::tensor({0.5})), Contains("labels must be integers"));
  const torch::Tensor labels = torch::tensor({2, 0, 3}, torch::kLong);
  CHECK(torch::equal(a.sample(labels.to(torch::kInt)), b.sample(labels)));
}
