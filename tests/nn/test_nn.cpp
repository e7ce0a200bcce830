// gancraft::nn: spectral normalization, maxout, PacGAN packing.
#include <gancraft/gan.hpp>
#include <gancraft/nn/maxout.hpp>
#include <gancraft/nn/pack.hpp>
#include <gancraft/nn/spectral_norm.hpp>

#include "../support/test_support.hpp"

#include "../support/catch.hpp"

namespace gc = gancraft;
namespace F = torch::nn::functional;

namespace {

double largest_singular_value(const torch::Tensor& m) {
  return torch::linalg_svdvals(m.to(torch::kDouble)).max().item<double>();
}

/// Runs `iters` training-mode forward passes (each does one power iteration).
void iterate(gc::nn::SpectralNorm& sn, const torch::Tensor& x, int iters) {
  torch::NoGradGuard no_grad;
  sn->train();
  for (int i = 0; i < iters; ++i) sn->forward(x);
}

}  // namespace

TEST_CASE("SpectralNorm's estimate converges to the largest singular value", "[nn][spectral]") {
  torch::manual_seed(0);
  SECTION("Linear") {
    torch::nn::Linear lin(30, 20);
    gc::nn::SpectralNorm sn(lin);
    iterate(sn, torch::randn({4, 30}), 200);
    const double svd = largest_singular_value(lin->weight.detach());
    CHECK(std::abs(sn->sigma() - svd) < 0.01 * svd);
  }
  SECTION("Conv2d: the weight as [out, in k k]") {
    torch::nn::Conv2d conv(torch::nn::Conv2dOptions(3, 8, 3));
    gc::nn::SpectralNorm sn(conv);
    iterate(sn, torch::randn({2, 3, 8, 8}), 200);
    const double svd = largest_singular_value(conv->weight.detach().reshape({8, -1}));
    CHECK(std::abs(sn->sigma() - svd) < 0.01 * svd);
  }
  SECTION("ConvTranspose2d: rows are its output channels (weight dimension 1)") {
    torch::nn::ConvTranspose2d conv(torch::nn::ConvTranspose2dOptions(6, 4, 4).stride(2).padding(1));
    gc::nn::SpectralNorm sn(conv);
    iterate(sn, torch::randn({2, 6, 5, 5}), 200);
    const double svd = largest_singular_value(conv->weight.detach().transpose(0, 1).reshape({4, -1}));
    CHECK(std::abs(sn->sigma() - svd) < 0.01 * svd);
    CHECK(sn->forward(torch::randn({2, 6, 5, 5})).sizes() == torch::IntArrayRef{2, 4, 10, 10});
  }
}

TEST_CASE("SpectralNorm computes with W / sigma and trains through it", "[nn][spectral]") {
  torch::manual_seed(1);
  torch::nn::Linear lin(5, 3);
  gc::nn::SpectralNorm sn(lin);
  iterate(sn, torch::randn({1, 5}), 100);
  sn->eval();
  const auto x = torch::randn({4, 5});
  const double sigma = sn->sigma();
  // In eval mode the stored vectors are used as they are: the output is exactly linear with W / σ.
  const auto expected = F::linear(x, lin->weight.detach() / sigma, lin->bias.detach());
  CHECK(torch::allclose(sn->forward(x).detach(), expected, 1e-5, 1e-6));
  CHECK(sn->sigma() == sigma);  // eval mode did not iterate
  // The spectral norm of the effective weight is 1.
  CHECK(largest_singular_value(lin->weight.detach() / sigma) == Approx(1.0).epsilon(0.01));
  // Two training-mode forwards before one backward (D on real, then on fake) work, and the
  // gradient reaches the layer's own weight, which stays the registered parameter.
  sn->train();
  const auto loss = sn->forward(x).sum() - sn->forward(x * 2).sum();
  loss.backward();
  REQUIRE(lin->weight.grad().defined());
  CHECK(lin->weight.grad().abs().sum().item<double>() > 0);
  const auto names = sn->named_parameters().keys();
  CHECK(std::find(names.begin(), names.end(), "module.weight") != names.end());
  const auto buffers = sn->named_buffers().keys();
  CHECK(buffers == std::vector<std::string>{"u", "v"});
}

TEST_CASE("SpectralNorm's estimate is saved and restored", "[nn][spectral]") {
  const auto dir = gc::test::fresh_dir("nn_spectral_save");
  torch::manual_seed(2);
  gc::nn::SpectralNorm a(torch::nn::Linear(6, 4));
  iterate(a, torch::randn({1, 6}), 30);
  torch::save(a, (dir / "sn.pt").string());
  torch::manual_seed(99);
  gc::nn::SpectralNorm b(torch::nn::Linear(6, 4));
  torch::load(b, (dir / "sn.pt").string());
  CHECK(b->sigma() == a->sigma());
  a->eval();
  b->eval();
  const auto x = torch::randn({3, 6});
  CHECK(torch::equal(a->forward(x), b->forward(x)));
}

