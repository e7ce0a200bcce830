// Tests for the translation models (gancraft/models/pix2pix.hpp, super_resolution.hpp) and their
// networks (U-Net, PatchGAN, SRResNet): shapes and errors, the losses of one step against
// values computed here from the networks' weights, training that learns a small mapping, the
// translating view, and exact resume through ModelTrainer.
#include <gancraft/gan.hpp>

#include "../support/catch.hpp"

#include "../support/test_support.hpp"
#include "../training/fixtures.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace fs = std::filesystem;
namespace gc = gancraft;
using namespace gancraft::models;

namespace {

using fixtures::identical;
/// Parameters, then buffers (tests/training/fixtures.hpp).
const auto params_of = fixtures::state_of;

/// Copies `from`'s parameters and buffers into `to` (same architecture).
void copy_weights(torch::nn::Module& from, torch::nn::Module& to) {
  torch::NoGradGuard no_grad;
  auto a = from.parameters(), b = to.parameters();
  for (size_t i = 0; i < a.size(); ++i) b[i].copy_(a[i]);
}

/// Smooth random images in [-1, 1]: blurred noise, so that edges and downsampling mean something.
torch::Tensor smooth_images(int64_t n, int64_t size, uint64_t seed) {
  at::Generator gen = gc::make_generator(seed);
  torch::Tensor x = torch::randn({n, 1, size / 4, size / 4}, gen);
  namespace F = torch::nn::functional;
  x = F::interpolate(x, F::InterpolateFuncOptions().size(std::vector<int64_t>{size, size}).mode(torch::kBilinear).align_corners(false));
  return torch::tanh(2 * x);
}

/// Records every report's losses.
struct Record {
  std::vector<gc::StepReport>* out;
  void on_step_end(const gc::StepReport& r) { out->push_back(r); }
};

std::vector<torch::Tensor> everything(gc::TrainingContext& ctx) {
  std::vector<torch::Tensor> out;
  for (const auto& n : ctx.networks()) {
    for (auto& t : params_of(*n.module)) out.push_back(t);
    if (n.optimizer)
      for (auto& [name, t] : gc::io::portable_state(*n.optimizer).tensors) out.push_back(t.clone());
  }
  return out;
}

}  // namespace

namespace {

/// A `ModelStep` of the test's own: hands out given noise in order and, at `update(name)`,
/// records the network's gradients without changing its weights, so a step's gradients can be
/// compared with autograd on losses written out in the test.
class RecordingStep final : public gc::ModelStep {
 public:
  RecordingStep(std::map<std::string, torch::nn::Module*> nets, std::vector<torch::Tensor> noise,
                gc::BatchShard shard = {0, 1})
      : nets_(std::move(nets)), noise_(std::move(noise)), shard_(shard) {}
  gc::TrainingContext& context() override { throw std::logic_error("not in this test"); }
  torch::data::Example<> next_batch() override { throw std::logic_error("not in this test"); }
  torch::Tensor noise(int64_t n, c10::IntArrayRef dim) override {
    REQUIRE(next_ < noise_.size());
    REQUIRE(noise_[next_].size(0) == n);
    REQUIRE(noise_[next_].size(1) == dim[0]);
    return noise_[next_++];
  }
  void zero_grad(const std::string& name) override { nets_.at(name)->zero_grad(true); }
  void update(const std::string& name) override {
    std::vector<torch::Tensor> g;
    for (auto& p : nets_.at(name)->parameters()) g.push_back(p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
    grads[name] = g;
  }
  gc::BatchShard shard() const override { return shard_; }
  std::map<std::string, std::vector<torch::Tensor>> grads;

 private:
  std::map<std::string, torch::nn::Module*> nets_;
  std::vector<torch::Tensor> noise_;
  gc::BatchShard shard_;
  size_t next_ = 0;
};

std::vector<torch::Tensor> grads_of(const torch::Tensor& loss, torch::nn::Module& m) {
  const auto params = m.parameters();
  auto g = torch::autograd::grad({loss}, params, {}, /*retain_graph=*/true, false, /*allow_unused=*/true);
  for (size_t i = 0; i < g.size(); ++i)
    if (!g[i].defined()) g[i] = torch::zeros_like(params[i]);
  return g;
}

double worst_relative(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  REQUIRE(a.size() == b.size());
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    num = std::max(num, (a[i] - b[i]).abs().max().item<double>());
    den = std::max(den, b[i].abs().max().item<double>());
  }
  return num / den;
}

}  // namespace

