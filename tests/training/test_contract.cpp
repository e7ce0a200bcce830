// The public contract of issue 2, compiled and run exactly as the README's first example.
#include <gancraft/gan.hpp>

#include "../support/catch.hpp"

#include <filesystem>
#include <fstream>
#include <string>

namespace gc = gancraft;

namespace {
struct GenImpl : torch::nn::Module {
  torch::nn::Sequential net{nullptr};
  GenImpl() { net = register_module("net", torch::nn::Sequential(
      torch::nn::Linear(8, 32), torch::nn::ReLU(), torch::nn::Linear(32, 1))); }
  torch::Tensor forward(torch::Tensor z) { return net->forward(z); }
};
TORCH_MODULE(Gen);
struct CriticImpl : torch::nn::Module {
  torch::nn::Sequential net{nullptr};
  CriticImpl() { net = register_module("net", torch::nn::Sequential(
      torch::nn::Linear(1, 32), torch::nn::LeakyReLU(), torch::nn::Linear(32, 1))); }
  torch::Tensor forward(torch::Tensor x) { return net->forward(x); }
};
TORCH_MODULE(Critic);

static_assert(gc::Generator<Gen> && gc::Discriminator<Critic>);
static_assert(gc::Loss<gc::losses::NonSaturating>);

struct StepCounter {                       // a user hook: any subset of the hook members
  int* n;
  void on_step_end(const gc::StepReport& r) { ++*n; }
};
}  // namespace

TEST_CASE("the contract program learns N(3, 0.5)", "[contract]") {
  const auto dir = std::filesystem::path(GANCRAFT_TEST_TMP) / "contract";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::filesystem::current_path(dir);
  torch::manual_seed(0);  // module initialisation draws from the global generator

  torch::Tensor real = torch::randn({4096, 1}) * 0.5 + 3.0;   // a tensor, or a torch::data dataset
  auto trainer = gc::Trainer(Gen{}, Critic{}, gc::losses::NonSaturating{},
      gc::TrainerOptions().latent_dim(8).batch_size(128).steps(4000).seed(1));
  int n = 0;
  trainer.add_hook(StepCounter{&n});
  trainer.add_hook(gc::hooks::JsonlLogger("run/metrics.jsonl"));
  trainer.fit(real);
  torch::Tensor x = trainer.sample(4000);   // generator output, shape [4000, 1], mean ≈ 3, std ≈ 0.5

  CHECK(n == 4000);
  REQUIRE(x.sizes() == torch::IntArrayRef({4000, 1}));
  const double mean = x.mean().item<double>();
  const double std = x.std().item<double>();
  INFO("mean " << mean << " std " << std);
  CHECK(std::abs(mean - 3.0) <= 0.35);
  CHECK(std::abs(std - 0.5) <= 0.25);

  std::ifstream log("run/metrics.jsonl");
  int lines = 0;
  std::string line, last;
  while (std::getline(log, line)) { ++lines; last = line; }
  CHECK(lines == 4000);
  auto j = nlohmann::json::parse(last);
  CHECK(j["step"] == 4000);
  CHECK(std::isfinite(j["d_loss"].get<double>()));
  CHECK(std::isfinite(j["g_loss"].get<double>()));
}
