// Tests for gancraft/models: DCGAN (Radford et al. 2015, arXiv:1511.06434) and
// MLP (Goodfellow et al. 2014, arXiv:1406.2661) generators and discriminators.
#include "../support/catch.hpp"

#include <gancraft/models/dcgan.hpp>
#include <gancraft/models/mlp.hpp>
#include <gancraft/nn/spectral_norm.hpp>

#include <string>
#include <utility>

using namespace gancraft::models;

namespace {

int64_t count_parameters(const torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

template <class ModuleType>
int64_t count_submodules(const torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& child : m.modules(/*include_self=*/false))
    if (child->as<ModuleType>() != nullptr) ++n;
  return n;
}

/// Matches an exception whose what() contains `needle`.
class MessageContains : public MatcherBaseOf<std::exception> {
 public:
  explicit MessageContains(std::string needle) : needle_(std::move(needle)) {}
  bool match(const std::exception& e) const override {
    return std::string(e.what()).find(needle_) != std::string::npos;
  }
  std::string describe() const override { return "message contains \"" + needle_ + "\""; }

 private:
  std::string needle_;
};

torch::Tensor named(const torch::nn::Module& m, const std::string& name) {
  return m.named_parameters()[name];
}

}  // namespace

TEST_CASE("DCGAN output shapes for every image size and channel count", "[models][dcgan]") {
  torch::manual_seed(0);
  for (int64_t size : {28, 32, 64}) {
    for (int64_t channels : {1, 3}) {
      CAPTURE(size, channels);
      DCGANGenerator g(DCGANGeneratorOptions(size).channels(channels).base_width(8).latent_dim(16));
      DCGANDiscriminator d(DCGANDiscriminatorOptions(size).channels(channels).base_width(8));
      auto images = g(torch::randn({3, 16}));
      CHECK(images.sizes() == torch::IntArrayRef({3, channels, size, size}));
      CHECK(images.min().item<float>() >= -1.0f);
      CHECK(images.max().item<float>() <= 1.0f);
      // [N, latent, 1, 1] is accepted too.
      CHECK(g(torch::randn({3, 16, 1, 1})).sizes() == images.sizes());
      auto logits = d(images);
      CHECK(logits.sizes() == torch::IntArrayRef({3}));
    }
  }
}

TEST_CASE("DCGAN rejects bad options and shapes with the value in the message",
          "[models][dcgan]") {
  CHECK_THROWS_MATCHES(DCGANGenerator(DCGANGeneratorOptions(48)), gancraft::OptionError,
                       MessageContains("48"));
  CHECK_THROWS_MATCHES(DCGANDiscriminator(DCGANDiscriminatorOptions(30)),
                       gancraft::OptionError, MessageContains("30"));
  CHECK_THROWS_AS(DCGANGenerator(DCGANGeneratorOptions(28).channels(0)), gancraft::OptionError);
  CHECK_THROWS_AS(DCGANGenerator(DCGANGeneratorOptions(28).latent_dim(0)),
                  gancraft::OptionError);

  DCGANGenerator g(DCGANGeneratorOptions(28).base_width(4).latent_dim(10));
  CHECK_THROWS_MATCHES(g(torch::randn({2, 11})), gancraft::ShapeError,
                       MessageContains("[2, 11]"));
  DCGANDiscriminator d(DCGANDiscriminatorOptions(28).base_width(4));
  CHECK_THROWS_MATCHES(d(torch::randn({2, 3, 28, 28})), gancraft::ShapeError,
                       MessageContains("[2, 3, 28, 28]"));
}

