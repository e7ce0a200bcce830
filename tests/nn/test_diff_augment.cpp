// DiffAugment: each transformation checked against what it must do, gradients, the wrapper.
#include <gancraft/gan.hpp>
#include <gancraft/nn/diff_augment.hpp>

#include "../support/test_support.hpp"

#include "../support/catch.hpp"

namespace gc = gancraft;

namespace {

/// x shifted by (dy, dx) with zero fill: out[r][c] = x[r + dy][c + dx].
torch::Tensor shifted(const torch::Tensor& x, int64_t dy, int64_t dx) {
  const int64_t h = x.size(-2), w = x.size(-1);
  auto out = torch::zeros_like(x);
  for (int64_t r = 0; r < h; ++r)
    for (int64_t c = 0; c < w; ++c)
      if (r + dy >= 0 && r + dy < h && c + dx >= 0 && c + dx < w)
        out.select(-2, r).select(-1, c).copy_(x.select(-2, r + dy).select(-1, c + dx));
  return out;
}

}  // namespace

TEST_CASE("diff_augment translation shifts each image by at most 1/8, zero-filled", "[nn][diffaugment]") {
  at::Generator gen = gc::make_generator(1);
  const auto x = torch::rand({12, 2, 16, 16}, gen) + 1;  // no zeros of its own
  const auto y = gc::nn::diff_augment(x, gc::nn::DiffAugmentOptions().color(false).cutout(false), gen);
  REQUIRE(y.sizes() == x.sizes());
  int moved = 0;
  for (int64_t i = 0; i < 12; ++i) {
    bool found = false;
    for (int64_t dy = -2; dy <= 2 && !found; ++dy)
      for (int64_t dx = -2; dx <= 2 && !found; ++dx)
        if (torch::equal(y[i], shifted(x[i], dy, dx))) {
          found = true;
          moved += (dy != 0 || dx != 0);
        }
    INFO("image " << i);
    CHECK(found);
  }
  CHECK(moved > 6);  // 24 of 25 shifts move the image
}

TEST_CASE("diff_augment cutout zeroes one square of half the size", "[nn][diffaugment]") {
  at::Generator gen = gc::make_generator(2);
  const auto x = torch::rand({10, 3, 8, 8}, gen) + 1;
  const auto y = gc::nn::diff_augment(x, gc::nn::DiffAugmentOptions().color(false).translation(false), gen);
  for (int64_t i = 0; i < 10; ++i) {
    const auto zero = y[i][0].eq(0);
    // Same mask in every channel; elsewhere the image is untouched.
    for (int64_t c = 1; c < 3; ++c) CHECK(torch::equal(y[i][c].eq(0), zero));
    CHECK(torch::equal(y[i].masked_select(~zero.unsqueeze(0).expand({3, 8, 8})),
                       x[i].masked_select(~zero.unsqueeze(0).expand({3, 8, 8}))));
    // A rectangle of at most 4 x 4 (clipped at the border), at least 2 x 2.
    const auto rows = zero.any(1).nonzero().view(-1), cols = zero.any(0).nonzero().view(-1);
    const int64_t nr = rows.numel(), nc = cols.numel();
    CHECK(nr >= 2);
    CHECK(nr <= 4);
    CHECK(nc >= 2);
    CHECK(nc <= 4);
    CHECK(zero.sum().item<int64_t>() == nr * nc);
    CHECK(rows[-1].item<int64_t>() - rows[0].item<int64_t>() == nr - 1);
  }
}

