// Behaviour of the training loop: determinism, sampling isolation, schedules, hooks, checkpoints.
#include <gancraft/gan.hpp>

#include "../support/catch.hpp"

#include "fixtures.hpp"

#include <filesystem>
#include <fstream>
#include <vector>

namespace gc = gancraft;
namespace fs = std::filesystem;

using namespace fixtures;

namespace {
/// Trains from a fixed initialisation and returns (G state, D state).
template <class Loss = gc::losses::NonSaturating, class... Hooks>
std::pair<std::vector<torch::Tensor>, std::vector<torch::Tensor>> train(gc::TrainerOptions o,
                                                                        Loss loss = {},
                                                                        Hooks... hooks) {
  torch::manual_seed(42);
  auto t = gc::Trainer(BnGen{}, Critic{}, loss, o);
  (t.add_hook(hooks), ...);
  t.fit(ring_data());
  return {state_of(*t.generator()), state_of(*t.discriminator())};
}

struct SampleEvery {
  gc::Trainer<BnGen, Critic, gc::losses::NonSaturating>* trainer = nullptr;
  int64_t interval() const { return 0; }
  void on_step_end(const gc::StepReport& r, gc::TrainingContext& ctx) {
    ctx.generate(torch::randn({7, 4}));  // from outside the training stream
    if (trainer != nullptr) trainer->sample(9);
  }
};

}  // namespace

TEST_CASE("same seed and threads repeat bit for bit, another seed differs", "[trainer]") {
  auto one = train(small(60));
  auto two = train(small(60));
  CHECK(identical(one.first, two.first));
  CHECK(identical(one.second, two.second));
  auto other = train(small(60).seed(6));
  CHECK_FALSE(identical(one.first, other.first));
}

TEST_CASE("sampling during training changes nothing that training does", "[trainer]") {
  auto plain = train(small(40));
  torch::manual_seed(42);
  auto t = gc::Trainer(BnGen{}, Critic{}, gc::losses::NonSaturating{}, small(40));
  t.add_hook(SampleEvery{&t});
  t.fit(ring_data());
  CHECK(identical(plain.first, state_of(*t.generator())));
  CHECK(identical(plain.second, state_of(*t.discriminator())));
}

TEST_CASE("sampling a generator with dropout does not move the global random stream", "[trainer]") {
  struct DropGenImpl : torch::nn::Module {
    torch::nn::Linear a{nullptr}, b{nullptr};
    torch::nn::Dropout drop{nullptr};
    DropGenImpl() {
      a = register_module("a", torch::nn::Linear(4, 16));
      drop = register_module("drop", torch::nn::Dropout(0.2));
      b = register_module("b", torch::nn::Linear(16, 2));
    }
    torch::Tensor forward(torch::Tensor z) { return b(drop(torch::relu(a(z)))); }
  };
  auto run = [](bool sample) {
    torch::manual_seed(42);
    auto t = gc::Trainer(std::make_shared<DropGenImpl>(), Critic{}, gc::losses::NonSaturating{},
                         small(20).sample_mode(gc::SampleMode::BatchStatistics));
    struct Sampler {
      bool on;
      int64_t interval() const { return 0; }
      void on_step_end(const gc::StepReport&, gc::TrainingContext& ctx) {
        if (on) ctx.generate(torch::ones({8, 4}));
      }
    };
    t.add_hook(Sampler{sample});
    t.fit(ring_data());
    return state_of(*t.generator());
  };
  CHECK(identical(run(false), run(true)));
}

TEST_CASE("sample() leaves BatchNorm statistics and the mode untouched", "[trainer]") {
  for (auto mode : {gc::SampleMode::Eval, gc::SampleMode::BatchStatistics}) {
    torch::manual_seed(1);
    auto t = gc::Trainer(BnGen{}, Critic{}, gc::losses::NonSaturating{}, small(10).sample_mode(mode));
    t.fit(ring_data());
    auto before = state_of(*t.generator());
    const bool training = t.generator()->is_training();
    torch::Tensor x = t.sample(100);
    CHECK(x.sizes() == torch::IntArrayRef({100, 2}));
    CHECK_FALSE(x.requires_grad());
    CHECK(identical(before, state_of(*t.generator())));
    CHECK(t.generator()->is_training() == training);
  }
}

