// ModelTrainer: a model of several named networks written outside include/ (a GAN with two
// discriminators) trains, checkpoints under its networks' names, resumes exactly, and works
// with the existing hooks.
#include <gancraft/gan.hpp>

#include "../support/catch.hpp"

#include "../support/test_support.hpp"
#include "../../examples/two_critic_gan.hpp"
#include "fixtures.hpp"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
namespace gc = gancraft;
using fixtures::identical;
using fixtures::state_of;
using two_critic::TwoCriticGAN;

namespace {

using TwoCriticTrainer = gc::ModelTrainer<TwoCriticGAN>;

/// 2-D Gaussian data around (2, -1) with spread 0.5.
torch::Tensor shifted_gaussian() {
  return torch::randn({512, 2}, gc::make_generator(9)) * 0.5 + torch::tensor({2.0, -1.0});
}

TwoCriticTrainer make(int64_t steps, uint64_t init_seed = 4) {
  torch::manual_seed(init_seed);
  return TwoCriticTrainer(TwoCriticGAN{}, gc::TrainerOptions().latent_dim(4).batch_size(64).steps(steps).seed(21).threads(1));
}

/// Every network's parameters and buffers, then every optimizer's portable state tensors.
std::vector<torch::Tensor> everything_trained(gc::TrainingContext& ctx) {
  std::vector<torch::Tensor> out;
  for (const auto& n : ctx.networks()) {
    for (auto& t : state_of(*n.module)) out.push_back(t);
    if (n.optimizer)
      for (auto& [name, t] : gc::io::portable_state(*n.optimizer).tensors) out.push_back(t.clone());
  }
  return out;
}


}  // namespace

TEST_CASE("a GAN with two discriminators, written outside gancraft, trains through ModelTrainer", "[model]") {
  auto trainer = make(1500);
  const auto names = trainer.networks();
  REQUIRE(names.size() == 3);
  CHECK(names[0].name == "generator");
  CHECK(names[1].name == "d1");
  CHECK(names[2].name == "d2");
  // Each network has the optimizer its NetworkOptions named.
  CHECK(dynamic_cast<torch::optim::Adam*>(names[1].optimizer) != nullptr);
  CHECK(dynamic_cast<torch::optim::RMSprop*>(names[2].optimizer) != nullptr);

  const torch::Tensor real = shifted_gaussian();
  const torch::Tensor before = trainer.sample(2000).mean(0);
  std::vector<gc::StepReport> reports;
  struct Keep {
    std::vector<gc::StepReport>* out;
    void on_step_end(const gc::StepReport& r) { out->push_back(r); }
  };
  trainer.add_hook(Keep{&reports});
  trainer.fit(real);
  REQUIRE(reports.size() == 1500);
  // The model's own scalars reach the hooks, and its d_loss is the mean of the two critics'.
  const auto& last = reports.back();
  REQUIRE(last.scalars.count("d1_loss") == 1);
  REQUIRE(last.scalars.count("d2_loss") == 1);
  CHECK(*last.d_loss == Approx((last.scalars.at("d1_loss") + last.scalars.at("d2_loss")) / 2).epsilon(1e-6));
  // Untrained, the generator's mean is far from the data's (2, -1); trained, it is close.
  const torch::Tensor target = torch::tensor({2.0, -1.0});
  CHECK((before - target).norm().item<double>() > 1.5);
  const torch::Tensor after = trainer.sample(2000);
  CHECK((after.mean(0) - target).norm().item<double>() < 0.3);
  INFO("sample mean " << after.mean(0) << " std " << after.std(0));
  CHECK(after.std(0).min().item<double>() > 0.25);  // not collapsed to a point (the data's is 0.5)
}

