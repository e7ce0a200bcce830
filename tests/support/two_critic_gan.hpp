#pragma once
// A GAN with one generator and two discriminators of different widths, written outside
// include/ against gancraft's public interface only (the Model concept): the proof that a user
// can add a multi-network model without touching gancraft's headers. Both critics take a
// non-saturating update on the same real batch and fakes; then G is updated against the sum of
// their generator losses. Used by tests/training/test_model_trainer.cpp and, on 2 ranks, by
// tests/distributed/worker/dist_worker.cpp.
#include <gancraft/gan.hpp>

#include <cstdint>

namespace gancraft::test {

struct TwoCriticGAN {
  int64_t latent_dim = 4;
  models::MLPGenerator g{models::MLPGeneratorOptions(4, 2).hidden(32)};
  models::MLPDiscriminator d1{models::MLPDiscriminatorOptions(2).hidden(32)};
  models::MLPDiscriminator d2{models::MLPDiscriminatorOptions(2).hidden(16).layers(3)};

  void register_networks(Networks& n) {
    n.add("generator", g, NetworkOptions().optimizer(OptimizerOptions::adam(1e-3)))
        .add("d1", d1, NetworkOptions().optimizer(OptimizerOptions::adam(1e-3)))
        .add("d2", d2, NetworkOptions().optimizer(OptimizerOptions::rmsprop(5e-4)));
  }

  StepLosses train_step(ModelStep& step, const torch::data::Example<>& batch) {
    const torch::Tensor& real = batch.data;
    const int64_t n = real.size(0);  // this process's rows
    const losses::NonSaturating loss;
    torch::Tensor fake;
    {
      torch::NoGradGuard no_grad;
      fake = g->forward(step.noise(n, {latent_dim}));
    }
    StepLosses out;
    torch::Tensor d_sum;
    for (auto [name, d] : {std::pair{"d1", &d1}, std::pair{"d2", &d2}}) {
      step.zero_grad(name);
      const torch::Tensor l = loss.discriminator_loss((*d)->forward(real), (*d)->forward(fake));
      l.backward();
      step.update(name);
      out.scalars[std::string(name) + "_loss"] = l.detach();
      d_sum = d_sum.defined() ? d_sum + l.detach() : l.detach();
    }
    step.zero_grad("generator");
    FrozenParameters frozen1(d1->parameters()), frozen2(d2->parameters());
    const torch::Tensor x = g->forward(step.noise(n, {latent_dim}));
    const torch::Tensor g_loss = loss.generator_loss(d1->forward(x)) + loss.generator_loss(d2->forward(x));
    g_loss.backward();
    step.update("generator");
    out.d_loss = d_sum / 2.0;
    out.g_loss = g_loss.detach();
    return out;
  }

  torch::Tensor generate(const torch::Tensor& z) { return g->forward(z); }
};
static_assert(Model<TwoCriticGAN>);

}  // namespace gancraft::test
