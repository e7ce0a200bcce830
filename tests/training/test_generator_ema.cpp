// hooks::GeneratorEMA: the average's values, sampling through it, checkpoints.
#include <gancraft/gan.hpp>

#include "../support/catch.hpp"

#include "../support/test_support.hpp"
#include "fixtures.hpp"

using namespace fixtures;
namespace fs = std::filesystem;

namespace {

using EmaTrainer = gc::Trainer<BnGen, Critic, gc::losses::NonSaturating>;

EmaTrainer make(int64_t steps) {
  torch::manual_seed(42);
  return EmaTrainer(BnGen{}, Critic{}, gc::losses::NonSaturating{}, small(steps));
}

/// Records G's parameters after every step (added after the EMA hook).
struct Recorder {
  std::shared_ptr<std::vector<std::vector<torch::Tensor>>> seen = std::make_shared<std::vector<std::vector<torch::Tensor>>>();
  std::vector<torch::Tensor> params;
  void on_train_begin(gc::TrainingContext& ctx) { params = ctx.generator_module().parameters(); }
  void on_step_end(const gc::StepReport&) {
    std::vector<torch::Tensor> copy;
    for (const auto& p : params) copy.push_back(p.detach().clone());
    seen->push_back(copy);
  }
};

}  // namespace

TEST_CASE("GeneratorEMA averages the weights with the given decay from the start step", "[ema]") {
  auto t = make(20);
  auto& ema = t.add_hook(gc::hooks::GeneratorEMA(gc::hooks::GeneratorEMAOptions().decay(0.9).start(5)));
  auto& rec = t.add_hook(Recorder{});
  t.fit(ring_data());
  REQUIRE(rec.seen->size() == 20);
  // The same float arithmetic by hand: copies until step 5, then avg = 0.9 avg + 0.1 θ.
  std::vector<torch::Tensor> expected;
  for (size_t step = 1; step <= 20; ++step) {
    const auto& theta = (*rec.seen)[step - 1];
    if (step <= 5) {
      expected.clear();
      for (const auto& p : theta) expected.push_back(p.clone());
    } else {
      for (size_t i = 0; i < expected.size(); ++i) expected[i].mul_(0.9).add_(theta[i], 0.1);
    }
  }
  const auto avg = ema.averaged();
  REQUIRE(avg.size() == expected.size());
  for (size_t i = 0; i < avg.size(); ++i) CHECK(torch::equal(avg[i], expected[i]));
  CHECK_FALSE(torch::equal(avg[0], rec.seen->back()[0]));  // the average lags the weights
}

TEST_CASE("sample and generate use the averaged generator and leave the weights alone", "[ema]") {
  auto t = make(30);
  auto& ema = t.add_hook(gc::hooks::GeneratorEMA(gc::hooks::GeneratorEMAOptions().decay(0.8)));
  t.fit(ring_data());
  const auto before = state_of(*t.generator());
  const auto z = torch::randn({6, 4});
  const auto out = t.generate(z);
  CHECK(identical(before, state_of(*t.generator())));  // swapped back
  // By hand: put the average into G, run it in eval mode, put the weights back.
  auto params = t.generator()->parameters();
  {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < params.size(); ++i) params[i].copy_(ema.averaged()[i]);
    t.generator()->eval();
    CHECK(torch::equal(out, t.generator()->forward(z)));
    t.generator()->train();
    for (size_t i = 0; i < params.size(); ++i) params[i].copy_(before[i]);
  }
  // Without the hook the live weights would give something else.
  t.generator()->eval();
  CHECK_FALSE(torch::equal(out, t.generator()->forward(z).detach()));
  t.generator()->train();
}

TEST_CASE("GeneratorEMA is saved in checkpoints and a resumed run continues it exactly", "[ema][checkpoint]") {
  const fs::path dir = gancraft::test::fresh_dir("ema_resume");
  const auto opts = gc::hooks::GeneratorEMAOptions().decay(0.95).start(3);
  auto whole = make(40);
  auto& whole_ema = whole.add_hook(gc::hooks::GeneratorEMA(opts));
  whole.fit(ring_data());
  {
    auto first = make(17);
    first.add_hook(gc::hooks::GeneratorEMA(opts));
    first.add_hook(gc::hooks::Checkpointer(dir, gc::hooks::CheckpointerOptions().every(100)));
    first.fit(ring_data());
  }
  CHECK(fs::exists(dir / "step-000017" / "extra-generator_ema.pt"));
  auto second = make(40);
  auto& second_ema = second.add_hook(gc::hooks::GeneratorEMA(opts));
  CHECK(second.resume(dir).step == 17);
  second.fit(ring_data());
  for (size_t i = 0; i < whole_ema.averaged().size(); ++i)
    CHECK(torch::equal(whole_ema.averaged()[i], second_ema.averaged()[i]));
  CHECK(torch::equal(whole.sample(8), second.sample(8)));
  // A checkpoint without an average (EMA switched on later) starts it from the weights.
  const fs::path plain = gancraft::test::fresh_dir("ema_plain");
  {
    auto first = make(10);
    first.add_hook(gc::hooks::Checkpointer(plain, gc::hooks::CheckpointerOptions().every(100)));
    first.fit(ring_data());
  }
  auto later = make(11);
  auto& later_ema = later.add_hook(gc::hooks::GeneratorEMA(gc::hooks::GeneratorEMAOptions().start(100)));
  later.resume(plain);
  later.fit(ring_data());
  const auto params = later.generator()->parameters();
  for (size_t i = 0; i < params.size(); ++i) CHECK(torch::equal(later_ema.averaged()[i], params[i]));
  CHECK_THROWS_AS(gc::hooks::GeneratorEMA(gc::hooks::GeneratorEMAOptions().decay(1.0)), gc::OptionError);
}