TEST_CASE("DCGAN init follows the paper: N(0, 0.02) convs, N(1, 0.02) BatchNorm, zero bias",
          "[models][dcgan]") {
  torch::manual_seed(1);
  DCGANGenerator g(DCGANGeneratorOptions(64));  // first layer: 100·512·4·4 = 819200 weights
  auto w = named(*g, "net.0.weight");
  REQUIRE(w.numel() == 819200);
  CHECK(w.std().item<double>() == Approx(0.02).margin(0.0005));
  CHECK(w.mean().item<double>() == Approx(0.0).margin(0.0005));
  auto bn = named(*g, "net.1.weight");  // BatchNorm2d(512)
  CHECK(bn.mean().item<double>() == Approx(1.0).margin(0.005));
  CHECK(bn.std().item<double>() == Approx(0.02).margin(0.005));
  CHECK(named(*g, "net.1.bias").abs().max().item<double>() == 0.0);

  DCGANDiscriminator d(DCGANDiscriminatorOptions(64));
  CHECK(named(*d, "net.0.bias").abs().max().item<double>() == 0.0);  // first conv: no BN, bias
  CHECK(named(*d, "net.0.weight").std().item<double>() == Approx(0.02).margin(0.002));

  // The init draws from the global RNG, so seeding makes it reproducible.
  torch::manual_seed(7);
  DCGANGenerator a(DCGANGeneratorOptions(32).base_width(8));
  torch::manual_seed(7);
  DCGANGenerator b(DCGANGeneratorOptions(32).base_width(8));
  auto pa = a->parameters();
  auto pb = b->parameters();
  REQUIRE(pa.size() == pb.size());
  for (size_t i = 0; i < pa.size(); ++i) CHECK(torch::equal(pa[i], pb[i]));
}

TEST_CASE("DCGAN discriminator without BatchNorm has no BatchNorm at all", "[models][dcgan]") {
  for (int64_t size : {28, 32, 64}) {
    CAPTURE(size);
    DCGANDiscriminator with(DCGANDiscriminatorOptions(size).base_width(8));
    DCGANDiscriminator without(DCGANDiscriminatorOptions(size).base_width(8).batch_norm(false));
    CHECK(count_submodules<torch::nn::BatchNorm2d>(*with) > 0);
    CHECK(count_submodules<torch::nn::BatchNorm2d>(*without) == 0);
    for (const auto& m : without->modules(false))
      if (auto* conv = m->as<torch::nn::Conv2d>()) CHECK(conv->bias.defined());
    CHECK(without(torch::randn({2, 1, size, size})).sizes() == torch::IntArrayRef({2}));
  }
}

TEST_CASE("DCGAN 28x28 parameter counts match the hand computation", "[models][dcgan]") {
  // Generator, latent 100, b = 64, C = 1 (convs before BatchNorm have no bias):
  //   ConvT 100→128 k7        100·128·49   = 627200
  //   BatchNorm2d(128)        2·128        =    256
  //   ConvT 128→64  k4        128·64·16    = 131072
  //   BatchNorm2d(64)         2·64         =    128
  //   ConvT 64→1    k4 +bias  64·1·16 + 1  =   1025
  //                                   total = 759681
  DCGANGenerator g(DCGANGeneratorOptions(28));
  CHECK(count_parameters(*g) == 759681);
  // Discriminator, b = 64, C = 1:
  //   Conv 1→64   k4 +bias    1·64·16 + 64 =   1088
  //   Conv 64→128 k4          64·128·16    = 131072
  //   BatchNorm2d(128)        2·128        =    256
  //   Conv 128→1  k7 +bias    128·49 + 1   =   6273
  //                                   total = 138689
  DCGANDiscriminator d(DCGANDiscriminatorOptions(28));
  CHECK(count_parameters(*d) == 138689);
  // Without BatchNorm: drop the 256 BN parameters, add a 128-element bias.
  DCGANDiscriminator d_nobn(DCGANDiscriminatorOptions(28).batch_norm(false));
  CHECK(count_parameters(*d_nobn) == 138689 - 256 + 128);
}