TEST_CASE("eval-mode sampling uses running statistics, batch mode uses the batch", "[trainer]") {
  torch::manual_seed(1);
  auto t = gc::Trainer(BnGen{}, Critic{}, gc::losses::NonSaturating{}, small(10));
  t.fit(ring_data());
  torch::Tensor z = torch::randn({50, 4});
  t.generator()->eval();
  torch::Tensor expected_eval = t.generator()->forward(z).detach();
  t.generator()->train();
  CHECK(torch::allclose(t.generate(z), expected_eval));
  // In eval mode a sample does not depend on the rest of its batch.
  CHECK(torch::allclose(t.generate(z.narrow(0, 0, 5)), expected_eval.narrow(0, 0, 5)));
}

TEST_CASE("d_steps_per_g_step runs n discriminator updates per generator update", "[trainer]") {
  struct Count {
    int64_t* d;
    int64_t interval() const { return 0; }
    void on_discriminator_step_end(gc::TrainingContext&) { ++*d; }
  };
  int64_t d_updates = 0;
  torch::manual_seed(3);
  auto t = gc::Trainer(BnGen{}, Critic{}, gc::losses::Wasserstein{},
                       small(7).d_steps_per_g_step(5));
  t.add_hook(Count{&d_updates});
  t.fit(ring_data());
  CHECK(d_updates == 35);
  CHECK(t.step() == 7);
}

TEST_CASE("epochs: passes over the data, with on_epoch_end after each", "[trainer]") {
  struct Epochs {
    std::vector<int64_t>* seen;
    void on_epoch_end(int64_t e) { seen->push_back(e); }
  };
  std::vector<int64_t> seen;
  torch::manual_seed(3);
  // 512 samples / 32 = 16 batches per epoch; 2 D steps per G step → 8 G steps per epoch.
  auto t = gc::Trainer(BnGen{}, Critic{}, gc::losses::NonSaturating{},
                       gc::TrainerOptions().latent_dim(4).batch_size(32).epochs(3).d_steps_per_g_step(2));
  t.add_hook(Epochs{&seen});
  t.fit(ring_data());
  CHECK(t.step() == 24);
  CHECK(t.epoch() == 3);
  CHECK(seen == std::vector<int64_t>{1, 2, 3});
}

TEST_CASE("hooks: interval decides when losses are read, true from on_step_end stops", "[trainer]") {
  struct Reader {
    std::vector<std::pair<int64_t, bool>>* log;
    int64_t interval() const { return 4; }
    bool on_step_end(const gc::StepReport& r) {
      log->emplace_back(r.step, r.d_loss.has_value() && r.g_loss.has_value());
      return r.step == 10;
    }
  };
  std::vector<std::pair<int64_t, bool>> log;
  torch::manual_seed(3);
  auto t = gc::Trainer(BnGen{}, Critic{}, gc::losses::NonSaturating{}, small(100));
  t.add_hook(Reader{&log});
  t.fit(ring_data());
  REQUIRE(log.size() == 10);
  for (auto [step, has] : log) CHECK(has == (step % 4 == 0));
  CHECK(t.step() == 10);
}

TEST_CASE("a hook without interval() gets losses every step, with extra scalars", "[trainer]") {
  struct All {
    int* with;
    void on_step_end(const gc::StepReport& r) {
      if (r.d_loss && r.g_loss && r.scalars.count("d_real") && r.scalars.count("d_fake")) ++*with;
    }
  };
  int with = 0;
  torch::manual_seed(3);
  auto t = gc::Trainer(BnGen{}, Critic{}, gc::with_penalty(gc::losses::Wasserstein{}, gc::penalties::GradientPenalty{}), small(6));
  struct Pen {
    int* n;
    void on_step_end(const gc::StepReport& r) { if (r.scalars.count("penalty")) ++*n; }
  };
  int pen = 0;
  t.add_hook(All{&with});
  t.add_hook(Pen{&pen});
  t.fit(ring_data());
  CHECK(with == 6);
  CHECK(pen == 6);
}

