#pragma once
// A GAN with one generator and two discriminators of different widths, written against
// gancraft's public interface only (the Model concept, docs/architecture.md): a model of your
// own needs no change to gancraft's headers. Both critics take a non-saturating update on the
// same real batch and fakes; then G is updated against the sum of their generator losses.
// Trained by two_critic_gan.cpp, and by the tests (tests/training/test_model_trainer.cpp; on 2
// ranks by tests/distributed/worker/dist_worker.cpp).
#include <gancraft/gan.hpp>

#include <cstdint>

namespace two_critic {

namespace gc = gancraft;

struct TwoCriticGAN {
  int64_t latent_dim = 4;
  gc::models::MLPGenerator g{gc::models::MLPGeneratorOptions(4, 2).hidden(32)};
  gc::models::MLPDiscriminator d1{gc::models::MLPDiscriminatorOptions(2).hidden(32)};
  gc::models::MLPDiscriminator d2{gc::models::MLPDiscriminatorOptions(2).hidden(16).layers(3)};

  void register_networks(gc::Networks& n) {
    n.add("generator", g, gc::NetworkOptions().optimizer(gc::OptimizerOptions::adam(1e-3)))
        .add("d1", d1, gc::NetworkOptions().optimizer(gc::OptimizerOptions::adam(1e-3)))
        .add("d2", d2, gc::NetworkOptions().optimizer(gc::OptimizerOptions::rmsprop(5e-4)));
  }

  gc::StepLosses train_step(gc::ModelStep& step, const torch::data::Example<>& batch) {
    const torch::Tensor& real = batch.data;
    const int64_t n = real.size(0);  // this process's rows
    const gc::losses::NonSaturating loss;
    torch::Tensor fake;
    {
      torch::NoGradGuard no_grad;
      fake = g->forward(step.noise(n, {latent_dim}));
    }
    gc::StepLosses out;
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
    gc::FrozenParameters frozen1(d1->parameters()), frozen2(d2->parameters());
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
static_assert(gc::Model<TwoCriticGAN>);

}  // namespace two_critic