TEST_CASE("a two-discriminator model stopped and resumed equals the uninterrupted run, bit for bit", "[model][checkpoint]") {
  const fs::path dir = gancraft::test::fresh_dir("model_resume");
  const torch::Tensor real = shifted_gaussian();
  auto straight = make(40);
  straight.fit(real);

  {
    auto first = make(40);
    first.add_hook(gc::hooks::Checkpointer(dir / "ckpt", gc::hooks::CheckpointerOptions().every(10)));
    struct StopAt {
      bool on_step_end(const gc::StepReport& r) { return r.step == 25; }
    };
    first.add_hook(StopAt{});
    first.fit(real);
    REQUIRE(first.step() == 25);
  }
  // The checkpoint holds each network under its name, with its optimizer.
  const fs::path ckpt = dir / "ckpt" / "step-000025";
  for (const char* f : {"generator.pt", "d1.pt", "d2.pt", "generator_optimizer.json", "d1_optimizer.pt",
                        "d2_optimizer.json", "d2_optimizer.pt", "loop_state.pt", "state.json"})
    CHECK(fs::exists(ckpt / f));
  std::ifstream state_file(ckpt / "state.json");
  const auto state = nlohmann::json::parse(state_file);
  CHECK(state["networks"] == nlohmann::json({"generator", "d1", "d2"}));
  CHECK(state["options"]["networks"][2]["optimizer"] == "rmsprop");

  auto resumed = make(40, /*init_seed=*/99);  // other initial weights: the checkpoint must replace them
  const auto info = resumed.resume(dir / "ckpt");
  CHECK(info.step == 25);
  resumed.fit(real);
  CHECK(resumed.step() == 40);
  CHECK(identical(everything_trained(resumed), everything_trained(straight)));
  // And the comparison can fail: a run from another seed differs.
  auto other = gc::ModelTrainer(TwoCriticGAN{}, gc::TrainerOptions().latent_dim(4).batch_size(64).steps(40).seed(22).threads(1));
  other.fit(real);
  CHECK_FALSE(identical(everything_trained(other), everything_trained(straight)));
}

TEST_CASE("ModelTrainer refuses checkpoints of other models and bad network names, naming them", "[model][checkpoint]") {
  const fs::path dir = gancraft::test::fresh_dir("model_refuse");
  const torch::Tensor real = shifted_gaussian();
  // A plain GAN's checkpoint has no d1 or d2.
  {
    auto gan = gc::Trainer(gc::models::MLPGenerator(gc::models::MLPGeneratorOptions(4, 2).hidden(32)),
                           gc::models::MLPDiscriminator(gc::models::MLPDiscriminatorOptions(2).hidden(32)),
                           gc::losses::NonSaturating{}, gc::TrainerOptions().latent_dim(4).batch_size(64).steps(2));
    gan.fit(real);
    gc::save_checkpoint(gan, dir / "gan");
  }
  auto trainer = make(2);
  const auto before = everything_trained(trainer);
  const std::string why = gancraft::test::error_message([&] { gc::load_checkpoint(trainer, dir / "gan"); });
  CHECK_THAT(why, ContainsText("networks"));
  CHECK_THAT(why, ContainsText("d1"));
  CHECK(identical(everything_trained(trainer), before));  // nothing changed

  // The same names, but d2 was built wider: refused at d2.pt, after the generator's and d1's
  // archives were read, and still nothing changed.
  {
    struct WideD2 : TwoCriticGAN {
      WideD2() { d2 = gc::models::MLPDiscriminator(gc::models::MLPDiscriminatorOptions(2).hidden(24).layers(3)); }
    };
    torch::manual_seed(7);
    auto wide = gc::ModelTrainer(WideD2{}, gc::TrainerOptions().latent_dim(4).batch_size(64).steps(2));
    wide.fit(real);
    gc::save_checkpoint(wide, dir / "wide");
  }
  const std::string shape = gancraft::test::error_message([&] { gc::load_checkpoint(trainer, dir / "wide"); });
  CHECK_THAT(shape, ContainsText("/wide/d2"));
  CHECK_THAT(shape, ContainsText("has shape"));
  CHECK(identical(everything_trained(trainer), before));

  struct BadName {
    std::string name;
    gc::models::MLPGenerator g{gc::models::MLPGeneratorOptions(4, 2)};
    void register_networks(gc::Networks& n) { n.add(name, g); }
    gc::StepLosses train_step(gc::ModelStep&, const torch::data::Example<>&) { return {}; }
  };
  CHECK_THROWS_AS(gc::ModelTrainer(BadName{"Generator"}), gc::OptionError);
  CHECK_THROWS_AS(gc::ModelTrainer(BadName{"loop_state"}), gc::OptionError);
  CHECK_THROWS_AS(gc::ModelTrainer(BadName{"d_optimizer"}), gc::OptionError);
  CHECK_NOTHROW(gc::ModelTrainer(BadName{"painter_2"}));
  // A network asked for by a name the model lacks: the error lists the names it has.
  CHECK_THAT(gancraft::test::error_message([&] { trainer.discriminator_module(); }),
             ContainsText("no network named 'discriminator' (it has generator, d1, d2)"));
}