TEST_CASE("the U-Net, PatchGAN and SRResNet map the shapes they promise and name a bad one", "[models][translation]") {
  torch::manual_seed(0);
  UNetGenerator unet(UNetGeneratorOptions(1, 3).width(8).levels(2));
  const torch::Tensor y = unet->forward(torch::randn({2, 1, 28, 20}));
  CHECK(y.sizes() == torch::IntArrayRef({2, 3, 28, 20}));
  CHECK(y.abs().max().item<float>() <= 1.0f);
  CHECK_THROWS_AS(unet->forward(torch::randn({2, 1, 30, 28})), gc::ShapeError);  // 30 is not divisible by 4
  CHECK_THROWS_WITH(unet->forward(torch::randn({2, 2, 28, 28})), ContainsText("UNetGenerator") &&
                                                                     ContainsText("[2, 2, 28, 28]"));
  CHECK_THROWS_AS(UNetGenerator(UNetGeneratorOptions(1, 1).levels(0)), gc::OptionError);

  PatchDiscriminator d(PatchDiscriminatorOptions(2).width(8).levels(2));
  CHECK(d->forward(torch::randn({3, 2, 28, 28})).sizes() == torch::IntArrayRef({3, 1, 7, 7}));
  CHECK(d->features(torch::randn({3, 2, 28, 28})).sizes() == torch::IntArrayRef({3, 16, 7, 7}));
  CHECK_THROWS_WITH(d->forward(torch::randn({3, 1, 28, 28})), ContainsText("PatchDiscriminator"));

  SRResNet sr(SRResNetOptions(1).width(8).blocks(2).scale(4));
  CHECK(sr->forward(torch::randn({2, 1, 7, 7})).sizes() == torch::IntArrayRef({2, 1, 28, 28}));
  CHECK_THROWS_AS(SRResNet(SRResNetOptions(1).scale(3)), gc::OptionError);
  CHECK_THROWS_WITH(sr->forward(torch::randn({2, 3, 7, 7})), ContainsText("SRResNet"));
}

TEST_CASE("the U-Net's skip connections carry the source's detail to the output", "[models][translation]") {
  // With the deep path cut (the first stride-2 convolution's weights zeroed, so everything below
  // it is constant in the input), the output still depends on the input: only through the
  // full-resolution skip. Without that skip this gradient would be exactly zero.
  torch::manual_seed(1);
  UNetGenerator unet(UNetGeneratorOptions(1, 1).width(4).levels(1));
  {
    torch::NoGradGuard no_grad;
    unet->named_parameters()["down.0.0.weight"].zero_();
  }
  torch::Tensor x = torch::randn({1, 1, 8, 8}).requires_grad_(true);
  unet->forward(x).index({0, 0, 3, 5}).backward();
  CHECK(x.grad().abs().sum().item<float>() > 1e-4f);
  // And the cut is real: with the skip's source (the stem) zeroed too, nothing reaches the input.
  {
    torch::NoGradGuard no_grad;
    unet->named_parameters()["stem.weight"].zero_();
  }
  torch::Tensor y = torch::randn({1, 1, 8, 8}).requires_grad_(true);
  unet->forward(y).index({0, 0, 3, 5}).backward();
  CHECK(y.grad().abs().sum().item<float>() == 0.0f);
}

TEST_CASE("pix2pix's step: the discriminator's loss on pairs, then the generator's lambda L1 plus adversarial term", "[models][translation]") {
  torch::manual_seed(2);
  const torch::Tensor target = smooth_images(8, 16, 3);
  const torch::Tensor source = gc::data::sobel_edges(target);
  auto options = Pix2PixOptions(1, 1).generator_width(4).discriminator_width(4).l1_weight(10);
  Pix2Pix<> model(options);
  // The weights before the step, kept in independent copies.
  UNetGenerator g0(UNetGeneratorOptions(1, 1).width(4).levels(2));
  PatchDiscriminator d0(PatchDiscriminatorOptions(2).width(4).levels(2));
  copy_weights(*model.generator, *g0);
  copy_weights(*model.discriminator, *d0);

  std::vector<gc::StepReport> reports;
  gc::ModelTrainer trainer(model, gc::TrainerOptions().batch_size(8).steps(1).seed(4).threads(1));
  trainer.add_hook(Record{&reports});
  trainer.fit(source, target);
  REQUIRE(reports.size() == 1);
  const auto& r = reports[0];

  // Every sample is in the one batch, and each is normalised on its own: the loss is
  // independent of the batch's order.
  const torch::Tensor fake = g0->forward(source).detach();
  const auto softplus = [](const torch::Tensor& t) { return torch::log1p(torch::exp(t)); };
  const double d_expected = (softplus(-d0->forward(torch::cat({source, target}, 1))).mean() +
                             softplus(d0->forward(torch::cat({source, fake}, 1))).mean())
                                .item<double>();
  CHECK(*r.d_loss == Approx(d_expected).epsilon(1e-5));
  const double l1 = (fake - target).abs().mean().item<double>();
  CHECK(r.scalars.at("l1") == Approx(l1).epsilon(1e-5));
  // The generator is judged by the discriminator after its update.
  auto& d1 = trainer.model().discriminator;
  const double adv = softplus(-d1->forward(torch::cat({source, fake}, 1))).mean().item<double>();
  CHECK(r.scalars.at("g_adversarial") == Approx(adv).epsilon(1e-5));
  CHECK(*r.g_loss == Approx(10 * l1 + adv).epsilon(1e-5));
  CHECK_FALSE(identical(params_of(*d1), params_of(*d0)));  // both networks moved
  CHECK_FALSE(identical(params_of(*trainer.model().generator), params_of(*g0)));
}

