// Plugging your own modules, loss and hook into gancraft: the README's first example, plus a
// user-written loss (a least-squares variant with a margin) and a hook that keeps the best step.
//
//   custom_modules            # prints the learned mean/std of N(3, 0.5) and the best step
#include <gancraft/gan.hpp>

#include <iostream>
#include <limits>

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

/// A user-written loss: any struct with these two members is a gc::Loss.
struct SoftLeastSquares {
  double margin = 0.9;  // real target below 1, a mild label smoothing
  torch::Tensor discriminator_loss(const torch::Tensor& real, const torch::Tensor& fake) {
    return 0.5 * (real - margin).square().mean() + 0.5 * fake.square().mean();
  }
  torch::Tensor generator_loss(const torch::Tensor& fake) {
    return 0.5 * (fake - margin).square().mean();
  }
};
static_assert(gc::Loss<SoftLeastSquares>);

/// A user-written hook: reads the losses every 100 steps and remembers the step where the
/// generator loss was lowest; stops early if the losses stop being finite.
struct BestStep {
  int64_t* best_step;
  double best = std::numeric_limits<double>::infinity();
  int64_t interval() const { return 100; }
  bool on_step_end(const gc::StepReport& r) {
    if (!r.g_loss) return false;
    if (!std::isfinite(*r.g_loss)) return true;  // ask the trainer to stop
    if (*r.g_loss < best) {
      best = *r.g_loss;
      *best_step = r.step;
    }
    return false;
  }
};

int main() {
  torch::manual_seed(0);
  torch::Tensor real = torch::randn({4096, 1}) * 0.5 + 3.0;
  auto trainer = gc::Trainer(Gen{}, Critic{}, SoftLeastSquares{},
      gc::TrainerOptions().latent_dim(8).batch_size(128).steps(4000).seed(1));
  int64_t best_step = 0;
  trainer.add_hook(BestStep{&best_step});
  trainer.add_hook(gc::hooks::ProgressBar(gc::hooks::ProgressBarOptions().interval(500)));
  trainer.fit(real);
  torch::Tensor x = trainer.sample(4000);
  std::cout << "learned mean " << x.mean().item<double>() << " std " << x.std().item<double>()
            << " (target 3, 0.5); lowest generator loss at step " << best_step << "\n";
}
