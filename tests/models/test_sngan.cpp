// Tests for gancraft/models/sngan.hpp: the SNGAN ResNet generator and discriminator for 32×32
// images (Miyato et al. 2018, arXiv:1802.05957, appendix "ResNet architectures for CIFAR-10").
#include "../support/catch.hpp"

#include <gancraft/losses/hinge.hpp>
#include <gancraft/models/sngan.hpp>
#include <gancraft/training/trainer.hpp>

#include "../support/test_support.hpp"

#include <sstream>
#include <string>
#include <vector>

using namespace gancraft::models;
namespace gc = gancraft;

namespace {

int64_t count_parameters(const torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

template <class Impl>
int64_t count_impl(const torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& child : m.modules(/*include_self=*/false))
    if (dynamic_cast<const Impl*>(child.get()) != nullptr) ++n;
  return n;
}

std::vector<torch::Tensor> snapshot(const torch::nn::Module& m) {
  std::vector<torch::Tensor> out;
  for (const auto& p : m.parameters()) out.push_back(p.detach().clone());
  return out;
}

}  // namespace

TEST_CASE("SNGAN output shapes and ranges", "[models][sngan]") {
  torch::manual_seed(0);
  for (int64_t image_channels : {1, 3}) {
    CAPTURE(image_channels);
    SNGANGenerator g(SNGANGeneratorOptions(16).channels(16).image_channels(image_channels));
    SNGANDiscriminator d(SNGANDiscriminatorOptions().channels(16).image_channels(image_channels));
    auto images = g(torch::randn({4, 16}));
    CHECK(images.sizes() == torch::IntArrayRef({4, image_channels, 32, 32}));
    CHECK(images.min().item<float>() >= -1.0f);
    CHECK(images.max().item<float>() <= 1.0f);
    CHECK(g(torch::randn({4, 16, 1, 1})).sizes() == images.sizes());  // [N, L, 1, 1] too
    auto scores = d(images);
    CHECK(scores.sizes() == torch::IntArrayRef({4}));
    CHECK(torch::isfinite(scores).all().item<bool>());
    d->eval();
    CHECK(d(images).sizes() == torch::IntArrayRef({4}));
  }
}

TEST_CASE("SNGAN rejects bad options and shapes with the value in the message",
          "[models][sngan]") {
  using gc::test::error_message;
  CHECK_THAT(error_message<gc::OptionError>([] { SNGANGenerator(SNGANGeneratorOptions(0)); }),
             ContainsText("latent_dim must be >= 1, got 0"));
  CHECK_THAT(error_message<gc::OptionError>(
                 [] { SNGANGenerator(SNGANGeneratorOptions(8).channels(-2)); }),
             ContainsText("-2"));
  CHECK_THAT(error_message<gc::OptionError>(
                 [] { SNGANDiscriminator(SNGANDiscriminatorOptions().image_channels(0)); }),
             ContainsText("image_channels must be >= 1, got 0"));

  SNGANGenerator g(SNGANGeneratorOptions(8).channels(4));
  CHECK_THAT(error_message<gc::ShapeError>([&] { g(torch::randn({2, 9})); }),
             ContainsText("[2, 9]"));
  SNGANDiscriminator d(SNGANDiscriminatorOptions().channels(4));
  CHECK_THAT(error_message<gc::ShapeError>([&] { d(torch::randn({2, 3, 28, 28})); }),
             ContainsText("[2, 3, 28, 28]"));
  CHECK_THROWS_AS(d->forward_flops(-1), gc::OptionError);
}