TEST_CASE("DivergenceGuard and the checkpointer see every network of a model", "[model][checkpoint]") {
  const fs::path dir = gancraft::test::fresh_dir("model_divergence");
  auto trainer = make(20);
  struct Poison {
    gc::models::MLPDiscriminator d2;
    void on_step_end(const gc::StepReport& r) {
      if (r.step == 12) {
        torch::NoGradGuard no_grad;
        d2->parameters()[0].view(-1)[0] = std::numeric_limits<float>::quiet_NaN();
      }
    }
  };
  trainer.add_hook(gc::hooks::Checkpointer(dir / "ckpt", gc::hooks::CheckpointerOptions().every(10)));
  trainer.add_hook(Poison{trainer.model().d2});
  trainer.add_hook(gc::hooks::DivergenceGuard(gc::hooks::DivergenceGuardOptions().interval(1)));
  const std::string why = gancraft::test::error_message([&] { trainer.fit(shifted_gaussian()); });
  CHECK_THAT(why, ContainsText("d2 parameter"));
  CHECK_THAT(why, ContainsText("step 12"));
  // A checkpoint of the poisoned model is refused, naming the network.
  CHECK_THAT(gancraft::test::error_message([&] { gc::save_checkpoint(trainer, dir / "bad"); }),
             ContainsText("d2 parameter"));
  CHECK_FALSE(fs::exists(dir / "bad"));
}

TEST_CASE("each network of a model has its own schedule and clipping, and an untrained network is checkpointed without an optimizer", "[model][checkpoint]") {
  // The two-critic GAN with other NetworkOptions: d2's rate decays linearly to 0, G's
  // gradients are clipped to norm 1e-3, and a third critic is used by nobody and never trained.
  struct Tuned : TwoCriticGAN {
    gc::models::MLPDiscriminator frozen{gc::models::MLPDiscriminatorOptions(2).hidden(8)};
    void register_networks(gc::Networks& n) {
      n.add("generator", g, gc::NetworkOptions().optimizer(gc::OptimizerOptions::adam(1e-3)).clip_grad_norm(1e-3))
          .add("d1", d1, gc::NetworkOptions().optimizer(gc::OptimizerOptions::adam(1e-3)))
          .add("d2", d2, gc::NetworkOptions().optimizer(gc::OptimizerOptions::sgd(0.1)).lr_schedule(gc::LrSchedule::linear(0)))
          .add("fixed", frozen, gc::NetworkOptions().trained(false));
    }
  };
  static_assert(gc::Model<Tuned>);
  struct GradNorm {
    std::vector<double>* norms;
    void on_step_end(const gc::StepReport&, gc::TrainingContext& ctx) {
      double sq = 0;
      for (auto& p : ctx.generator_module().parameters())
        if (p.grad().defined()) sq += p.grad().pow(2).sum().item<double>();
      norms->push_back(std::sqrt(sq));
    }
  };
  const fs::path dir = gancraft::test::fresh_dir("model_options");
  torch::manual_seed(4);
  auto trainer = gc::ModelTrainer(Tuned{}, gc::TrainerOptions().latent_dim(4).batch_size(64).steps(10).seed(21));
  std::vector<double> norms;
  trainer.add_hook(GradNorm{&norms});
  const auto fixed_before = state_of(*trainer.network("fixed").module);
  trainer.fit(shifted_gaussian());
  REQUIRE(norms.size() == 10);
  for (double n : norms) CHECK(n == Approx(1e-3).epsilon(1e-3));
  auto lr = [&](const char* name) { return trainer.network(name).optimizer->param_groups()[0].options().get_lr(); };
  CHECK(lr("d1") == 1e-3);                      // TrainerOptions' schedule: constant
  CHECK(lr("d2") == Approx(0.0).margin(1e-12));  // its own: linear to 0 at the last step
  CHECK(trainer.network("fixed").optimizer == nullptr);
  CHECK(identical(state_of(*trainer.network("fixed").module), fixed_before));
  gc::save_checkpoint(trainer, dir / "c");
  CHECK(fs::exists(dir / "c" / "fixed.pt"));
  CHECK_FALSE(fs::exists(dir / "c" / "fixed_optimizer.json"));
  torch::manual_seed(5);  // other initial weights, restored from the checkpoint
  auto again = gc::ModelTrainer(Tuned{}, gc::TrainerOptions().latent_dim(4).batch_size(64).steps(10).seed(21));
  again.resume(dir / "c");
  CHECK(identical(state_of(*again.network("fixed").module), fixed_before));
  CHECK(identical(everything_trained(again), everything_trained(trainer)));
}