TEST_CASE("pix2pix without its adversarial term is the U-Net on L1 alone: no discriminator is built or saved", "[models][translation][checkpoint]") {
  const fs::path dir = gc::test::fresh_dir("pix2pix_l1");
  torch::manual_seed(5);
  Pix2Pix<> model(Pix2PixOptions(1, 1).generator_width(4).adversarial_weight(0));
  CHECK_FALSE(model.adversarial());
  CHECK_FALSE(model.discriminator);
  std::vector<gc::StepReport> reports;
  gc::ModelTrainer trainer(model, gc::TrainerOptions().batch_size(4).steps(2).seed(4).threads(1));
  trainer.add_hook(Record{&reports});
  trainer.add_hook(gc::hooks::Checkpointer(dir));
  const torch::Tensor target = smooth_images(4, 8, 6);
  trainer.fit(-target, target);
  REQUIRE(reports.size() == 2);
  CHECK_FALSE(reports[0].d_loss.has_value());
  CHECK(reports[0].scalars.count("g_adversarial") == 0);
  CHECK(*reports[0].g_loss == Approx(100 * reports[0].scalars.at("l1")).epsilon(1e-6));
  CHECK(fs::exists(dir / "step-000002" / "generator.pt"));
  CHECK_FALSE(fs::exists(dir / "step-000002" / "discriminator.pt"));
  CHECK_THROWS_AS(Pix2Pix<>(Pix2PixOptions(1, 1).l1_weight(0).adversarial_weight(0)), gc::OptionError);
}

TEST_CASE("pix2pix learns a small mapping: L1 to the target falls ten-fold", "[models][translation]") {
  // Source: the image negated; a U-Net with skips learns it quickly.
  torch::manual_seed(7);
  const torch::Tensor target = smooth_images(32, 16, 8);
  Pix2Pix<> model(Pix2PixOptions(1, 1).generator_width(8).discriminator_width(8).generator_optimizer(
      gc::OptimizerOptions::adam(2e-3, 0.5, 0.999)));
  gc::ModelTrainer trainer(model, gc::TrainerOptions().batch_size(16).steps(150).seed(1).threads(1));
  const double before = (trainer.translate(-target) - target).abs().mean().item<double>();
  trainer.fit(-target, target);
  const double after = (trainer.translate(-target) - target).abs().mean().item<double>();
  INFO("L1 before " << before << ", after " << after);
  CHECK(after < before / 10);
}

TEST_CASE("pix2pix and SR-GAN accept any gancraft loss with penalties", "[models][translation]") {
  torch::manual_seed(9);
  const torch::Tensor high = smooth_images(4, 16, 10);
  const torch::Tensor low = gc::data::downsample(high, 2);
  auto loss = gc::with_penalty(gc::losses::Hinge{}, gc::penalties::R1{2.0});
  SuperResolutionGAN<decltype(loss)> model(
      SuperResolutionOptions(1).generator_width(4).generator_blocks(1).discriminator_width(4), loss);
  RecordingStep step({{"generator", model.generator.ptr().get()}, {"discriminator", model.discriminator.ptr().get()}}, {});
  const gc::StepLosses out = model.train_step(step, {low, high});
  // Hinge on every patch score, plus R1 (γ/2)·E‖∇ₓ mean-over-patches D(x)‖² on the reals.
  auto& d = model.discriminator;
  const torch::Tensor fake = model.generator->forward(low).detach();
  const torch::Tensor hinge = torch::relu(1 - d->forward(high)).mean() + torch::relu(1 + d->forward(fake)).mean();
  torch::Tensor x = high.clone().requires_grad_(true);
  const torch::Tensor g = torch::autograd::grad({d->forward(x).flatten(1).mean(1).sum()}, {x})[0];
  const torch::Tensor r1 = 0.5 * 2.0 * g.pow(2).flatten(1).sum(1).mean();
  INFO("hinge " << hinge.item<double>() << ", R1 " << r1.item<double>());
  CHECK(r1.item<double>() > 1e-6);
  CHECK(out.d_loss.item<double>() == Approx((hinge + r1).item<double>()).epsilon(1e-5));
  // The relativistic loss's generator term sees the real pairs' scores: it changes with the targets.
  Pix2Pix<gc::losses::RelativisticAverage> rel(Pix2PixOptions(1, 1).generator_width(4).discriminator_width(4));
  RecordingStep rel_step({{"generator", rel.generator.ptr().get()}, {"discriminator", rel.discriminator.ptr().get()}}, {});
  const torch::Tensor src = gc::data::sobel_edges(high);
  const gc::StepLosses r = rel.train_step(rel_step, {src, high});
  const torch::Tensor out_img = rel.generator->forward(src).detach();
  auto score = [&](const torch::Tensor& y) { return rel.discriminator->forward(torch::cat({src, y}, 1)).flatten(); };
  const double want = gc::losses::RelativisticAverage{}.generator_loss(score(out_img), score(high)).item<double>();
  const double if_other_reals = gc::losses::RelativisticAverage{}.generator_loss(score(out_img), score(-high)).item<double>();
  CHECK(r.scalars.at("g_adversarial").item<double>() == Approx(want).epsilon(1e-5));
  CHECK(std::abs(want - if_other_reals) > 1e-4);
}

