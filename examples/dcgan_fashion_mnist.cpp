// DCGAN on Fashion-MNIST: the main job. Trains on the CPU (or CUDA with --device cuda) and
// writes a run directory:
//   OUT/config.json            the options this run used
//   OUT/metrics.jsonl          one JSON line of losses per logged step
//   OUT/samples/step-NNNNNN.png  8x8 grids of a fixed latent batch
//   OUT/checkpoints/step-NNNNNN/ generator, discriminator, optimizers, progress (+ OUT/checkpoints/latest)
//
//   dcgan_fashion_mnist --out runs/fmnist --steps 3000
//   dcgan_fashion_mnist --out runs/fmnist --steps 10000 --resume   # continue exactly where it stopped
// Ctrl-C (or SIGTERM) finishes the current step, writes a checkpoint and exits; a second Ctrl-C
// exits at once. A NaN blow-up rolls back to the last checkpoint with halved learning rates.
#include <gancraft/gan.hpp>

#include "example_args.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>

namespace gc = gancraft;
namespace fs = std::filesystem;

int main(int argc, char** argv) try {
  examples::Args args(argc, argv,
                      {{"data", "/usr/share/datasets/fashion-mnist"},
                       {"out", "runs/dcgan-fashion-mnist"},
                       {"steps", "2300"},
                       {"batch-size", "64"},
                       {"latent-dim", "100"},
                       {"base-width", "32"},
                       {"seed", "1"},
                       {"threads", "1"},
                       {"sample-every", "250"},
                       {"checkpoint-every", "1000"},
                       {"log-every", "10"},
                       {"device", "cpu"}},
                      {"resume"});
  if (args.help()) {
    std::cout << "usage: dcgan_fashion_mnist [options]\noptions:" << args.known() << "\n";
    return 0;
  }
  const fs::path out = args.str("out");
  const bool resume = args.flag("resume");
  if (!resume && fs::exists(out / "checkpoints"))
    throw gc::OptionError(out.string() + " already holds a run; pass --resume to continue it or choose another --out");

  const int64_t latent = args.integer("latent-dim");
  const int64_t width = args.integer("base-width");
  auto options = gc::TrainerOptions()
                     .latent_dim(latent)
                     .batch_size(args.integer("batch-size"))
                     .steps(args.integer("steps"))
                     .seed(static_cast<uint64_t>(args.integer("seed")))
                     .threads(static_cast<int>(args.integer("threads")))
                     .device(torch::Device(args.str("device")))
                     .stop_on_signal(true);  // Ctrl-C / SIGTERM: finish the step, checkpoint, exit

  // The data set loads (and checks) before anything is written.
  gc::data::FashionMNIST data(args.str("data"), gc::data::Split::Train);
  std::cout << "Fashion-MNIST: " << data.images().size(0) << " training images from " << args.str("data") << "\n";

  torch::manual_seed(static_cast<uint64_t>(args.integer("seed")));  // weight initialisation
  auto trainer = gc::Trainer(
      gc::models::DCGANGenerator(gc::models::DCGANGeneratorOptions(28).latent_dim(latent).base_width(width)),
      gc::models::DCGANDiscriminator(gc::models::DCGANDiscriminatorOptions(28).base_width(width)),
      gc::losses::NonSaturating{}, options);

  if (resume && !gc::list_checkpoints(out / "checkpoints").empty()) {
    auto info = trainer.resume(out / "checkpoints");  // exact: weights, optimizers, data order, RNGs
    std::cout << "resumed from " << info.checkpoint.string() << "\n";
  }
  fs::create_directories(out);
  std::ofstream(out / "config.json") << nlohmann::json{
      {"model", "dcgan"}, {"image_size", 28}, {"base_width", width}, {"latent_dim", latent},
      {"loss", "non_saturating"}, {"batch_size", options.batch_size()}, {"steps", *options.steps()},
      {"seed", options.seed()}, {"threads", *options.threads()}, {"optimizer", "adam(2e-4, 0.5, 0.999)"},
      {"data", args.str("data")}}.dump(2) << "\n";

  trainer.add_hook(gc::hooks::ProgressBar());
  trainer.add_hook(gc::hooks::DivergenceGuard(gc::hooks::DivergenceGuardOptions()
                                                  .interval(args.integer("log-every"))
                                                  .policy(gc::hooks::DivergencePolicy::Rollback)
                                                  .checkpoint_root(out / "checkpoints")));
  trainer.add_hook(gc::hooks::JsonlLogger(out / "metrics.jsonl", args.integer("log-every")));
  trainer.add_hook(gc::hooks::SampleGrid(out / "samples",
                                         gc::hooks::SampleGridOptions().every(args.integer("sample-every"))));
  trainer.add_hook(gc::hooks::Checkpointer(out / "checkpoints",
                                           gc::hooks::CheckpointerOptions().every(args.integer("checkpoint-every")).keep_last(3)));
  trainer.fit(data.images());
  if (trainer.interrupted()) {
    std::cout << "interrupted at step " << trainer.step() << "; checkpoint saved. Continue with --resume\n";
    return 0;
  }
  std::cout << "done: " << trainer.step() << " steps; samples in " << (out / "samples").string() << "\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "dcgan_fashion_mnist: " << e.what() << "\n";
  return 1;
}