TEST_CASE("spectral_norm wraps every layer of a Sequential", "[nn][spectral]") {
  torch::nn::Sequential seq(torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 2, 3)), torch::nn::Flatten(),
                            torch::nn::Linear(2 * 6 * 6, 8), torch::nn::ReLU(),
                            torch::nn::ConvTranspose2d(torch::nn::ConvTranspose2dOptions(8, 8, 1)),
                            torch::nn::Flatten(), torch::nn::Linear(8, 1));
  auto sn = gc::nn::spectral_norm(seq);
  int wrapped = 0;
  for (const auto& m : sn->modules(/*include_self=*/false))
    if (dynamic_cast<gc::nn::SpectralNormImpl*>(m.get())) ++wrapped;
  CHECK(wrapped == 4);
  CHECK(sn->size() == seq->size());
  // The parameters are the original layers' (shared), so an optimizer of either trains both.
  CHECK(sn->parameters().size() == seq->parameters().size());
}

TEST_CASE("Maxout takes the maximum over each unit's pieces", "[nn]") {
  torch::manual_seed(3);
  gc::nn::Maxout m(3, 4, 5);
  const auto x = torch::randn({2, 3});
  const auto affine = F::linear(x, m->linear->weight, m->linear->bias).detach();
  const auto out = m->forward(x).detach();
  REQUIRE(out.sizes() == torch::IntArrayRef{2, 4});
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t u = 0; u < 4; ++u)
      CHECK(out[n][u].item<float>() == affine[n].narrow(0, u * 5, 5).max().item<float>());
  CHECK_THROWS_AS(gc::nn::Maxout(3, 0, 5), gc::OptionError);
}

TEST_CASE("Pack scores m consecutive samples as one", "[nn][pack]") {
  torch::manual_seed(4);
  torch::nn::Linear d(3 * 4, 1);
  gc::nn::Pack packed(d, 4);
  const auto x = torch::randn({8, 3});
  const auto scores = packed->forward(x).detach();
  REQUIRE(scores.sizes() == torch::IntArrayRef{2, 1});
  // Tuple 1 is samples 4..7 concatenated.
  const auto tuple = torch::cat({x[4], x[5], x[6], x[7]}).unsqueeze(0);
  CHECK(torch::allclose(scores[1], d->forward(tuple).detach()[0]));
  // Images: concatenated along channels.
  torch::nn::Conv2d conv(torch::nn::Conv2dOptions(2, 1, 1).bias(false));
  gc::nn::Pack images(conv, 2);
  const auto img = torch::randn({4, 1, 3, 3});
  const auto s = images->forward(img).detach();
  CHECK(s.sizes() == torch::IntArrayRef{2, 1, 3, 3});
  CHECK(torch::allclose(s[0], conv->forward(torch::cat({img[0], img[1]}).unsqueeze(0)).detach()[0]));
  const auto msg = gc::test::error_message<gc::ShapeError>([&] { packed->forward(torch::randn({6, 3})); });
  CHECK_THAT(msg, ContainsText("cannot be packed in groups of 4"));
}

TEST_CASE("a packed, spectrally normalised critic trains with a gradient penalty and resumes", "[nn][pack][spectral]") {
  const auto dir = gc::test::fresh_dir("nn_pack_train");
  auto make = [](int64_t steps) {
    torch::manual_seed(5);
    auto g = gc::models::MLPGenerator(gc::models::MLPGeneratorOptions(2, 2).hidden(16));
    auto d = gc::nn::Pack(gc::nn::spectral_norm(torch::nn::Sequential(
        torch::nn::Linear(4, 16), torch::nn::LeakyReLU(), torch::nn::Linear(16, 1))), 2);
    return gc::Trainer(g, d, gc::with_penalty(gc::losses::Wasserstein{}, gc::penalties::GradientPenalty{}),
                       gc::TrainerOptions().latent_dim(2).batch_size(32).steps(steps).seed(3));
  };
  const auto data = gc::data::GaussianMixture::ring().sample(512, 1);
  auto whole = make(30);
  whole.fit(data);
  {
    auto first = make(12);
    first.add_hook(gc::hooks::Checkpointer(dir, gc::hooks::CheckpointerOptions().every(100)));
    first.fit(data);
  }
  auto second = make(30);
  CHECK(second.resume(dir).step == 12);
  second.fit(data);
  // The power-iteration vectors are buffers, restored with the checkpoint: the resumed run
  // equals the uninterrupted one exactly.
  auto a = whole.discriminator()->named_buffers(), b = second.discriminator()->named_buffers();
  REQUIRE(a.size() == 4);  // u and v of both layers
  for (const auto& item : a) CHECK(torch::equal(item.value(), b[item.key()]));
  auto pa = whole.generator()->parameters(), pb = second.generator()->parameters();
  for (size_t i = 0; i < pa.size(); ++i) CHECK(torch::equal(pa[i], pb[i]));
}