TEST_CASE("diff_augment colour is an affine map per grey image", "[nn][diffaugment]") {
  // One channel: saturation is the identity, so each image becomes c·x + d with c in [0.5, 1.5].
  at::Generator gen = gc::make_generator(3);
  const auto x = torch::rand({6, 1, 5, 5}, gen, torch::kDouble);
  const auto y = gc::nn::diff_augment(x, gc::nn::DiffAugmentOptions().translation(false).cutout(false), gen);
  for (int64_t i = 0; i < 6; ++i) {
    const auto xi = x[i].flatten(), yi = y[i].flatten();
    const double c = ((yi - yi.mean()) * (xi - xi.mean())).sum().item<double>() / (xi - xi.mean()).pow(2).sum().item<double>();
    const double d = (yi.mean() - c * xi.mean()).item<double>();
    CHECK(torch::allclose(yi, c * xi + d, 1e-9, 1e-9));
    CHECK(c >= 0.5);
    CHECK(c <= 1.5);
  }
}

TEST_CASE("diff_augment is differentiable and repeats for a seed", "[nn][diffaugment]") {
  auto x = torch::rand({4, 3, 8, 8}).requires_grad_(true);
  at::Generator a = gc::make_generator(7), b = gc::make_generator(7);
  const auto y1 = gc::nn::diff_augment(x, {}, a);
  const auto y2 = gc::nn::diff_augment(x, {}, b);
  CHECK(torch::equal(y1, y2));
  (y1 * y1).sum().backward();
  REQUIRE(x.grad().defined());
  CHECK(torch::isfinite(x.grad()).all().item<bool>());
  CHECK(x.grad().abs().sum().item<double>() > 0);
  CHECK_THROWS_AS(gc::nn::diff_augment(torch::rand({4, 2})), gc::ShapeError);
}

TEST_CASE("DiffAugment augments in training mode only and keeps a packer's samples per score", "[nn][diffaugment]") {
  torch::manual_seed(4);
  torch::nn::Sequential d(torch::nn::Flatten(), torch::nn::Linear(64, 1));
  gc::nn::DiffAugment aug(d);
  const auto x = torch::rand({3, 1, 8, 8});
  aug->eval();
  CHECK(torch::equal(aug->forward(x), d->forward(x)));
  aug->train();
  CHECK_FALSE(torch::equal(aug->forward(x), d->forward(x)));
  torch::nn::Sequential pd(torch::nn::Flatten(), torch::nn::Linear(128, 1));
  gc::nn::DiffAugment packed(gc::nn::Pack(pd, 2));
  CHECK(packed->samples_per_score() == 2);
  CHECK(packed->forward(torch::rand({4, 1, 8, 8})).sizes() == torch::IntArrayRef{2, 1});
}

TEST_CASE("a DiffAugment discriminator trains and resumes exactly", "[nn][diffaugment][checkpoint]") {
  const auto dir = gc::test::fresh_dir("nn_diffaugment_resume");
  auto make = [](int64_t steps) {
    torch::manual_seed(6);
    auto g = gc::models::MLPGenerator(gc::models::MLPGeneratorOptions(4, 64).hidden(32).output_shape({1, 8, 8}));
    auto d = gc::nn::DiffAugment(torch::nn::Sequential(torch::nn::Flatten(), torch::nn::Linear(64, 16),
                                                       torch::nn::LeakyReLU(), torch::nn::Linear(16, 1)));
    return gc::Trainer(g, d, gc::losses::NonSaturating{}, gc::TrainerOptions().latent_dim(4).batch_size(16).steps(steps).seed(2));
  };
  at::Generator gen = gc::make_generator(5);
  const auto data = torch::rand({128, 1, 8, 8}, gen) * 2 - 1;
  auto whole = make(10);
  whole.fit(data);
  {
    auto first = make(4);
    first.add_hook(gc::hooks::Checkpointer(dir, gc::hooks::CheckpointerOptions().every(100)));
    first.fit(data);
  }
  auto second = make(10);
  CHECK(second.resume(dir).step == 4);
  second.fit(data);
  // The augmentation's random numbers come from the global generator, which checkpoints save.
  auto pa = whole.discriminator()->parameters(), pb = second.discriminator()->parameters();
  for (size_t i = 0; i < pa.size(); ++i) CHECK(torch::equal(pa[i], pb[i]));
}
