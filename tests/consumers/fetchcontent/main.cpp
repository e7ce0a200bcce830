// The README's contract program, consumed through FetchContent with only the LibTorch's
// cmake_prefix_path given: everything up to the marker below is README.md's first example,
// verbatim; the lines after it check what it learned and print the version for the driver.
#include <iostream>
#include <gancraft/gan.hpp>
namespace gc = gancraft;

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

int main() {
  torch::Tensor real = torch::randn({4096, 1}) * 0.5 + 3.0;   // a tensor, or a torch::data dataset
  auto trainer = gc::Trainer(Gen{}, Critic{}, gc::losses::NonSaturating{},
      gc::TrainerOptions().latent_dim(8).batch_size(128).steps(4000).seed(1));
  int n = 0;
  trainer.add_hook(StepCounter{&n});
  trainer.add_hook(gc::hooks::JsonlLogger("run/metrics.jsonl"));
  trainer.fit(real);
  torch::Tensor x = trainer.sample(4000);   // generator output, shape [4000, 1], mean ≈ 3, std ≈ 0.5
  // --- checks (not in the README) ---
  const double mean = x.mean().item<double>(), std = x.std().item<double>();
  std::cout << "gancraft " << gc::version << " (fetchcontent): " << n << " steps, mean " << mean
            << ", std " << std << '\n';
  return n == 4000 && std::abs(mean - 3.0) <= 0.35 && std::abs(std - 0.5) <= 0.25 ? 0 : 1;
}
