// Compile-time probe (scripts/bench.sh, docs/performance.md): the tiny 1-D GAN trained by a
// hand-written LibTorch loop, including only torch/torch.h. Compare with with_gancraft.cpp.
#include <torch/torch.h>

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
  Gen g;
  Critic d;
  torch::optim::Adam g_opt(g->parameters(), torch::optim::AdamOptions(2e-4).betas({0.5, 0.999}));
  torch::optim::Adam d_opt(d->parameters(), torch::optim::AdamOptions(2e-4).betas({0.5, 0.999}));
  for (int step = 0; step < 100; ++step) {
    torch::Tensor batch = real.index_select(0, torch::randint(4096, {128}, torch::kLong));
    torch::Tensor fake;
    {
      torch::NoGradGuard no_grad;
      fake = g->forward(torch::randn({128, 8}));
    }
    torch::Tensor d_loss = torch::softplus(-d->forward(batch)).mean() + torch::softplus(d->forward(fake)).mean();
    d_opt.zero_grad();
    d_loss.backward();
    d_opt.step();
    torch::Tensor g_loss = torch::softplus(-d->forward(g->forward(torch::randn({128, 8})))).mean();
    g_opt.zero_grad();
    g_loss.backward();
    g_opt.step();
  }
  torch::NoGradGuard no_grad;
  return g->forward(torch::randn({16, 8})).size(0) == 16 ? 0 : 1;
}
