// hooks::Evaluate: logged values recomputed independently, training undisturbed, best
// checkpoint, exact log after a resume.
#include <gancraft/gan.hpp>
#include <gancraft/hooks/evaluate.hpp>

#include "../support/test_support.hpp"
#include "../training/fixtures.hpp"

#include "../support/catch.hpp"
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>

using namespace fixtures;
namespace gm = gancraft::metrics;
namespace fs = std::filesystem;

namespace {

using RingTrainer = gc::Trainer<BnGen, Critic, gc::losses::NonSaturating>;

RingTrainer make(int64_t steps) {
  torch::manual_seed(42);
  return RingTrainer(BnGen{}, Critic{}, gc::losses::NonSaturating{}, small(steps));
}

/// The samples themselves are the features: 2-D, so FD is cheap and exact to recompute.
const gm::FeatureExtractor identity = [](const torch::Tensor& x) { return x; };

std::vector<nlohmann::json> read_log(const fs::path& p) {
  std::ifstream in(p);
  std::vector<nlohmann::json> out;
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

}  // namespace

TEST_CASE("Evaluate logs values that recompute independently, without disturbing training", "[metrics][evaluate]") {
  const fs::path dir = gc::test::fresh_dir("evaluate_log");
  const auto opts = gc::hooks::EvaluateOptions().every(50).samples(500).batch_size(128).seed(9);
  auto with = make(200);
  auto& hook = with.add_hook(gc::hooks::Evaluate(dir / "eval.jsonl", identity, ring_data(), opts));
  torch::manual_seed(42);
  const double untrained = gm::frechet_distance(ring_data(), BnGen{}->forward(torch::randn({500, 4})).detach());
  with.fit(ring_data());
  auto without = make(200);
  without.fit(ring_data());
  // Evaluation draws from its own stream and generates in eval mode: training is unchanged.
  CHECK(identical(state_of(*with.generator()), state_of(*without.generator())));
  CHECK(identical(state_of(*with.discriminator()), state_of(*without.discriminator())));

  const auto log = read_log(dir / "eval.jsonl");
  REQUIRE(log.size() == 4);
  CHECK(log[0]["step"] == 50);
  CHECK(log[3]["step"] == 200);
  CHECK(log[3]["samples"] == 500);
  REQUIRE(hook.history().size() == 4);
  // The last value, recomputed here from the same latents with the trained generator.
  const torch::Tensor z = torch::randn({500, 4}, gc::make_generator(9));
  const double fd = gm::frechet_distance(ring_data(), with.generate(z));
  CHECK(log[3]["fd"].get<double>() == Approx(fd).epsilon(1e-6));
  CHECK(hook.history().back().values.at("fd") == log[3]["fd"].get<double>());
  // Training learns the ring: far closer than the untrained generator.
  INFO("untrained FD " << untrained << ", after 200 steps " << fd);
  CHECK(fd < 0.5 * untrained);
}

TEST_CASE("Evaluate keeps the best checkpoint and a resumed run logs the same bytes", "[metrics][evaluate][checkpoint]") {
  const fs::path dir = gc::test::fresh_dir("evaluate_resume");
  const auto opts = [&](const fs::path& run) {
    return gc::hooks::EvaluateOptions().every(40).samples(400).seed(3).best_checkpoint(run / "best");
  };
  // Uninterrupted.
  auto whole = make(200);
  auto& whole_hook = whole.add_hook(gc::hooks::Evaluate(dir / "a" / "eval.jsonl", identity, ring_data(), opts(dir / "a")));
  whole.fit(ring_data());
  const auto log = read_log(dir / "a" / "eval.jsonl");
  REQUIRE(log.size() == 5);
  size_t best = 0;
  for (size_t i = 1; i < log.size(); ++i)
    if (log[i]["fd"].get<double>() < log[best]["fd"].get<double>()) best = i;
  REQUIRE(whole_hook.best().has_value());
  CHECK(whole_hook.best()->step == log[best]["step"].get<int64_t>());
  // The best checkpoint holds that step and loads.
  std::ifstream state(dir / "a" / "best" / "state.json");
  CHECK(nlohmann::json::parse(state)["step"] == log[best]["step"]);
  CHECK_NOTHROW(gc::verify_checkpoint(dir / "a" / "best"));

  // Killed after step 160 with its last checkpoint at 100, then resumed to 200.
  {
    auto first = make(160);
    first.add_hook(gc::hooks::Evaluate(dir / "b" / "eval.jsonl", identity, ring_data(), opts(dir / "b")));
    first.add_hook(gc::hooks::Checkpointer(dir / "b" / "ckpt", gc::hooks::CheckpointerOptions().every(100).save_on_end(false)));
    first.fit(ring_data());
  }
  auto second = make(200);
  auto& second_hook = second.add_hook(gc::hooks::Evaluate(dir / "b" / "eval.jsonl", identity, ring_data(), opts(dir / "b")));
  CHECK(second.resume(dir / "b" / "ckpt").step == 100);
  second.fit(ring_data());
  CHECK(gc::test::read_bytes(dir / "b" / "eval.jsonl") == gc::test::read_bytes(dir / "a" / "eval.jsonl"));
  REQUIRE(second_hook.best().has_value());
  CHECK(second_hook.best()->step == whole_hook.best()->step);

  // Resuming the finished run (its checkpoint is at 200) adds no second line for step 200.
  {
    auto more = make(200);
    more.add_hook(gc::hooks::Checkpointer(dir / "b" / "ckpt", gc::hooks::CheckpointerOptions().every(100)));
    more.resume(dir / "b" / "ckpt");
    more.fit(ring_data());  // saves step 200 (save_on_end)
  }
  auto again = make(200);
  again.add_hook(gc::hooks::Evaluate(dir / "b" / "eval.jsonl", identity, ring_data(), opts(dir / "b")));
  CHECK(again.resume(dir / "b" / "ckpt").step == 200);
  again.fit(ring_data());
  CHECK(gc::test::read_bytes(dir / "b" / "eval.jsonl") == gc::test::read_bytes(dir / "a" / "eval.jsonl"));
}

TEST_CASE("Evaluate logs null for a diverged generator instead of ending the run", "[metrics][evaluate]") {
  const fs::path dir = gc::test::fresh_dir("evaluate_nan");
  const gm::FeatureExtractor nan_features = [](const torch::Tensor& x) { return x * std::nan(""); };
  auto t = make(20);
  auto& hook = t.add_hook(gc::hooks::Evaluate(dir / "eval.jsonl", nan_features, ring_data(),
                                              gc::hooks::EvaluateOptions().every(10).samples(100)));
  CHECK_NOTHROW(t.fit(ring_data()));
  const auto log = read_log(dir / "eval.jsonl");
  REQUIRE(log.size() == 2);
  CHECK(log[0]["fd"].is_null());
  CHECK_FALSE(hook.best().has_value());
}

TEST_CASE("Evaluate computes every metric it is given", "[metrics][evaluate]") {
  const fs::path dir = gc::test::fresh_dir("evaluate_all");
  torch::manual_seed(1);
  torch::nn::Linear classifier(2, 5);
  auto t = make(20);
  auto& hook = t.add_hook(gc::hooks::Evaluate(dir / "eval.jsonl", identity, ring_data(),
      gc::hooks::EvaluateOptions().every(20).samples(300).best_by("recall")
          .metrics({gc::hooks::Metric::FrechetDistance, gc::hooks::Metric::Kid,
                    gc::hooks::Metric::PrecisionRecall, gc::hooks::Metric::DensityCoverage,
                    gc::hooks::Metric::InceptionScore})
          .kid(gm::KidOptions().subsets(10).subset_size(100))
          .logits(gm::module_extractor(classifier)).is_splits(3)));
  t.fit(ring_data());
  const auto log = read_log(dir / "eval.jsonl");
  REQUIRE(log.size() == 1);
  for (const char* k : {"fd", "kid", "kid_std", "precision", "recall", "density", "coverage", "is", "is_std"}) {
    INFO(k);
    CHECK(log[0].contains(k));
  }
  CHECK(log[0]["precision"].get<double>() >= 0.0);
  CHECK(log[0]["recall"].get<double>() <= 1.0);
  CHECK(log[0]["is"].get<double>() >= 1.0);
  CHECK(log[0]["is"].get<double>() <= 5.0);
  CHECK(hook.best()->step == 20);
}

TEST_CASE("Evaluate refuses bad options, naming them", "[metrics][evaluate]") {
  const auto real = ring_data();
  using gc::hooks::Evaluate, gc::hooks::EvaluateOptions, gc::hooks::Metric;
  auto msg = gc::test::error_message<gc::OptionError>([&] {
    Evaluate("e.jsonl", identity, real, EvaluateOptions().metrics({Metric::InceptionScore}));
  });
  CHECK_THAT(msg, ContainsText("needs EvaluateOptions::logits"));
  msg = gc::test::error_message<gc::OptionError>([&] {
    Evaluate("e.jsonl", identity, real, EvaluateOptions().metrics({Metric::Kid}).samples(100));
  });
  CHECK_THAT(msg, ContainsText("KID subset size 1000 exceeds"));
  msg = gc::test::error_message<gc::OptionError>([&] { Evaluate("e.jsonl", identity, real, EvaluateOptions().best_by("fid")); });
  CHECK_THAT(msg, ContainsText("best_by \"fid\""));
  msg = gc::test::error_message<gc::ShapeError>([&] { Evaluate("e.jsonl", identity, torch::zeros({5}), EvaluateOptions()); });
  CHECK_THAT(msg, ContainsText("real features must be [N, D]"));
  // Caught at construction, not after `every` steps of training.
  msg = gc::test::error_message<gc::OptionError>([&] {
    Evaluate("e.jsonl", identity, real, EvaluateOptions().best_by("kid").best_checkpoint("best"));
  });
  CHECK_THAT(msg, ContainsText("best_by \"kid\" picks the best checkpoint but is not among the chosen metrics"));
  msg = gc::test::error_message<gc::OptionError>([&] { Evaluate("e.jsonl", identity, real, EvaluateOptions().samples(2)); });
  CHECK_THAT(msg, ContainsText("more samples than features (2): EvaluateOptions::samples is 2"));
  msg = gc::test::error_message<gc::OptionError>([&] {
    Evaluate("e.jsonl", identity, real, EvaluateOptions().samples(50).metrics({Metric::DensityCoverage}).density_coverage_k(50));
  });
  CHECK_THAT(msg, ContainsText("density_coverage_k must be in [1, 49]"));
}