TEST_CASE("SR-GAN's generator loss: pixel L1, content in the discriminator's features, adversarial term", "[models][translation]") {
  torch::manual_seed(11);
  const torch::Tensor high = smooth_images(6, 16, 12);
  const torch::Tensor low = gc::data::downsample(high, 2);
  auto options = SuperResolutionOptions(1).generator_width(4).generator_blocks(1).discriminator_width(4).pixel_weight(2)
                     .content_weight(3).adversarial_weight(0.5);
  SuperResolutionGAN<> model(options);
  SRResNet g0(SRResNetOptions(1).width(4).blocks(1));
  copy_weights(*model.generator, *g0);
  std::vector<gc::StepReport> reports;
  gc::ModelTrainer trainer(model, gc::TrainerOptions().batch_size(6).steps(1).seed(4).threads(1));
  trainer.add_hook(Record{&reports});
  trainer.fit(low, high);
  const auto& r = reports.at(0);
  const torch::Tensor fake = g0->forward(low).detach();
  auto& d1 = trainer.model().discriminator;  // after its update, as the generator sees it
  const double pixel = (fake - high).abs().mean().item<double>();
  const double content = (d1->features(fake) - d1->features(high)).pow(2).mean().item<double>();
  const double adv = torch::log1p(torch::exp(-d1->forward(fake))).mean().item<double>();
  CHECK(r.scalars.at("pixel") == Approx(pixel).epsilon(1e-5));
  CHECK(r.scalars.at("content") == Approx(content).epsilon(1e-4));
  CHECK(r.scalars.at("g_adversarial") == Approx(adv).epsilon(1e-5));
  CHECK(*r.g_loss == Approx(2 * pixel + 3 * content + 0.5 * adv).epsilon(1e-5));
  CHECK_THROWS_WITH(SuperResolutionGAN<>(SuperResolutionOptions(1).adversarial_weight(0)),
                    ContainsText("content loss"));
  gc::ModelTrainer unpaired(SuperResolutionGAN<>(options), gc::TrainerOptions().batch_size(6).steps(1).threads(1));
  CHECK_THROWS_WITH(unpaired.fit(low, low), ContainsText("SuperResolutionGAN") && ContainsText("[6, 1, 8, 8]"));
}

TEST_CASE("translate is the model's translating view: batched, without a graph, training state untouched", "[models][translation]") {
  torch::manual_seed(13);
  const torch::Tensor high = smooth_images(10, 16, 14);
  const torch::Tensor low = gc::data::downsample(high, 2);
  gc::ModelTrainer trainer(SuperResolutionGAN<>(SuperResolutionOptions(1).generator_width(4).generator_blocks(1).discriminator_width(4)),
                           gc::TrainerOptions().batch_size(5).steps(2).seed(4).threads(1));
  trainer.fit(low, high);
  const auto before = everything(trainer);
  const torch::Tensor whole = trainer.translate(low);
  const torch::Tensor in_threes = trainer.translate(low, 3);
  CHECK(whole.sizes() == high.sizes());
  CHECK_FALSE(whole.requires_grad());
  CHECK(torch::allclose(whole, in_threes, 1e-6, 1e-6));
  CHECK(torch::allclose(whole, trainer.model().generator->forward(low), 1e-6, 1e-6));
  CHECK(identical(everything(trainer), before));
  CHECK(trainer.model().generator->is_training());
}

TEST_CASE("SampleGrid and Evaluate given sources show and score the translating view", "[models][translation][hooks]") {
  torch::manual_seed(21);
  const torch::Tensor high = smooth_images(12, 16, 22);
  const torch::Tensor low = gc::data::downsample(high, 2);
  const fs::path dir = gc::test::fresh_dir("translation_views");
  gc::ModelTrainer trainer(SuperResolutionGAN<>(SuperResolutionOptions(1).generator_width(4).generator_blocks(1).discriminator_width(4)),
                           gc::TrainerOptions().batch_size(6).steps(3).seed(5).threads(1));
  // Features: a fixed linear map of the pixels, so the expected FD is computed here independently.
  const torch::Tensor projection = torch::randn({16 * 16, 4});
  const gc::metrics::FeatureExtractor features = [projection](const torch::Tensor& x) {
    return x.flatten(1).to(torch::kFloat).matmul(projection);
  };
  const torch::Tensor real = torch::randn({40, 4}, torch::kDouble);
  trainer.add_hook(gc::hooks::SampleGrid(dir / "grids", gc::hooks::SampleGridOptions().every(3).nrow(2).sources(low.narrow(0, 0, 4)).targets(high.narrow(0, 0, 4))));
  trainer.add_hook(gc::hooks::SampleGrid(dir / "pairs", gc::hooks::SampleGridOptions().every(3).nrow(2).sources(low.narrow(0, 0, 4))));
  auto& eval = trainer.add_hook(gc::hooks::Evaluate(dir / "eval.jsonl", features, real,
                                                    gc::hooks::EvaluateOptions().every(3).batch_size(5).sources(low)));
  trainer.fit(low, high);
  REQUIRE(trainer.step() == 3);

  const torch::Tensor out = trainer.translate(low);
  // The grid: source (enlarged) | output | target, two triples per row, as written out here.
  const torch::Tensor expected = gc::io::make_grid(
      torch::stack({low.narrow(0, 0, 4).repeat_interleave(2, 2).repeat_interleave(2, 3), out.narrow(0, 0, 4), high.narrow(0, 0, 4)}, 1)
          .flatten(0, 1), 6);
  const torch::Tensor grid = gc::io::read_png(dir / "grids" / "step-000003.png");
  CHECK(grid.sizes() == expected.sizes());
  CHECK(torch::equal(grid, expected));
  // Without targets: source | output.
  const torch::Tensor pairs = gc::io::read_png(dir / "pairs" / "step-000003.png");
  CHECK(torch::equal(pairs, gc::io::make_grid(torch::stack({low.narrow(0, 0, 4).repeat_interleave(2, 2).repeat_interleave(2, 3),
                                                            out.narrow(0, 0, 4)}, 1).flatten(0, 1), 4)));
  // Evaluate scored all 12 translations (in batches of 5), not generated samples.
  REQUIRE(eval.history().size() == 1);  // step 3, which is also the end
  CHECK(eval.history().back().step == 3);
  const double fd = gc::metrics::frechet_distance(features(out).to(torch::kDouble), real);
  CHECK(eval.history().back().values.at("fd") == Approx(fd).epsilon(1e-9));

  // Bad sources are refused when the hook is made, naming the option.
  CHECK_THROWS_WITH(gc::hooks::SampleGrid(dir, gc::hooks::SampleGridOptions().targets(high)), ContainsText("without sources"));
  CHECK_THROWS_WITH(gc::hooks::SampleGrid(dir, gc::hooks::SampleGridOptions().sources(low).targets(high.narrow(0, 0, 3))),
                    ContainsText("one target"));
  CHECK_THROWS_AS(gc::hooks::SampleGrid(dir, gc::hooks::SampleGridOptions().sources(low.flatten(1))), gc::ShapeError);
}

