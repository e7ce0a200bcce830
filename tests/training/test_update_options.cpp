// Trainer update options: learning-rate schedules, gradient clipping, accumulation, lazy penalties.
#include <gancraft/gan.hpp>

#include "../support/catch.hpp"

#include "../support/test_support.hpp"
#include "fixtures.hpp"

using namespace fixtures;
namespace fs = std::filesystem;

namespace {

/// A generator without BatchNorm, so micro-batches compute exactly what the whole batch does.
gc::models::MLPGenerator plain_generator() {
  return gc::models::MLPGenerator(gc::models::MLPGeneratorOptions(4, 2).hidden(16));
}

/// A penalty that counts its calls and returns a fixed value.
struct CountingPenalty {
  std::shared_ptr<int> calls = std::make_shared<int>(0);
  torch::Tensor penalty(const gc::DiscriminatorFn& d, const torch::Tensor& real, const torch::Tensor&) const {
    ++*calls;
    return 0.25 * d(real).mean() * 0 + 0.25;  // part of the graph, value 0.25
  }
};

double lr_of(torch::optim::Optimizer& opt) { return opt.param_groups()[0].options().get_lr(); }

}  // namespace

TEST_CASE("accumulation over micro-batches makes the same updates as the whole batch", "[options]") {
  auto make = [](int64_t k) {
    torch::manual_seed(8);
    return gc::Trainer(plain_generator(), Critic{}, gc::losses::NonSaturating{},
                       small(6).accumulation(k));
  };
  auto whole = make(1), micro = make(4);
  whole.fit(ring_data());
  micro.fit(ring_data());
  auto a = whole.generator()->parameters(), b = micro.generator()->parameters();
  for (size_t i = 0; i < a.size(); ++i) CHECK(torch::allclose(a[i], b[i], 1e-5, 1e-6));
  auto c = whole.discriminator()->parameters(), d = micro.discriminator()->parameters();
  for (size_t i = 0; i < c.size(); ++i) CHECK(torch::allclose(c[i], d[i], 1e-5, 1e-6));
  CHECK_FALSE(torch::equal(a[0], plain_generator()->parameters()[0]));
  // 32 is not a multiple of 5: refused when the trainer is built.
  CHECK_THAT(gancraft::test::error_message<gc::OptionError>([&] { make(5); }),
             ContainsText("accumulation (5) must be >= 1 and divide batch_size (32)"));
}

TEST_CASE("clip_grad_norm bounds each network's gradient norm before its step", "[options]") {
  // The gradients the optimizers stepped with: D's after each D update, G's after each step
  // (they stay in place until the next update clears them).
  struct NormProbe {
    std::shared_ptr<std::vector<double>> d_norms = std::make_shared<std::vector<double>>();
    std::shared_ptr<std::vector<double>> g_norms = std::make_shared<std::vector<double>>();
    static double norm(torch::nn::Module& m) {
      double sq = 0;
      for (auto& p : m.parameters())
        if (p.grad().defined()) sq += p.grad().pow(2).sum().item<double>();
      return std::sqrt(sq);
    }
    void on_discriminator_step_end(gc::TrainingContext& ctx) { d_norms->push_back(norm(ctx.discriminator_module())); }
    void on_step_end(const gc::StepReport&, gc::TrainingContext& ctx) { g_norms->push_back(norm(ctx.generator_module())); }
  };
  auto run = [](double clip) {
    torch::manual_seed(9);
    auto t = gc::Trainer(BnGen{}, Critic{}, gc::losses::NonSaturating{}, small(5).clip_grad_norm(clip));
    auto& probe = t.add_hook(NormProbe{});
    t.fit(ring_data());
    return std::pair{*probe.d_norms, *probe.g_norms};
  };
  const auto [free_d, free_g] = run(0);
  const auto [clipped_d, clipped_g] = run(1e-3);
  REQUIRE(free_d.size() == 5);
  REQUIRE(free_g.size() == 5);
  REQUIRE(clipped_g.size() == 5);
  // Clipping has work to do on both networks ...
  CHECK(*std::min_element(free_d.begin(), free_d.end()) > 1e-3);
  CHECK(*std::min_element(free_g.begin(), free_g.end()) > 1e-3);
  // ... and both step with gradients of norm 1e-3: clipped to the bound, not below it.
  for (double n : clipped_d) CHECK(n == Approx(1e-3).epsilon(1e-3));
  for (double n : clipped_g) CHECK(n == Approx(1e-3).epsilon(1e-3));
}