TEST_CASE("SNGAN default parameter counts match the hand computation", "[models][sngan]") {
  // Generator, latent 128, 256 channels, RGB; every conv and the Linear carry a bias:
  //   Linear 128 → 4·4·256              128·4096 + 4096          =   528384
  //   per up block (×3):
  //     BatchNorm2d(256)                2·256                    =      512
  //     conv3 256→256                   256·256·9 + 256          =   590080
  //     BatchNorm2d(256)                2·256                    =      512
  //     conv3 256→256                   256·256·9 + 256          =   590080
  //     shortcut conv1 256→256          256·256 + 256            =    65792
  //                                                     block    =  1246976  (×3 = 3740928)
  //   BatchNorm2d(256)                  2·256                    =      512
  //   conv3 256→3                       256·3·9 + 3              =     6915
  //                                                     total    =  4276739
  SNGANGenerator g(SNGANGeneratorOptions(128));
  CHECK(count_parameters(*g) == 4276739);
  // Discriminator, 128 channels, RGB:
  //   optimized block: conv3 3→128 (3456 + 128) + conv3 128→128 (147456 + 128)
  //                    + shortcut conv1 3→128 (384 + 128)                         =  151680
  //   down block:      2 × conv3 128→128 (2 × 147584) + shortcut conv1 (16384 + 128) = 311680
  //   2 plain blocks:  4 × conv3 128→128 (4 × 147584), identity shortcuts        =  590336
  //   Linear 128→1:    128 + 1                                                   =     129
  //                                                                      total  = 1053825
  // Spectral norm adds buffers (u, v), not parameters.
  SNGANDiscriminator d{SNGANDiscriminatorOptions()};
  CHECK(count_parameters(*d) == 1053825);
  SNGANDiscriminator plain(SNGANDiscriminatorOptions().spectral_norm(false));
  CHECK(count_parameters(*plain) == 1053825);
}

TEST_CASE("SNGAN discriminator wraps every conv and linear in SpectralNorm, or none",
          "[models][sngan][spectral]") {
  torch::manual_seed(0);
  // 3 + 3 + 2 + 2 convolutions in the four blocks, plus the Linear.
  SNGANDiscriminator d(SNGANDiscriminatorOptions().channels(8));
  CHECK(count_impl<gc::nn::SpectralNormImpl>(*d) == 11);
  CHECK(count_impl<torch::nn::Conv2dImpl>(*d) == 10);
  CHECK(count_impl<torch::nn::LinearImpl>(*d) == 1);
  for (const auto& item : d->named_modules()) {
    const auto& m = item.value();
    if (m->as<torch::nn::Conv2d>() || m->as<torch::nn::Linear>()) {
      CAPTURE(item.key());
      // Each layer is registered only as the `module` child of its SpectralNorm.
      CHECK(item.key().size() > 7);
      CHECK(item.key().substr(item.key().size() - 7) == ".module");
    }
  }
  SNGANDiscriminator plain(SNGANDiscriminatorOptions().channels(8).spectral_norm(false));
  CHECK(count_impl<gc::nn::SpectralNormImpl>(*plain) == 0);
  CHECK(count_impl<torch::nn::Conv2dImpl>(*plain) == 10);
  CHECK(count_impl<torch::nn::LinearImpl>(*plain) == 1);
  CHECK(count_impl<torch::nn::BatchNorm2dImpl>(*d) == 0);
  // The generator is not spectrally normalised (the paper normalises D only).
  SNGANGenerator g(SNGANGeneratorOptions(8).channels(8));
  CHECK(count_impl<gc::nn::SpectralNormImpl>(*g) == 0);
  CHECK(count_impl<torch::nn::Conv2dImpl>(*g) == 3 * 3 + 1);
  CHECK(count_impl<torch::nn::BatchNorm2dImpl>(*g) == 3 * 2 + 1);
}

TEST_CASE("SNGAN forward_flops matches a hand computation", "[models][sngan]") {
  // A k×k conv producing an S×S map costs S²·C_in·C_out·k² MACs; a Linear in·out.
  // Generator, latent 8, 16 channels, RGB, batch 2:
  //   Linear 8 → 256                                   8·256          =    2048
  //   up 4→8:   conv3 16→16 at 8 (64·2304) ×2 + shortcut conv1 at 8 (64·256)
  //                                                    147456·2 + 16384 =  311296
  //   up 8→16:  4 × that                                               = 1245184
  //   up 16→32: 16 × that                                              = 4980736
  //   conv3 16→3 at 32                                 1024·16·3·9     =  442368
  //                                                           MACs     = 6981632
  SNGANGenerator g(SNGANGeneratorOptions(8).channels(16));
  CHECK(g->forward_flops(2) == 2 * 6981632 * 2);
  CHECK(g->forward_flops(0) == 0);
  // Discriminator, 16 channels, RGB, batch 2:
  //   optimized 32→16: conv3 3→16 at 32 (1024·432) + conv3 16→16 at 32 (1024·2304)
  //                    + shortcut conv1 3→16 after the pool, at 16 (256·48)
  //                    = 442368 + 2359296 + 12288                      = 2813952
  //   down 16→8:       2 × conv3 at 16 (256·2304) + shortcut conv1 before the pool (256·256)
  //                    = 1179648 + 65536                               = 1245184
  //   2 plain at 8:    4 × conv3 at 8 (64·2304)                        =  589824
  //   Linear 16 → 1                                                    =      16
  //                                                           MACs     = 4648976
  SNGANDiscriminator d(SNGANDiscriminatorOptions().channels(16));
  CHECK(d->forward_flops(2) == 2 * 4648976 * 2);
  // Spectral norm does not change the count.
  CHECK(SNGANDiscriminator(SNGANDiscriminatorOptions().channels(16).spectral_norm(false))
            ->forward_flops(2) == d->forward_flops(2));
  // The defaults, as in docs/models.md.
  CHECK(SNGANGenerator(SNGANGeneratorOptions(128))->forward_flops(1) == 3362258944);
  CHECK(SNGANDiscriminator()->forward_flops(1) == 544145664);
}