TEST_CASE("pix2pix and SR-GAN stopped and resumed equal the uninterrupted run, bit for bit", "[models][translation][checkpoint]") {
  const torch::Tensor high = smooth_images(24, 16, 15);
  const torch::Tensor low = gc::data::downsample(high, 2);
  const torch::Tensor edges = gc::data::sobel_edges(high);
  auto check_resume = [&](auto make, const torch::Tensor& source, const std::string& name) {
    const fs::path dir = gc::test::fresh_dir("translation_resume_" + name);
    auto straight = make(12, 1);
    straight.fit(source, high);
    {
      auto first = make(12, 1);
      first.add_hook(gc::hooks::Checkpointer(dir, gc::hooks::CheckpointerOptions().every(7)));
      struct StopAt {
        bool on_step_end(const gc::StepReport& r) { return r.step == 7; }
      };
      first.add_hook(StopAt{});
      first.fit(source, high);
      REQUIRE(first.step() == 7);
    }
    CHECK(fs::exists(dir / "step-000007" / "discriminator_optimizer.pt"));
    auto resumed = make(12, 2);  // other initial weights: the checkpoint replaces them
    CHECK(resumed.resume(dir).step == 7);
    resumed.fit(source, high);
    CHECK(identical(everything(resumed), everything(straight)));
    auto other = make(12, 2);  // and the comparison can fail
    other.fit(source, high);
    CHECK_FALSE(identical(everything(other), everything(straight)));
  };
  check_resume(
      [](int64_t steps, uint64_t init) {
        torch::manual_seed(init);
        return gc::ModelTrainer(Pix2Pix<>(Pix2PixOptions(1, 1).generator_width(4).discriminator_width(4)),
                                gc::TrainerOptions().batch_size(8).steps(steps).seed(3).threads(1));
      },
      edges, "pix2pix");
  check_resume(
      [](int64_t steps, uint64_t init) {
        torch::manual_seed(init);
        return gc::ModelTrainer(SuperResolutionGAN<>(SuperResolutionOptions(1).generator_width(4).generator_blocks(1).discriminator_width(4)),
                                gc::TrainerOptions().batch_size(8).steps(steps).seed(3).threads(1));
      },
      low, "sr");
}

TEST_CASE("bicubic upsampling is Keys' cubic convolution (a = -0.75) with the border replicated", "[data][translation]") {
  // Reference written out here: output pixel j samples the input at x = (j + 0.5) / k - 0.5 and
  // sums f(clamp(floor(x) + m)) · W(x - floor(x) - m) for m = -1..2, in each axis.
  const double a = -0.75;
  auto w = [a](double t) {
    t = std::abs(t);
    return t <= 1 ? (a + 2) * t * t * t - (a + 3) * t * t + 1 : t < 2 ? a * t * t * t - 5 * a * t * t + 8 * a * t - 4 * a : 0.0;
  };
  const int64_t n = 5, k = 3;
  const torch::Tensor img = torch::rand({1, 1, n, n}, gc::make_generator(16)) - 0.5;
  const torch::Tensor up = gc::data::upsample_bicubic(img, k);
  REQUIRE(up.sizes() == torch::IntArrayRef({1, 1, n * k, n * k}));
  auto f = [&](int64_t r, int64_t c) {
    return img.index({0, 0, std::clamp<int64_t>(r, 0, n - 1), std::clamp<int64_t>(c, 0, n - 1)}).item<double>();
  };
  double worst = 0;
  for (int64_t i = 0; i < n * k; ++i)
    for (int64_t j = 0; j < n * k; ++j) {
      const double y = (i + 0.5) / k - 0.5, x = (j + 0.5) / k - 0.5;
      const auto y0 = static_cast<int64_t>(std::floor(y)), x0 = static_cast<int64_t>(std::floor(x));
      double v = 0;
      for (int64_t p = -1; p <= 2; ++p)
        for (int64_t q = -1; q <= 2; ++q) v += f(y0 + p, x0 + q) * w(y - y0 - p) * w(x - x0 - q);
      worst = std::max(worst, std::abs(up.index({0, 0, i, j}).item<double>() - v));
    }
  CHECK(worst < 1e-5);
  CHECK(torch::allclose(gc::data::upsample_bicubic(torch::full({2, 3, 4, 4}, 0.25), 3), torch::full({2, 3, 12, 12}, 0.25)));
  const torch::Tensor step = torch::cat({torch::full({1, 1, 4, 2}, -1.0), torch::full({1, 1, 4, 2}, 1.0)}, 3);
  CHECK(gc::data::upsample_bicubic(step, 2).abs().max().item<float>() <= 1.0f);  // the overshoot is clamped
  CHECK_THROWS_AS(gc::data::upsample_bicubic(torch::zeros({4, 4}), 2), gc::ShapeError);
}