TEST_CASE("Evaluate and GeneratorEMA work on a model through its sampling view", "[model]") {
  const fs::path dir = gancraft::test::fresh_dir("model_evaluate");
  const gc::metrics::FeatureExtractor identity = [](const torch::Tensor& x) { return x; };
  const torch::Tensor real = shifted_gaussian();
  auto trainer = make(400);
  auto& ema = trainer.add_hook(gc::hooks::GeneratorEMA(gc::hooks::GeneratorEMAOptions().decay(0.9)));
  auto& eval = trainer.add_hook(gc::hooks::Evaluate(dir / "eval.jsonl", identity, real,
                                                    gc::hooks::EvaluateOptions().every(200).samples(1000).seed(3)));
  auto plain = make(400);
  plain.fit(real);
  trainer.fit(real);
  // Evaluation and averaging draw nothing from the training stream: training is unchanged.
  CHECK(identical(state_of(*trainer.model().g), state_of(*plain.model().g)));
  REQUIRE(eval.history().size() == 2);
  // Evaluate saw the averaged generator: its FD recomputed here from the EMA weights, on the
  // same latents, differs from that of the generator's own weights.
  auto fd_of = [&](const std::vector<torch::Tensor>& weights) {
    gc::models::MLPGenerator copy(gc::models::MLPGeneratorOptions(4, 2).hidden(32));
    torch::NoGradGuard no_grad;
    auto params = copy->parameters();
    REQUIRE(params.size() == weights.size());
    for (size_t i = 0; i < params.size(); ++i) params[i].copy_(weights[i]);
    const torch::Tensor z = torch::randn({1000, 4}, gc::make_generator(3));
    return gc::metrics::frechet_distance(real, copy->forward(z));
  };
  const double logged = eval.history().back().values.at("fd");
  CHECK(logged == Approx(fd_of(ema.averaged())).epsilon(1e-6));
  CHECK(std::abs(logged - fd_of(trainer.model().g->parameters())) > 1e-6);
  CHECK(logged < 0.2);  // trained: close to the data
}

TEST_CASE("JsonlLogger and ProgressBar show the losses a model reports, whichever they are", "[model]") {
  // A model that reports no discriminator loss, only G's loss and its own scalars (a VAE, say).
  struct OnlyGenerator : TwoCriticGAN {
    gc::StepLosses train_step(gc::ModelStep& step, const torch::data::Example<>& batch) {
      gc::StepLosses out = TwoCriticGAN::train_step(step, batch);
      out.d_loss = torch::Tensor();
      return out;
    }
  };
  const fs::path dir = gancraft::test::fresh_dir("model_logger");
  auto trainer = gc::ModelTrainer(OnlyGenerator{}, gc::TrainerOptions().latent_dim(4).batch_size(64).steps(6));
  trainer.add_hook(gc::hooks::JsonlLogger(dir / "metrics.jsonl", 2));
  std::vector<std::string> lines;
  struct Format {
    std::vector<std::string>* out;
    void on_step_end(const gc::StepReport& r) { out->push_back(gc::hooks::ProgressBar::format(r)); }
  };
  trainer.add_hook(Format{&lines});
  trainer.fit(shifted_gaussian());
  std::ifstream in(dir / "metrics.jsonl");
  std::vector<nlohmann::json> log;
  for (std::string line; std::getline(in, line);) log.push_back(nlohmann::json::parse(line));
  REQUIRE(log.size() == 3);  // steps 2, 4, 6
  CHECK(log[2]["step"] == 6);
  CHECK(log[2].contains("g_loss"));
  CHECK(log[2].contains("d1_loss"));
  CHECK_FALSE(log[2].contains("d_loss"));
  REQUIRE(lines.size() == 6);
  CHECK_THAT(lines.back(), ContainsText("g_loss"));
  CHECK(lines.back().find("d_loss") == std::string::npos);
}
