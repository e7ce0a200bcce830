// A model of your own on gancraft's training loop (docs/architecture.md): a GAN with two
// discriminators (two_critic_gan.hpp), trained with ModelTrainer on 2-D Gaussian data around
// (2, -1), logged, checkpointed under its networks' names, and resumable.
//
//   two_critic_gan --out run --steps 1500     # prints the samples' mean and spread
//   two_critic_gan --out run --steps 3000     # run again: resumes at 1500 and trains on
#include "two_critic_gan.hpp"

#include "example_args.hpp"

#include <filesystem>
#include <iostream>

namespace gc = gancraft;

int main(int argc, char** argv) try {
  examples::Args args(argc, argv, {{"out", "two_critic_run"}, {"steps", "1500"}});
  if (args.help()) {
    std::cout << "usage: two_critic_gan [--out DIR] [--steps N]\n";
    return 0;
  }
  const std::filesystem::path out = args.str("out");
  torch::manual_seed(4);
  auto trainer = gc::ModelTrainer(two_critic::TwoCriticGAN{},
                                  gc::TrainerOptions().latent_dim(4).batch_size(64).steps(args.integer("steps")).seed(21).threads(1));
  if (!gc::list_checkpoints(out / "checkpoints").empty())
    std::cout << "resumed at step " << trainer.resume(out / "checkpoints").step << "\n";
  trainer.add_hook(gc::hooks::JsonlLogger(out / "metrics.jsonl", 100));  // d_loss, g_loss, d1_loss, d2_loss
  trainer.add_hook(gc::hooks::Checkpointer(out / "checkpoints"));        // generator.pt, d1.pt, d2.pt, ...
  trainer.fit(torch::randn({512, 2}, gc::make_generator(9)) * 0.5 + torch::tensor({2.0, -1.0}));
  const torch::Tensor x = trainer.sample(2000);
  const torch::Tensor mean = x.mean(0), spread = x.std(0);
  std::cout << "step " << trainer.step() << ": samples have mean (" << mean[0].item<double>() << ", "
            << mean[1].item<double>() << ") and spread (" << spread[0].item<double>() << ", "
            << spread[1].item<double>() << "); the data: (2, -1) and (0.5, 0.5)\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "two_critic_gan: " << e.what() << "\n";
  return 1;
}