TEST_CASE("translation_triples puts source, output and target side by side", "[io][translation]") {
  const torch::Tensor src = torch::arange(2 * 4).view({2, 1, 2, 2}).to(torch::kFloat) / 10;
  const torch::Tensor out = torch::full({2, 1, 4, 4}, 0.5), tgt = torch::full({2, 1, 4, 4}, -0.5);
  const torch::Tensor t = gc::io::translation_triples(src, out, tgt);
  REQUIRE(t.sizes() == torch::IntArrayRef({6, 1, 4, 4}));
  CHECK(t[0].index({0, 0, 0}).item<float>() == Approx(0.0));
  CHECK(t[0].index({0, 1, 1}).item<float>() == Approx(0.0));  // each source pixel covers 2×2
  CHECK(t[0].index({0, 3, 3}).item<float>() == Approx(0.3));
  CHECK(torch::equal(t[1], out[0]));
  CHECK(torch::equal(t[5], tgt[1]));
  CHECK(t[3].index({0, 0, 0}).item<float>() == Approx(0.4));
  CHECK_THROWS_AS(gc::io::translation_triples(src, out, tgt.narrow(0, 0, 1)), gc::ShapeError);
}


TEST_CASE("VAE-GAN's step: D on reals against reconstructions and prior samples, the encoder gets KL and feature reconstruction, the decoder gamma times it plus the adversarial term", "[models][vae]") {
  torch::manual_seed(17);
  const int64_t n = 6, k = 5;
  const torch::Tensor x = smooth_images(n, 28, 18);
  auto o = VAEGANOptions(28).latent_dim(k).encoder_width(4).decoder_width(4).discriminator_width(4).gamma(0.3).sigma(0.5);
  VAEGAN<> model(o);
  const torch::Tensor eps = torch::randn({n, k}), zp = torch::randn({n, k});
  RecordingStep step({{"encoder", model.encoder.ptr().get()}, {"generator", model.generator.ptr().get()},
                      {"discriminator", model.discriminator.ptr().get()}},
                     {eps, zp});
  const gc::StepLosses out = model.train_step(step, {x, torch::Tensor()});

  // The same step written out: the same weights (update() moved nothing) and noise.
  auto [mu, logvar] = model.encoder->forward(x);
  const torch::Tensor recon = model.generator->forward(mu + torch::exp(0.5 * logvar) * eps);
  const torch::Tensor prior = model.generator->forward(zp);
  auto& d = model.discriminator;
  const auto sp = [](const torch::Tensor& t) { return torch::log1p(torch::exp(t)); };
  const torch::Tensor d_loss = 0.5 * (sp(-d->forward(x)).mean() + sp(d->forward(recon.detach())).mean()) +
                               0.5 * (sp(-d->forward(x)).mean() + sp(d->forward(prior.detach())).mean());
  const torch::Tensor kl = (-0.5 * (1 + logvar - mu * mu - logvar.exp())).sum(1).mean();
  const torch::Tensor llike = (d->features(recon) - d->features(x).detach()).pow(2).flatten(1).sum(1).mean() / (2 * 0.25);
  const torch::Tensor adv = 0.5 * (sp(-d->forward(recon)).mean() + sp(-d->forward(prior)).mean());
  CHECK(out.d_loss.item<double>() == Approx(d_loss.item<double>()).epsilon(1e-5));
  CHECK(out.scalars.at("kl").item<double>() == Approx(kl.item<double>()).epsilon(1e-5));
  CHECK(out.scalars.at("llike").item<double>() == Approx(llike.item<double>()).epsilon(1e-5));
  CHECK(out.g_loss.item<double>() == Approx((0.3 * llike + adv).item<double>()).epsilon(1e-5));
  CHECK(worst_relative(step.grads.at("discriminator"), grads_of(d_loss, *d)) < 1e-4);
  // The encoder's and decoder's backward passes left D's gradients as its update saw them.
  std::vector<torch::Tensor> d_grads_after;
  for (auto& p : d->parameters()) d_grads_after.push_back(p.grad());
  CHECK(identical(d_grads_after, step.grads.at("discriminator")));
  const double enc_err = worst_relative(step.grads.at("encoder"), grads_of(kl + llike, *model.encoder));
  const double enc_all = worst_relative(step.grads.at("encoder"), grads_of(kl + llike + adv, *model.encoder));
  INFO("encoder: " << enc_err << " from the gradient of KL + L_llike, " << enc_all << " from that with the adversarial term");
  CHECK(enc_err < 1e-6);
  CHECK(worst_relative(step.grads.at("generator"), grads_of(0.3 * llike + adv, *model.generator)) < 1e-5);
  // And the routing matters: the encoder's gradient is not that of its whole graph.
  CHECK(enc_all > 100 * enc_err);
}