TEST_CASE("DCGAN forward_flops matches a hand computation", "[models][dcgan]") {
  // Generator 28×28, latent 10, b = 4, C = 1, batch 2. Transposed conv MACs =
  // in_size²·C_in·C_out·k²:
  //   1²·10·8·49 = 3920;  7²·8·4·16 = 25088;  14²·4·1·16 = 12544  → 41552 MACs
  //   FLOPs = 2 · 41552 · 2 = 166208
  DCGANGenerator g(DCGANGeneratorOptions(28).base_width(4).latent_dim(10));
  CHECK(g->forward_flops(2) == 166208);
  CHECK(g->forward_flops(0) == 0);
  // Discriminator 28×28, b = 4, C = 1, batch 2. Conv MACs = out_size²·C_in·C_out·k²:
  //   14²·1·4·16 = 12544;  7²·4·8·16 = 25088;  1²·8·1·49 = 392  → 38024 MACs
  //   FLOPs = 2 · 38024 · 2 = 152096
  DCGANDiscriminator d(DCGANDiscriminatorOptions(28).base_width(4));
  CHECK(d->forward_flops(2) == 152096);
  CHECK_THROWS_AS(d->forward_flops(-1), gancraft::OptionError);
  // MLP generator 10 → 16 → 16 → 20: 160 + 256 + 320 = 736 MACs per sample.
  MLPGenerator mg(MLPGeneratorOptions(10, 20).hidden(16));
  CHECK(mg->forward_flops(3) == 2 * 736 * 3);
  // MLP discriminator 20 → 16 → 1: 320 + 16 = 336 MACs per sample.
  MLPDiscriminator md(MLPDiscriminatorOptions(20).hidden(16).layers(1));
  CHECK(md->forward_flops(1) == 2 * 336);
}

TEST_CASE("MLP generator and discriminator shapes", "[models][mlp]") {
  torch::manual_seed(0);
  MLPGenerator g(MLPGeneratorOptions(8, 12).hidden(32).layers(3));
  CHECK(g(torch::randn({5, 8})).sizes() == torch::IntArrayRef({5, 12}));
  // hidden Linear layers + output Linear
  CHECK(count_submodules<torch::nn::Linear>(*g) == 4);

  MLPGenerator bn(MLPGeneratorOptions(8, 12).batch_norm(true));
  CHECK(count_submodules<torch::nn::BatchNorm1d>(*bn) == 2);
  CHECK(bn(torch::randn({5, 8})).sizes() == torch::IntArrayRef({5, 12}));

  MLPGenerator images(MLPGeneratorOptions(8, 784).output_shape({1, 28, 28}));
  auto x = images(torch::randn({4, 8}));
  CHECK(x.sizes() == torch::IntArrayRef({4, 1, 28, 28}));

  MLPDiscriminator d(MLPDiscriminatorOptions(784));
  CHECK(d(x).sizes() == torch::IntArrayRef({4}));
  CHECK(d(x.flatten(1)).sizes() == torch::IntArrayRef({4}));

  CHECK_THROWS_MATCHES(MLPGenerator(MLPGeneratorOptions(8, 784).output_shape({1, 28, 27})),
                       gancraft::OptionError, MessageContains("756"));
  CHECK_THROWS_MATCHES(g(torch::randn({5, 9})), gancraft::ShapeError,
                       MessageContains("[5, 9]"));
  CHECK_THROWS_MATCHES(d(torch::randn({4, 3, 28, 28})), gancraft::ShapeError,
                       MessageContains("2352"));
  CHECK_THROWS_AS(MLPDiscriminator(MLPDiscriminatorOptions(10).layers(-1)),
                  gancraft::OptionError);
}

TEST_CASE("Generator + discriminator backward reaches every parameter", "[models]") {
  torch::manual_seed(0);
  SECTION("DCGAN") {
    for (bool batch_norm : {true, false}) {
      CAPTURE(batch_norm);
      DCGANGenerator g(DCGANGeneratorOptions(32).channels(3).base_width(8).latent_dim(16));
      DCGANDiscriminator d(
          DCGANDiscriminatorOptions(32).channels(3).base_width(8).batch_norm(batch_norm));
      d(g(torch::randn({4, 16}))).mean().backward();
      for (const auto& p : g->named_parameters()) {
        CAPTURE(p.key());
        REQUIRE(p.value().grad().defined());
        CHECK(p.value().grad().abs().sum().item<double>() > 0.0);
      }
      for (const auto& p : d->named_parameters()) {
        CAPTURE(p.key());
        REQUIRE(p.value().grad().defined());
      }
    }
  }
  SECTION("MLP") {
    MLPGenerator g(MLPGeneratorOptions(8, 784).output_shape({1, 28, 28}).batch_norm(true));
    MLPDiscriminator d(MLPDiscriminatorOptions(784));
    d(g(torch::randn({4, 8}))).mean().backward();
    for (const auto& p : g->named_parameters()) {
      CAPTURE(p.key());
      REQUIRE(p.value().grad().defined());
    }
    for (const auto& p : d->named_parameters()) {
      CAPTURE(p.key());
      REQUIRE(p.value().grad().defined());
    }
  }
}

