#pragma once
// The three GANs of bench_gan_step (docs/performance.md), built identically for the gancraft
// Trainer and the hand-written LibTorch loop, plus the bits every bench prints.
#include <gancraft/gan.hpp>

#include <sys/resource.h>

#include <cstdint>
#include <string>

namespace bench {

/// Peak resident set size of this process in MiB (Linux reports ru_maxrss in KiB).
inline double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

/// A maxout layer (Goodfellow et al. 2013, arXiv:1302.4389): a Linear to units·pieces features,
/// then the maximum over each unit's pieces. The PacGAN discriminator is built from these.
struct MaxoutImpl : torch::nn::Module {
  MaxoutImpl(int64_t in, int64_t units, int64_t pieces)
      : units(units), pieces(pieces),
        linear(register_module("linear", torch::nn::Linear(in, units * pieces))) {}
  torch::Tensor forward(const torch::Tensor& x) {
    return std::get<0>(linear->forward(x).view({x.size(0), units, pieces}).max(2));
  }
  int64_t units, pieces;
  torch::nn::Linear linear;
};
TORCH_MODULE(Maxout);

/// PacGAN's 2-D discriminator (Lin et al. 2018, arXiv:1712.04086, appendix): three maxout
/// layers of 200 units × 5 pieces, then a Linear to one logit.
struct PacDiscriminatorImpl : torch::nn::Module {
  PacDiscriminatorImpl() {
    net = register_module("net", torch::nn::Sequential(Maxout(2, 200, 5), Maxout(200, 200, 5),
                                                       Maxout(200, 200, 5),
                                                       torch::nn::Linear(200, 1)));
  }
  torch::Tensor forward(const torch::Tensor& x) { return net->forward(x).reshape({-1}); }
  torch::nn::Sequential net{nullptr};
};
TORCH_MODULE(PacDiscriminator);

/// The tiny 1-D GAN of the core contract: G 8→32→32→1 with ReLU, critic 1→32→1 with LeakyReLU.
struct TinyGeneratorImpl : torch::nn::Module {
  TinyGeneratorImpl() {
    net = register_module("net", torch::nn::Sequential(
                                     torch::nn::Linear(8, 32), torch::nn::ReLU(),
                                     torch::nn::Linear(32, 32), torch::nn::ReLU(),
                                     torch::nn::Linear(32, 1)));
  }
  torch::Tensor forward(const torch::Tensor& z) { return net->forward(z); }
  torch::nn::Sequential net{nullptr};
};
TORCH_MODULE(TinyGenerator);

struct TinyCriticImpl : torch::nn::Module {
  TinyCriticImpl() {
    net = register_module("net", torch::nn::Sequential(torch::nn::Linear(1, 32),
                                                       torch::nn::LeakyReLU(),
                                                       torch::nn::Linear(32, 1)));
  }
  torch::Tensor forward(const torch::Tensor& x) { return net->forward(x); }
  torch::nn::Sequential net{nullptr};
};
TORCH_MODULE(TinyCritic);

/// Everything that defines one benchmark model: sizes, optimizers, data.
struct Spec {
  std::string name;
  int64_t latent = 0;
  int64_t batch = 0;
  double lr = 2e-4, beta1 = 0.5, beta2 = 0.999;
  /// Synthetic real data (the values do not change the work), drawn from its own seeded stream.
  torch::Tensor data;
};

inline Spec spec(const std::string& model) {
  Spec s;
  s.name = model;
  at::Generator g = gancraft::make_generator(2);
  if (model == "dcgan") {
    s.latent = 100;
    s.batch = 64;
    s.data = torch::rand({64 * 50, 1, 28, 28}, g) * 2 - 1;
  } else if (model == "mlp") {
    s.latent = 2;
    s.batch = 100;
    s.lr = 1e-4;
    s.beta1 = 0.8;
    s.data = torch::randn({100 * 100, 2}, g);
  } else if (model == "tiny") {
    s.latent = 8;
    s.batch = 128;
    s.data = torch::randn({128 * 100, 1}, g) * 0.5 + 3.0;
  } else {
    throw std::invalid_argument("unknown model '" + model + "' (use dcgan, mlp or tiny)");
  }
  return s;
}

namespace gm = gancraft::models;

/// Calls `f(G, D)` with freshly built networks of `model`, initialised from LibTorch's global
/// generator seeded with `init_seed` (so two calls build identical networks).
template <class F>
decltype(auto) with_models(const std::string& model, uint64_t init_seed, F&& f) {
  torch::manual_seed(init_seed);
  if (model == "dcgan")
    return f(gm::DCGANGenerator(gm::DCGANGeneratorOptions(28).latent_dim(100)),
             gm::DCGANDiscriminator(gm::DCGANDiscriminatorOptions(28)));
  if (model == "mlp")
    return f(gm::MLPGenerator(gm::MLPGeneratorOptions(2, 2).hidden(400).layers(4).batch_norm(true)),
             PacDiscriminator());
  return f(TinyGenerator(), TinyCritic());
}

}  // namespace bench
