// Concept conformance on small mock types, a user-written loss in the Trainer, and the
// Trainer's validation of its options, modules and data.
#include <gancraft/gan.hpp>

#include "../support/catch.hpp"

#include "what_contains.hpp"

#include <cmath>
#include <memory>

namespace gc = gancraft;
using gancraft::test::WhatContains;

namespace {

// ---- modules ---------------------------------------------------------------------------------

/// G: [N, 4] -> [N, out].
struct TinyGenImpl : torch::nn::Module {
  torch::nn::Sequential net{nullptr};
  explicit TinyGenImpl(int64_t out = 2) {
    net = register_module("net", torch::nn::Sequential(torch::nn::Linear(4, 8), torch::nn::ReLU(),
                                                       torch::nn::Linear(8, out)));
  }
  torch::Tensor forward(torch::Tensor z) { return net->forward(z); }
};
TORCH_MODULE(TinyGen);

/// D: [N, 2] -> [N, scores].
struct TinyDiscImpl : torch::nn::Module {
  torch::nn::Sequential net{nullptr};
  explicit TinyDiscImpl(int64_t scores = 1) {
    net = register_module("net",
                          torch::nn::Sequential(torch::nn::Linear(2, 8), torch::nn::LeakyReLU(),
                                                torch::nn::Linear(8, scores)));
  }
  torch::Tensor forward(torch::Tensor x) { return net->forward(x); }
};
TORCH_MODULE(TinyDisc);

// ---- concept mocks ---------------------------------------------------------------------------

struct PlainForward {  // has forward, is not a module, and has no operator->
  torch::Tensor forward(torch::Tensor z) { return z; }
};
struct PlainForwardImpl {  // behind a shared_ptr: -> works, but *p is not a Module
  torch::Tensor forward(torch::Tensor z) { return z; }
  std::vector<torch::Tensor> parameters() { return {}; }
};
struct TwoInputImpl : torch::nn::Module {
  torch::Tensor forward(torch::Tensor a, torch::Tensor b) { return a + b; }
};
TORCH_MODULE(TwoInput);
struct NoForwardImpl : torch::nn::Module {
  torch::nn::Linear fc{register_module("fc", torch::nn::Linear(2, 2))};
};
TORCH_MODULE(NoForward);

static_assert(gc::Generator<TinyGen> && gc::Discriminator<TinyDisc>);
static_assert(gc::Generator<std::shared_ptr<TinyGenImpl>>);
static_assert(gc::Discriminator<std::shared_ptr<TinyDiscImpl>>);
static_assert(!gc::Generator<PlainForward>);
static_assert(!gc::Generator<std::shared_ptr<PlainForwardImpl>>);
static_assert(!gc::Generator<TwoInput> && !gc::Discriminator<TwoInput>);
static_assert(!gc::Generator<NoForward> && !gc::Discriminator<NoForward>);
static_assert(!gc::Generator<int> && !gc::Discriminator<int>);
static_assert(!gc::Generator<TinyGenImpl>);  // the Impl itself is not a handle

struct NoDiscriminatorLoss {
  torch::Tensor generator_loss(const torch::Tensor& f) { return f.mean(); }
};
struct NoGeneratorLoss {
  torch::Tensor discriminator_loss(const torch::Tensor& r, const torch::Tensor& f) {
    return f.mean() - r.mean();
  }
};
struct DoubleDiscriminatorLoss {
  double discriminator_loss(const torch::Tensor&, const torch::Tensor&) { return 0.0; }
  torch::Tensor generator_loss(const torch::Tensor& f) { return f.mean(); }
};

/// A user loss (the non-saturating loss written out), counting its calls and batch sizes.
struct CountingLoss {
  int* d_calls;
  int* g_calls;
  int64_t* last_n;
  torch::Tensor discriminator_loss(const torch::Tensor& r, const torch::Tensor& f) {
    ++*d_calls;
    *last_n = r.dim() == 1 && f.dim() == 1 && r.size(0) == f.size(0) ? r.size(0) : -1;
    return torch::softplus(-r).mean() + torch::softplus(f).mean();
  }
  torch::Tensor generator_loss(const torch::Tensor& f) {
    ++*g_calls;
    return torch::softplus(-f).mean();
  }
};

static_assert(!gc::Loss<NoDiscriminatorLoss>);
static_assert(!gc::Loss<NoGeneratorLoss>);
static_assert(!gc::Loss<DoubleDiscriminatorLoss>);
static_assert(!gc::Loss<int>);
static_assert(gc::Loss<CountingLoss>);
static_assert(gc::Loss<gc::losses::NonSaturating> && gc::Loss<gc::losses::Minimax> &&
              gc::Loss<gc::losses::LeastSquares> && gc::Loss<gc::losses::Wasserstein> &&
              gc::Loss<gc::losses::Hinge> && gc::Loss<gc::losses::RelativisticAverage>);

struct BeginPlain { void on_train_begin() {} };
struct BeginCtx { void on_train_begin(gc::TrainingContext&) {} };
struct StepPlain { void on_step_end(const gc::StepReport&) {} };
struct StepCtxStop {
  bool on_step_end(const gc::StepReport&, gc::TrainingContext&) { return false; }
};
struct EpochIndex { void on_epoch_end(int64_t) {} };
struct EpochPlain { void on_epoch_end() {} };
struct EpochCtx { void on_epoch_end(int64_t, gc::TrainingContext&) {} };
struct EndPlain { void on_train_end() {} };
struct EndCtx { void on_train_end(gc::TrainingContext&) {} };
struct DStep { void on_discriminator_step_end(gc::TrainingContext&) {} };
struct EmptyHook {};
struct IntervalOnly { int64_t interval() const { return 1; } };
struct MisnamedHook { void on_step(const gc::StepReport&) {} };

static_assert(gc::Hook<BeginPlain> && gc::Hook<BeginCtx>);
static_assert(gc::Hook<StepPlain> && gc::Hook<StepCtxStop>);
static_assert(gc::Hook<EpochIndex> && gc::Hook<EpochPlain> && gc::Hook<EpochCtx>);
static_assert(gc::Hook<EndPlain> && gc::Hook<EndCtx>);
static_assert(gc::Hook<DStep>);
static_assert(!gc::Hook<EmptyHook> && !gc::Hook<IntervalOnly> && !gc::Hook<MisnamedHook>);
static_assert(!gc::Hook<int>);

struct UserPenalty {
  torch::Tensor penalty(const gc::DiscriminatorFn& d, const torch::Tensor& r,
                        const torch::Tensor&) {
    return d(r).square().mean();
  }
};
struct DoublePenalty {
  double penalty(const gc::DiscriminatorFn&, const torch::Tensor&, const torch::Tensor&) {
    return 0;
  }
};
struct TwoArgPenalty {
  torch::Tensor penalty(const gc::DiscriminatorFn&, const torch::Tensor& r) { return r.sum(); }
};

static_assert(gc::Penalty<gc::penalties::GradientPenalty> && gc::Penalty<gc::penalties::R1> &&
              gc::Penalty<gc::penalties::R2> && gc::Penalty<UserPenalty>);
static_assert(!gc::Penalty<DoublePenalty> && !gc::Penalty<TwoArgPenalty> &&
              !gc::Penalty<EmptyHook> && !gc::Penalty<gc::losses::Wasserstein>);

// ---- helpers ---------------------------------------------------------------------------------

torch::Tensor gaussian_data(int64_t n, int64_t features = 2) {
  auto gen = gc::make_generator(17);
  return torch::randn({n, features}, gen) * 0.5 + 1.0;
}

gc::TrainerOptions small_options() {
  return gc::TrainerOptions().latent_dim(4).batch_size(16).steps(5).seed(3);
}

std::vector<torch::Tensor> snapshot(torch::nn::Module& m) {
  std::vector<torch::Tensor> out;
  for (auto& p : m.parameters()) out.push_back(p.detach().clone());
  return out;
}
bool all_changed_and_finite(torch::nn::Module& m, const std::vector<torch::Tensor>& before) {
  auto now = m.parameters();
  bool changed = false;
  for (size_t i = 0; i < now.size(); ++i) {
    if (!torch::isfinite(now[i]).all().item<bool>()) return false;
    if (!torch::equal(now[i], before[i])) changed = true;
  }
  return changed;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// 5. A user-written loss in the Trainer
// ---------------------------------------------------------------------------------------------

TEST_CASE("a user-written loss plugs into Trainer and trains", "[core][trainer]") {
  torch::manual_seed(0);
  int d_calls = 0, g_calls = 0;
  int64_t last_n = 0;
  auto trainer = gc::Trainer(TinyGen{}, TinyDisc{}, CountingLoss{&d_calls, &g_calls, &last_n},
                             small_options());
  auto g_before = snapshot(*trainer.generator());
  auto d_before = snapshot(*trainer.discriminator());
  trainer.fit(gaussian_data(64));
  CHECK(trainer.step() == 5);
  CHECK(d_calls == 5);  // AlternatingPolicy, one D update per G update
  CHECK(g_calls == 5);
  CHECK(last_n == 16);  // scores arrive flattened to [batch_size]
  CHECK(all_changed_and_finite(*trainer.generator(), g_before));
  CHECK(all_changed_and_finite(*trainer.discriminator(), d_before));
  CHECK(trainer.sample(3).sizes() == torch::IntArrayRef({3, 2}));
}

TEST_CASE("a user loss with_penalty trains and reports its penalty", "[core][trainer]") {
  torch::manual_seed(0);
  int d_calls = 0, g_calls = 0;
  int64_t last_n = 0;
  struct PenaltySeen {
    int* steps_with_penalty;
    void on_step_end(const gc::StepReport& r) {
      auto it = r.scalars.find("penalty");
      if (it != r.scalars.end() && std::isfinite(it->second) && it->second > 0)
        ++*steps_with_penalty;
    }
  };
  int seen = 0;
  auto trainer = gc::Trainer(
      TinyGen{}, TinyDisc{},
      gc::with_penalty(CountingLoss{&d_calls, &g_calls, &last_n}, gc::penalties::R1{}),
      small_options().d_steps_per_g_step(2));
  trainer.add_hook(PenaltySeen{&seen});
  trainer.fit(gaussian_data(64));
  CHECK(d_calls == 10);
  CHECK(g_calls == 5);
  CHECK(seen == 5);
}

// ---------------------------------------------------------------------------------------------
// 6. Trainer validation
// ---------------------------------------------------------------------------------------------

namespace {
void make_trainer(gc::TrainerOptions options) {
  auto t = gc::Trainer(TinyGen{}, TinyDisc{}, gc::losses::NonSaturating{}, options);
}
void make_trainer_with_two_scores() {
  auto t = gc::Trainer(TinyGen{}, TinyDisc(2), gc::losses::NonSaturating{}, small_options());
}
void make_trainer_with_mismatched_output() {
  auto t = gc::Trainer(TinyGen(3), TinyDisc{}, gc::losses::NonSaturating{}, small_options());
}
void fit_with(const torch::Tensor& real, gc::TrainerOptions options = small_options()) {
  auto t = gc::Trainer(TinyGen{}, TinyDisc{}, gc::losses::NonSaturating{}, options);
  t.fit(real);
}
}  // namespace

TEST_CASE("Trainer rejects steps and epochs together", "[core][trainer][validation]") {
  CHECK_THROWS_MATCHES(make_trainer(small_options().epochs(2)), gc::OptionError,
                       WhatContains("steps") && WhatContains("epochs"));
  CHECK_NOTHROW(make_trainer(small_options()));
  CHECK_NOTHROW(make_trainer(gc::TrainerOptions().latent_dim(4).batch_size(16).epochs(1)));
}

TEST_CASE("Trainer checks latent_dim against the generator", "[core][trainer][validation]") {
  CHECK_THROWS_MATCHES(make_trainer(small_options().latent_dim(3)), gc::ShapeError,
                       WhatContains("latent_dim"));
  CHECK_THROWS_MATCHES(make_trainer(small_options().latent_dim(100)), gc::ShapeError,
                       WhatContains("latent_dim = 100"));
}

TEST_CASE("Trainer checks the discriminator's score shape", "[core][trainer][validation]") {
  // TinyDisc(2) returns [N, 2]: the message shows that shape, not the flattened [2N].
  CHECK_THROWS_MATCHES(make_trainer_with_two_scores(), gc::ShapeError,
                       WhatContains("discriminator returned shape [2, 2] for a batch of 2; it must return one "
                                    "score per sample ([2] or [2, 1])"));
}

TEST_CASE("Trainer checks that the discriminator takes the generator's output",
          "[core][trainer][validation]") {
  CHECK_THROWS_MATCHES(make_trainer_with_mismatched_output(), gc::ShapeError,
                       WhatContains("discriminator rejected"));
}

TEST_CASE("Trainer::fit validates the real data", "[core][trainer][validation]") {
  SECTION("wrong per-sample shape") {
    CHECK_THROWS_MATCHES(fit_with(gaussian_data(64, 3)), gc::ShapeError,
                         WhatContains("[3]") && WhatContains("[2]"));
    CHECK_THROWS_AS(fit_with(gaussian_data(64).reshape({64, 1, 2})), gc::ShapeError);
  }
  SECTION("integer dtype") {
    CHECK_THROWS_MATCHES(fit_with(torch::ones({64, 2}, torch::kLong)), gc::ShapeError,
                         WhatContains("floating point"));
  }
  SECTION("batch larger than the data") {
    CHECK_THROWS_MATCHES(fit_with(gaussian_data(8)), gc::ShapeError, WhatContains("batch_size"));
    CHECK_NOTHROW(fit_with(gaussian_data(16)));  // exactly one batch is enough
  }
}