TEST_CASE("WeightClip keeps every critic weight within [-c, c]", "[trainer]") {
  torch::manual_seed(3);
  auto t = gc::Trainer(BnGen{}, Critic{}, gc::losses::Wasserstein{},
                       small(5).d_steps_per_g_step(5).d_optimizer(gc::OptimizerOptions::rmsprop(5e-2)));
  t.add_hook(gc::WeightClip(0.01));
  t.fit(ring_data());
  for (auto& p : t.discriminator()->parameters()) CHECK(p.abs().max().item<double>() <= 0.01);
}

TEST_CASE("relativistic loss trains, the real batch reaches the generator loss", "[trainer]") {
  auto a = train(small(20), gc::losses::RelativisticAverage{});
  auto b = train(small(20), gc::losses::RelativisticAverage{});
  CHECK(identical(a.first, b.first));
  for (auto& p : a.first) CHECK(torch::isfinite(p).all().item<bool>());

  // One D step on a real batch, then one G step. D's rate is so small that D's weights stay
  // bit for bit the same whatever the batch, so the only way the real batch can change G's
  // update is through the generator loss: it must for RaSGAN, and must not for NonSaturating.
  auto g_after = [](auto loss, const torch::Tensor& real) {
    torch::manual_seed(42);
    auto t = gc::Trainer(BnGen{}, Critic{}, loss,
                         small(1).g_optimizer(gc::OptimizerOptions::sgd(0.5)).d_optimizer(gc::OptimizerOptions::sgd(1e-30)));
    t.discriminator_step(real);
    t.generator_step();
    return std::pair{state_of(*t.generator()), state_of(*t.discriminator())};
  };
  const torch::Tensor near = ring_data().narrow(0, 0, 32), far = ring_data().narrow(0, 32, 32) * 3.0 + 1.0;
  const auto [ra_g_near, ra_d_near] = g_after(gc::losses::RelativisticAverage{}, near);
  const auto [ra_g_far, ra_d_far] = g_after(gc::losses::RelativisticAverage{}, far);
  REQUIRE(identical(ra_d_near, ra_d_far));  // the same D scored G's fakes in both
  CHECK_FALSE(identical(ra_g_near, ra_g_far));
  const auto [ns_g_near, ns_d_near] = g_after(gc::losses::NonSaturating{}, near);
  const auto [ns_g_far, ns_d_far] = g_after(gc::losses::NonSaturating{}, far);
  REQUIRE(identical(ns_d_near, ns_d_far));
  CHECK(identical(ns_g_near, ns_g_far));
}

TEST_CASE("optimizers: RMSprop and SGD are used as configured", "[trainer]") {
  torch::manual_seed(3);
  auto t = gc::Trainer(BnGen{}, Critic{}, gc::losses::Hinge{},
                       small(1).g_optimizer(gc::OptimizerOptions::sgd(0.1)).d_optimizer(gc::OptimizerOptions::rmsprop(1e-3)));
  CHECK(dynamic_cast<torch::optim::SGD*>(&t.generator_optimizer()) != nullptr);
  CHECK(dynamic_cast<torch::optim::RMSprop*>(&t.discriminator_optimizer()) != nullptr);
  CHECK(dynamic_cast<torch::optim::SGD&>(t.generator_optimizer()).param_groups()[0].options().get_lr() == Approx(0.1));
  CHECK_THROWS_AS(gc::Trainer(BnGen{}, Critic{}, gc::losses::Hinge{}, small(1).g_optimizer(gc::OptimizerOptions::adam(-1))), gc::OptionError);
}

TEST_CASE("fit accepts a map-style torch::data dataset", "[trainer]") {
  torch::Tensor data = ring_data();
  auto ds = torch::data::datasets::TensorDataset(data);
  torch::manual_seed(42);
  auto t = gc::Trainer(BnGen{}, Critic{}, gc::losses::NonSaturating{}, small(30));
  t.fit(ds);
  auto from_tensor = train(small(30));
  // Same indices, same noise: the dataset path gives the same training as the tensor path.
  CHECK(identical(from_tensor.first, state_of(*t.generator())));
}