TEST_CASE("DCGAN modules clone with equal, independent parameters", "[models][dcgan]") {
  DCGANDiscriminator d(DCGANDiscriminatorOptions(28).base_width(4));
  auto copy = std::dynamic_pointer_cast<DCGANDiscriminatorImpl>(d->clone());
  REQUIRE(copy);
  auto pa = d->parameters();
  auto pb = copy->parameters();
  REQUIRE(pa.size() == pb.size());
  for (size_t i = 0; i < pa.size(); ++i) {
    CHECK(torch::equal(pa[i], pb[i]));
    CHECK(pa[i].data_ptr() != pb[i].data_ptr());
  }
  CHECK(copy->options.image_size() == 28);
}

TEST_CASE("spectral_norm(true) wraps every layer of the DCGAN and MLP discriminators, keeping the DCGAN init", "[models][spectral]") {
  auto count = [](torch::nn::Module& m) {
    int64_t sn = 0, layers = 0;
    for (const auto& child : m.modules(/*include_self=*/false)) {
      if (dynamic_cast<gancraft::nn::SpectralNormImpl*>(child.get()) != nullptr) ++sn;
      if (dynamic_cast<torch::nn::Conv2dImpl*>(child.get()) != nullptr || dynamic_cast<torch::nn::LinearImpl*>(child.get()) != nullptr)
        ++layers;
    }
    return std::pair{sn, layers};
  };
  torch::manual_seed(3);
  DCGANDiscriminator plain(DCGANDiscriminatorOptions(28).base_width(8).batch_norm(false));
  torch::manual_seed(3);
  DCGANDiscriminator normalised(DCGANDiscriminatorOptions(28).base_width(8).batch_norm(false).spectral_norm(true));
  const auto [sn, convs] = count(*normalised);
  CHECK(convs >= 2);
  CHECK(sn == convs);
  CHECK(count(*plain).first == 0);
  // The same DCGAN-initialised weights (N(0, 0.02)) under the wrapper: the init ran first.
  std::vector<torch::Tensor> a, b;
  for (const auto& p : plain->named_parameters()) a.push_back(p.value());
  for (const auto& p : normalised->named_parameters()) b.push_back(p.value());
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) CHECK(torch::equal(a[i], b[i]));
  // In training mode each layer computes with W / σ(W): after enough power iterations, every
  // layer's estimate is its weight's largest singular value.
  const torch::Tensor x = torch::randn({4, 1, 28, 28});
  for (int i = 0; i < 100; ++i) normalised->forward(x);
  for (const auto& child : normalised->modules(false))
    if (auto* s = dynamic_cast<gancraft::nn::SpectralNormImpl*>(child.get())) {
      torch::Tensor w;
      for (const auto& p : s->named_parameters())
        if (p.key() == "module.weight") w = p.value().detach();
      REQUIRE(w.defined());
      const double largest = std::get<1>(torch::svd(w.reshape({w.size(0), -1})))[0].item<double>();
      CHECK(s->sigma() == Approx(largest).epsilon(0.01));
    }
  CHECK_FALSE(torch::allclose(plain->forward(x), normalised->forward(x)));

  MLPDiscriminator mlp(MLPDiscriminatorOptions(6).hidden(16).layers(2).spectral_norm(true));
  const auto [mlp_sn, linears] = count(*mlp);
  CHECK(linears == 3);
  CHECK(mlp_sn == 3);
  CHECK(mlp->forward(torch::randn({5, 6})).sizes() == torch::IntArrayRef{5});
}