TEST_CASE("penalty_every applies the penalty lazily, weighted, and resumes exactly", "[options]") {
  auto make = [](int64_t steps, CountingPenalty p) {
    torch::manual_seed(10);
    return gc::Trainer(BnGen{}, Critic{}, gc::with_penalty(gc::losses::NonSaturating{}, p),
                       small(steps).penalty_every(4));
  };
  struct PenaltyLog {
    std::shared_ptr<std::vector<std::pair<int64_t, double>>> seen = std::make_shared<std::vector<std::pair<int64_t, double>>>();
    void on_step_end(const gc::StepReport& r) {
      if (r.scalars.count("penalty")) seen->emplace_back(r.step, r.scalars.at("penalty"));
    }
  };
  CountingPenalty p;
  auto t = make(12, p);
  auto& log = t.add_hook(PenaltyLog{});
  t.fit(ring_data());
  CHECK(*p.calls == 3);
  REQUIRE(log.seen->size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    CHECK((*log.seen)[i].first == static_cast<int64_t>(4 * (i + 1)));
    CHECK((*log.seen)[i].second == Approx(4 * 0.25));  // weighted by k
  }
  // Resume from step 6: the count of discriminator updates comes back with the step.
  const fs::path dir = gancraft::test::fresh_dir("options_lazy_resume");
  {
    auto first = make(6, CountingPenalty{});
    first.add_hook(gc::hooks::Checkpointer(dir, gc::hooks::CheckpointerOptions().every(100)));
    first.fit(ring_data());
  }
  CountingPenalty q;
  auto second = make(12, q);
  second.resume(dir);
  second.fit(ring_data());
  CHECK(*q.calls == 2);  // updates 8 and 12
  CHECK(identical(state_of(*t.discriminator()), state_of(*second.discriminator())));
}

TEST_CASE("a linear learning-rate schedule decays both rates and resumes exactly", "[options]") {
  struct RateLog {
    std::shared_ptr<std::vector<double>> g = std::make_shared<std::vector<double>>(), d = std::make_shared<std::vector<double>>();
    void on_step_end(const gc::StepReport&, gc::TrainingContext& ctx) {
      g->push_back(lr_of(ctx.generator_optimizer()));
      d->push_back(lr_of(ctx.discriminator_optimizer()));
    }
  };
  auto make = [](int64_t steps) {
    torch::manual_seed(11);
    // TTUR: D at 4e-4, G at 1e-4, both decayed from step 5 to 0 at step 15.
    return gc::Trainer(BnGen{}, Critic{}, gc::losses::NonSaturating{},
                       small(steps).steps(15).g_optimizer(gc::OptimizerOptions::adam(1e-4))
                           .d_optimizer(gc::OptimizerOptions::adam(4e-4))
                           .lr_schedule(gc::LrSchedule::linear(5)));
  };
  auto t = make(15);
  auto& rates = t.add_hook(RateLog{});
  t.fit(ring_data());
  REQUIRE(rates.g->size() == 15);
  for (int64_t s = 1; s <= 15; ++s) {
    const double f = s <= 5 ? 1.0 : 1.0 - static_cast<double>(s - 5) / 10.0;
    INFO("step " << s);
    CHECK((*rates.g)[s - 1] == Approx(1e-4 * f).margin(1e-15));
    CHECK((*rates.d)[s - 1] == Approx(4e-4 * f).margin(1e-15));
  }
  CHECK(rates.g->back() == 0.0);
  const fs::path dir = gancraft::test::fresh_dir("options_schedule_resume");
  {
    auto first = make(15);
    struct StopAt { bool on_step_end(const gc::StepReport& r) { return r.step == 8; } };
    first.add_hook(StopAt{});
    first.add_hook(gc::hooks::Checkpointer(dir, gc::hooks::CheckpointerOptions().every(100)));
    first.fit(ring_data());
  }
  auto second = make(15);
  auto& later = second.add_hook(RateLog{});
  CHECK(second.resume(dir).step == 8);
  second.fit(ring_data());
  REQUIRE(later.g->size() == 7);
  for (size_t i = 0; i < 7; ++i) CHECK((*later.g)[i] == Approx((*rates.g)[8 + i]).margin(1e-15));
  CHECK(identical(state_of(*t.generator()), state_of(*second.generator())));
}