TEST_CASE("the plain VAE: pixel reconstruction plus KL, no discriminator, and it learns to reconstruct", "[models][vae]") {
  torch::manual_seed(19);
  const int64_t n = 4, k = 3;
  const torch::Tensor x = smooth_images(n, 28, 20);
  VAEGAN<> model(VAEGANOptions(28).latent_dim(k).encoder_width(4).decoder_width(4).adversarial(false).sigma(0.5));
  CHECK_FALSE(model.discriminator);
  const torch::Tensor eps = torch::randn({n, k});
  RecordingStep step({{"encoder", model.encoder.ptr().get()}, {"generator", model.generator.ptr().get()}}, {eps});
  const gc::StepLosses out = model.train_step(step, {x, torch::Tensor()});
  auto [mu, logvar] = model.encoder->forward(x);
  const torch::Tensor recon = model.generator->forward(mu + torch::exp(0.5 * logvar) * eps);
  const torch::Tensor loss = (recon - x).pow(2).flatten(1).sum(1).mean() / 0.5 +
                             (-0.5 * (1 + logvar - mu * mu - logvar.exp())).sum(1).mean();
  CHECK(out.g_loss.item<double>() == Approx(loss.item<double>()).epsilon(1e-5));
  CHECK(worst_relative(step.grads.at("encoder"), grads_of(loss, *model.encoder)) < 1e-4);
  CHECK(worst_relative(step.grads.at("generator"), grads_of(loss, *model.generator)) < 1e-4);

  // Trained, it reconstructs 32 images much better than at the start.
  const torch::Tensor data = smooth_images(32, 28, 21);
  gc::ModelTrainer trainer(VAEGAN<>(VAEGANOptions(28).latent_dim(8).encoder_width(8).decoder_width(8).adversarial(false).sigma(0.2)),
                           gc::TrainerOptions().latent_dim(8).batch_size(16).steps(200).seed(2).threads(1));
  const double before = (trainer.translate(data) - data).abs().mean().item<double>();
  trainer.fit(data);
  const double after = (trainer.translate(data) - data).abs().mean().item<double>();
  INFO("L1 of reconstructions before " << before << ", after " << after);
  CHECK(after < before / 3);
  CHECK(trainer.sample(5).sizes() == torch::IntArrayRef({5, 1, 28, 28}));
}

TEST_CASE("VAE-GAN stopped and resumed equals the uninterrupted run, bit for bit", "[models][vae][checkpoint]") {
  const fs::path dir = gc::test::fresh_dir("vae_gan_resume");
  const torch::Tensor data = smooth_images(24, 28, 22);
  auto make = [](int64_t steps, uint64_t init) {
    torch::manual_seed(init);
    return gc::ModelTrainer(VAEGAN<>(VAEGANOptions(28).latent_dim(4).encoder_width(4).decoder_width(4).discriminator_width(4)),
                            gc::TrainerOptions().latent_dim(4).batch_size(8).steps(steps).seed(3).threads(1));
  };
  auto straight = make(10, 1);
  straight.fit(data);
  {
    auto first = make(10, 1);
    first.add_hook(gc::hooks::Checkpointer(dir, gc::hooks::CheckpointerOptions().every(4)));
    struct StopAt {
      bool on_step_end(const gc::StepReport& r) { return r.step == 4; }
    };
    first.add_hook(StopAt{});
    first.fit(data);
  }
  for (const char* f : {"encoder.pt", "generator.pt", "discriminator.pt", "encoder_optimizer.pt"})
    CHECK(fs::exists(dir / "step-000004" / f));
  auto resumed = make(10, 2);
  CHECK(resumed.resume(dir).step == 4);
  resumed.fit(data);
  CHECK(identical(everything(resumed), everything(straight)));
  CHECK(torch::equal(resumed.sample(3), straight.sample(3)));
}

TEST_CASE("the image pool stores fakes until full, then swaps each for a stored one with probability one half", "[nn][cyclegan]") {
  gc::nn::ImagePool pool(gc::nn::ImagePoolOptions({1, 2, 2}).capacity(3));
  at::Generator gen = gc::make_generator(5);
  gc::ScopedTrainingGenerator scoped(gen, {0, 1});
  auto batch = [](float first, int64_t n) { return (torch::arange(n).to(torch::kFloat) + first).view({n, 1, 1, 1}).expand({n, 1, 2, 2}).contiguous(); };
  // Filling: 2 then 1 of the next 2 are stored and returned as they are.
  CHECK(torch::equal(pool->query(batch(0, 2)), batch(0, 2)));
  CHECK(pool->size() == 2);
  const torch::Tensor second = pool->query(batch(10, 2));
  CHECK(pool->size() == 3);
  CHECK(torch::equal(second[0], batch(10, 2)[0]));  // stored (the pool had room)
  // Full: over many queries about half the returned images are old ones, and every returned
  // old image was in the pool, which then holds the new one in its place.
  int64_t swapped = 0, total = 0;
  for (int q = 0; q < 200; ++q) {
    const torch::Tensor before = pool->buffers()[0].clone();
    const torch::Tensor in = batch(100 + 10 * q, 4);
    const torch::Tensor got = pool->query(in);
    for (int64_t i = 0; i < 4; ++i, ++total) {
      if (torch::equal(got[i], in[i])) continue;
      ++swapped;
      bool was_stored = false;  // in the pool before, or stored by an earlier sample of this batch
      for (int64_t k = 0; k < 3; ++k) was_stored = was_stored || torch::equal(got[i], before[k]);
      for (int64_t j = 0; j < i; ++j) was_stored = was_stored || torch::equal(got[i], in[j]);
      CHECK(was_stored);
    }
  }
  INFO(swapped << " of " << total << " swapped");
  CHECK(std::abs(static_cast<double>(swapped) / total - 0.5) < 0.08);
  CHECK_THROWS_AS(pool->query(torch::zeros({2, 1, 3, 3})), gc::ShapeError);
  gc::nn::ImagePool none(gc::nn::ImagePoolOptions({1, 2, 2}).capacity(0));
  CHECK(torch::equal(none->query(batch(0, 2)), batch(0, 2)));
}

