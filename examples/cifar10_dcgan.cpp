// The reference article's CIFAR-10 DCGAN, done right:
//  * 32x32 images as the data set has them (the article resized to 256, which its networks
//    could not take);
//  * the loss on raw logits with a stable softplus form (the article called BCELoss with
//    mismatched arguments and applied sigmoid twice);
//  * the discriminator updated on detached fakes, the generator through a frozen discriminator.
// Needs the binary release (cifar-10-batches-bin) on disk; nothing is downloaded:
//
//   cifar10_dcgan --data /path/to/cifar-10-batches-bin --out runs/cifar10 --steps 20000
#include <gancraft/gan.hpp>

#include "example_args.hpp"

#include <filesystem>
#include <iostream>

namespace gc = gancraft;
namespace fs = std::filesystem;

int main(int argc, char** argv) try {
  examples::Args args(argc, argv,
                      {{"data", ""}, {"out", "runs/cifar10-dcgan"}, {"steps", "20000"},
                       {"batch-size", "128"}, {"seed", "1"}, {"threads", "1"},
                       {"device", "cpu"}, {"sample-every", "500"}, {"checkpoint-every", "2000"}});
  if (args.help() || args.str("data").empty()) {
    std::cout << "usage: cifar10_dcgan --data DIR [options]\n"
                 "  DIR holds data_batch_1.bin .. data_batch_5.bin (the CIFAR-10 binary version)\n"
                 "options:" << args.known() << "\n";
    return args.help() ? 0 : 2;
  }
  const fs::path out = args.str("out");
  if (fs::exists(out / "checkpoints"))
    throw gc::OptionError(out.string() + " already holds a run; choose another --out");
  gc::data::CIFAR10 data(args.str("data"), gc::data::Split::Train);
  std::cout << "CIFAR-10: " << data.images().size(0) << " training images\n";

  torch::manual_seed(static_cast<uint64_t>(args.integer("seed")));
  auto trainer = gc::Trainer(
      gc::models::DCGANGenerator(gc::models::DCGANGeneratorOptions(32).channels(3).latent_dim(100)),
      gc::models::DCGANDiscriminator(gc::models::DCGANDiscriminatorOptions(32).channels(3)),
      gc::losses::NonSaturating{},
      gc::TrainerOptions().latent_dim(100).batch_size(args.integer("batch-size"))
          .steps(args.integer("steps")).seed(static_cast<uint64_t>(args.integer("seed")))
          .threads(static_cast<int>(args.integer("threads"))).device(torch::Device(args.str("device"))));
  trainer.add_hook(gc::hooks::ProgressBar());
  trainer.add_hook(gc::hooks::JsonlLogger(out / "metrics.jsonl", 10));
  trainer.add_hook(gc::hooks::SampleGrid(out / "samples",
                                         gc::hooks::SampleGridOptions().every(args.integer("sample-every"))));
  trainer.add_hook(gc::hooks::Checkpointer(out / "checkpoints",
                                           gc::hooks::CheckpointerOptions().every(args.integer("checkpoint-every")).keep_last(3)));
  trainer.fit(data.images());
  std::cout << "done: samples in " << (out / "samples").string() << "\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "cifar10_dcgan: " << e.what() << "\n";
  return 1;
}