TEST_CASE("SNGAN backward reaches every parameter", "[models][sngan]") {
  torch::manual_seed(0);
  SNGANGenerator g(SNGANGeneratorOptions(8).channels(8));
  SNGANDiscriminator d(SNGANDiscriminatorOptions().channels(8));
  d(g(torch::randn({4, 8}))).mean().backward();
  for (const auto* m : {static_cast<torch::nn::Module*>(g.get()),
                        static_cast<torch::nn::Module*>(d.get())}) {
    for (const auto& p : m->named_parameters()) {
      CAPTURE(p.key());
      REQUIRE(p.value().grad().defined());
      CHECK(p.value().grad().abs().sum().item<double>() > 0.0);
    }
  }
}

TEST_CASE("SNGAN modules survive torch::save / torch::load and clone()",
          "[models][sngan][checkpoint]") {
  const auto dir = gc::test::fresh_dir("models_sngan_serialize");
  torch::manual_seed(3);
  SNGANGenerator g(SNGANGeneratorOptions(8).channels(8));
  SNGANDiscriminator d(SNGANDiscriminatorOptions().channels(8));
  // Training-mode passes move BatchNorm statistics and the spectral-norm vectors off their
  // initial values, so the round trip has to carry them.
  for (int i = 0; i < 3; ++i) d(g(torch::randn({4, 8})));
  g->eval();
  d->eval();
  const auto z = torch::randn({4, 8});
  const auto images = g(z);
  const auto scores = d(images);
  torch::save(g, (dir / "g.pt").string());
  torch::save(d, (dir / "d.pt").string());

  torch::manual_seed(99);  // different weights and vectors before loading
  SNGANGenerator g2(SNGANGeneratorOptions(8).channels(8));
  SNGANDiscriminator d2(SNGANDiscriminatorOptions().channels(8));
  g2->eval();
  d2->eval();
  CHECK_FALSE(torch::allclose(d2(images), scores));
  torch::load(g2, (dir / "g.pt").string());
  torch::load(d2, (dir / "d.pt").string());
  CHECK(torch::equal(g2(z), images));
  CHECK(torch::equal(d2(images), scores));

  // clone(): equal state (spectral-norm vectors included), independent storage.
  auto dc = std::dynamic_pointer_cast<SNGANDiscriminatorImpl>(d->clone());
  REQUIRE(dc);
  CHECK_FALSE(dc->is_training());
  CHECK(torch::equal(dc->forward(images), scores));
  auto pa = d->parameters();
  auto pb = dc->parameters();
  REQUIRE(pa.size() == pb.size());
  for (size_t i = 0; i < pa.size(); ++i) CHECK(pa[i].data_ptr() != pb[i].data_ptr());
  auto gc_ = std::dynamic_pointer_cast<SNGANGeneratorImpl>(g->clone());
  REQUIRE(gc_);
  CHECK(torch::equal(gc_->forward(z), images));

  std::ostringstream printed;
  d->pretty_print(printed);
  CHECK(printed.str() ==
        "gancraft::models::SNGANDiscriminator(channels=8, image_channels=3, spectral_norm=true)");
}