TEST_CASE("CycleGAN's step: adversarial, cycle and identity terms of both generators, then each discriminator against its pool", "[models][cyclegan]") {
  torch::manual_seed(23);
  const torch::Tensor a = smooth_images(4, 16, 24), b = gc::data::sobel_edges(smooth_images(4, 16, 25));
  CycleGAN<> model(CycleGANOptions({1, 16, 16}).generator_width(4).generator_blocks(1).discriminator_width(4).identity_weight(0.3));
  RecordingStep step({{"generator", model.generator.ptr().get()}, {"generator_ba", model.generator_ba.ptr().get()},
                      {"discriminator_a", model.discriminator_a.ptr().get()}, {"discriminator_b", model.discriminator_b.ptr().get()}},
                     {});
  const gc::StepLosses out = model.train_step(step, {a, b});
  gc::losses::LeastSquares ls;
  auto& g = model.generator;
  auto& f = model.generator_ba;
  const torch::Tensor fb = g->forward(a), fa = f->forward(b);
  const torch::Tensor cycle = (f->forward(fb) - a).abs().mean() + (g->forward(fa) - b).abs().mean();
  const torch::Tensor identity = (g->forward(b) - b).abs().mean() + (f->forward(a) - a).abs().mean();
  const torch::Tensor adv = ls.generator_loss(model.discriminator_b->forward(fb).flatten()) +
                            ls.generator_loss(model.discriminator_a->forward(fa).flatten());
  const torch::Tensor g_loss = adv + 10 * cycle + 10 * 0.3 * identity;
  CHECK(out.scalars.at("cycle").item<double>() == Approx(cycle.item<double>()).epsilon(1e-5));
  CHECK(out.scalars.at("identity").item<double>() == Approx(identity.item<double>()).epsilon(1e-5));
  CHECK(out.g_loss.item<double>() == Approx(g_loss.item<double>()).epsilon(1e-5));
  CHECK(worst_relative(step.grads.at("generator"), grads_of(g_loss, *g)) < 1e-4);
  CHECK(worst_relative(step.grads.at("generator_ba"), grads_of(g_loss, *f)) < 1e-4);
  // The pools were empty: each discriminator saw this step's fakes.
  const torch::Tensor d_a = 0.5 * ls.discriminator_loss(model.discriminator_a->forward(a).flatten(),
                                                        model.discriminator_a->forward(fa.detach()).flatten());
  CHECK(out.scalars.at("d_a_loss").item<double>() == Approx(d_a.item<double>()).epsilon(1e-5));
  CHECK(worst_relative(step.grads.at("discriminator_a"), grads_of(d_a, *model.discriminator_a)) < 1e-4);
  CHECK(model.pool_a->size() == 4);
  CHECK(model.pool_b->size() == 4);
  CHECK_THROWS_WITH(model.train_step(step, {a, torch::Tensor()}), ContainsText("CycleGAN"));
  RecordingStep rank0_of_2({}, {}, gc::BatchShard{0, 2});
  CHECK_THROWS_WITH(model.train_step(rank0_of_2, {a, b}), ContainsText("data-parallel"));
}

TEST_CASE("CycleGAN stopped after its image pools are full and resumed equals the uninterrupted run, bit for bit", "[models][cyclegan][checkpoint]") {
  const fs::path dir = gc::test::fresh_dir("cyclegan_resume");
  const torch::Tensor a = smooth_images(16, 16, 26), b = gc::data::sobel_edges(smooth_images(16, 16, 27));
  auto make = [](int64_t steps, uint64_t init) {
    torch::manual_seed(init);
    return gc::ModelTrainer(CycleGAN<>(CycleGANOptions({1, 16, 16}).generator_width(4).generator_blocks(1).discriminator_width(4).pool_size(6)),
                            gc::TrainerOptions().batch_size(4).steps(steps).seed(3).threads(1));
  };
  auto straight = make(9, 1);
  straight.fit(a, b);
  {
    auto first = make(9, 1);
    first.add_hook(gc::hooks::Checkpointer(dir, gc::hooks::CheckpointerOptions().every(5)));
    struct StopAt {
      bool on_step_end(const gc::StepReport& r) { return r.step == 5; }
    };
    first.add_hook(StopAt{});
    first.fit(a, b);
    REQUIRE(first.model().pool_a->size() == 6);  // full since step 2: later steps swap
  }
  CHECK(fs::exists(dir / "step-000005" / "pool_b.pt"));
  CHECK_FALSE(fs::exists(dir / "step-000005" / "pool_b_optimizer.json"));
  auto resumed = make(9, 2);
  CHECK(resumed.resume(dir).step == 5);
  resumed.fit(a, b);
  CHECK(identical(everything(resumed), everything(straight)));
  // Without the pools' contents the run goes elsewhere: an emptied pool changes the result.
  auto emptied = make(9, 2);
  emptied.resume(dir);
  emptied.model().pool_a->buffers()[1].fill_(0);
  emptied.fit(a, b);
  CHECK_FALSE(identical(everything(emptied), everything(straight)));
}
