// Compile-time probe (scripts/bench.sh, docs/performance.md): the tiny 1-D GAN trained with
// gancraft's Trainer. Compiled without a precompiled header; compare with torch_only.cpp.
#include <gancraft/gan.hpp>

namespace gc = gancraft;

struct GenImpl : torch::nn::Module {
  torch::nn::Sequential net{nullptr};
  GenImpl() {
    net = register_module("net", torch::nn::Sequential(torch::nn::Linear(8, 32), torch::nn::ReLU(),
                                                       torch::nn::Linear(32, 32), torch::nn::ReLU(),
                                                       torch::nn::Linear(32, 1)));
  }
  torch::Tensor forward(torch::Tensor z) { return net->forward(z); }
};
TORCH_MODULE(Gen);

struct CriticImpl : torch::nn::Module {
  torch::nn::Sequential net{nullptr};
  CriticImpl() {
    net = register_module("net", torch::nn::Sequential(torch::nn::Linear(1, 32), torch::nn::LeakyReLU(),
                                                       torch::nn::Linear(32, 1)));
  }
  torch::Tensor forward(torch::Tensor x) { return net->forward(x); }
};
TORCH_MODULE(Critic);

int main() {
  torch::Tensor real = torch::randn({4096, 1}) * 0.5 + 3.0;
  auto trainer = gc::Trainer(Gen{}, Critic{}, gc::losses::NonSaturating{},
                             gc::TrainerOptions().latent_dim(8).batch_size(128).steps(100).seed(1));
  trainer.fit(real);
  return trainer.sample(16).size(0) == 16 ? 0 : 1;
}