TEST_CASE("SNGAN trains with gc::Trainer and the hinge loss", "[models][sngan][training]") {
  torch::manual_seed(4);
  SNGANGenerator g(SNGANGeneratorOptions(8).channels(16));
  SNGANDiscriminator d(SNGANDiscriminatorOptions().channels(16));
  const auto before_g = snapshot(*g);
  const auto before_d = snapshot(*d);
  at::Generator gen = gc::make_generator(5);
  const auto data = torch::rand({32, 3, 32, 32}, gen) * 2 - 1;
  gc::Trainer trainer(g, d, gc::losses::Hinge{},
                      gc::TrainerOptions().latent_dim(8).batch_size(8).steps(3).seed(1));
  trainer.fit(data);
  const auto after_g = trainer.generator()->parameters();
  const auto after_d = trainer.discriminator()->parameters();
  bool g_moved = false, d_moved = false;
  for (size_t i = 0; i < after_g.size(); ++i) {
    CHECK(torch::isfinite(after_g[i]).all().item<bool>());
    g_moved = g_moved || !torch::equal(after_g[i], before_g[i]);
  }
  for (size_t i = 0; i < after_d.size(); ++i) {
    CHECK(torch::isfinite(after_d[i]).all().item<bool>());
    d_moved = d_moved || !torch::equal(after_d[i], before_d[i]);
  }
  CHECK(g_moved);
  CHECK(d_moved);
}

TEST_CASE("SNGAN's first hinge updates through gc::Trainer equal a hand-written step", "[models][sngan][training]") {
  // The same networks twice (same seed: same weights, same power-iteration vectors).
  auto build = [] {
    torch::manual_seed(4);
    return std::pair{SNGANGenerator(SNGANGeneratorOptions(8).channels(16)),
                     SNGANDiscriminator(SNGANDiscriminatorOptions().channels(16))};
  };
  auto [g, d] = build();
  auto [rg, rd] = build();
  const auto data = torch::rand({8, 3, 32, 32}, gc::make_generator(5)) * 2 - 1;
  const auto adam = gc::OptimizerOptions::adam(2e-4, 0.0, 0.9);
  gc::Trainer trainer(g, d, gc::losses::Hinge{},
                      gc::TrainerOptions().latent_dim(8).batch_size(8).steps(1).seed(1).g_optimizer(adam).d_optimizer(adam));
  at::Generator stream = trainer.training_stream().clone();  // the noise the trainer will draw

  // By hand: D on real, then on G(z) without a graph; hinge loss mean(max(0, 1 - D(x))) +
  // mean(max(0, 1 + D(G(z)))); Adam(2e-4, 0, 0.9) steps on each network.
  torch::optim::Adam d_opt(rd->parameters(), torch::optim::AdamOptions(2e-4).betas({0.0, 0.9}));
  torch::optim::Adam g_opt(rg->parameters(), torch::optim::AdamOptions(2e-4).betas({0.0, 0.9}));
  {
    const torch::Tensor z = torch::randn({8, 8}, stream);
    torch::Tensor fake;
    {
      torch::NoGradGuard no_grad;
      fake = rg->forward(z);
    }
    const torch::Tensor real_scores = rd->forward(data).reshape({-1});
    const torch::Tensor fake_scores = rd->forward(fake).reshape({-1});
    const torch::Tensor loss = torch::relu(1 - real_scores).mean() + torch::relu(1 + fake_scores).mean();
    d_opt.zero_grad();
    loss.backward();
    d_opt.step();
    const auto result = trainer.discriminator_step(data);
    CHECK(result.loss.item<double>() == Approx(loss.item<double>()).epsilon(1e-6));
  }
  const auto d_after = trainer.discriminator()->parameters(), rd_after = rd->parameters();
  REQUIRE(d_after.size() == rd_after.size());
  for (size_t i = 0; i < d_after.size(); ++i) CHECK(torch::allclose(d_after[i], rd_after[i], 1e-5, 1e-7));
  {
    // G: -mean(D(G(z))) on fresh noise, D's weights fixed.
    const torch::Tensor z = torch::randn({8, 8}, stream);
    const torch::Tensor loss = -rd->forward(rg->forward(z)).mean();
    g_opt.zero_grad();
    loss.backward();
    g_opt.step();
    CHECK(trainer.generator_step().item<double>() == Approx(loss.item<double>()).epsilon(1e-5));
  }
  const auto g_after = trainer.generator()->parameters(), rg_after = rg->parameters();
  const auto g_before = snapshot(*build().first);
  REQUIRE(g_after.size() == rg_after.size());
  double moved = 0;
  for (size_t i = 0; i < g_after.size(); ++i) {
    CHECK(torch::allclose(g_after[i], rg_after[i], 1e-5, 1e-7));
    moved = std::max(moved, (g_after[i] - g_before[i]).abs().max().item<double>());
  }
  CHECK(moved > 1e-5);  // the step changed G (the comparison is not of two untouched networks)
}
