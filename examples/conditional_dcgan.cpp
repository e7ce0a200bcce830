// A class-conditional DCGAN on Fashion-MNIST: ask for a trouser, get a trouser. Writes
//   OUT/samples/step-NNNNNN.png  10x10 grids, one class per row (row r = class r, legend below)
//   OUT/classes.png              the final grid
//   OUT/checkpoints/             as dcgan_fashion_mnist (resume with --resume)
//
//   conditional_dcgan --out runs/cdcgan --steps 2000                  # projection discriminator
//   conditional_dcgan --out runs/acgan --steps 2000 --head acgan      # AC-GAN
//   conditional_dcgan … --classifier tools/data/fd_fmnist.pt          # + how often the bundled
//                       Fashion-MNIST classifier (92.4% on real test images) names the asked class
//
// Rows: 0 T-shirt/top, 1 trouser, 2 pullover, 3 dress, 4 coat, 5 sandal, 6 shirt, 7 sneaker,
// 8 bag, 9 ankle boot.
#include <gancraft/gan.hpp>

#include "example_args.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>

namespace gc = gancraft;
namespace fs = std::filesystem;
using namespace gc::models;

namespace {

/// Trains one conditional pair on the data and writes the grids and checkpoints.
template <class D, class L>
int train(D discriminator, L loss, const examples::Args& args, const gc::data::FashionMNIST& data) {
  const fs::path out = args.str("out");
  const int64_t latent = args.integer("latent-dim"), width = args.integer("base-width");
  auto trainer = gc::Trainer(
      ConditionalDCGANGenerator(ConditionalDCGANGeneratorOptions(
          DCGANGeneratorOptions(28).latent_dim(latent).base_width(width), 10)),
      std::move(discriminator), std::move(loss),
      gc::TrainerOptions()
          .latent_dim(latent)
          .num_classes(10)
          .batch_size(args.integer("batch-size"))
          .steps(args.integer("steps"))
          .seed(static_cast<uint64_t>(args.integer("seed")))
          .threads(static_cast<int>(args.integer("threads")))
          .stop_on_signal(true));
  if (args.flag("resume") && !gc::list_checkpoints(out / "checkpoints").empty())
    std::cout << "resumed from " << trainer.resume(out / "checkpoints").checkpoint.string() << "\n";
  trainer.add_hook(gc::hooks::ProgressBar());
  // 100 images, 10 per row: row r shows class r.
  const auto grid = gc::hooks::SampleGridOptions().every(args.integer("sample-every")).count(100).nrow(10);
  trainer.add_hook(gc::hooks::SampleGrid(out / "samples", grid));
  trainer.add_hook(gc::hooks::Checkpointer(out / "checkpoints", gc::hooks::CheckpointerOptions().every(1000).keep_last(2)));
  trainer.fit(data.images(), data.labels());
  // The same picture on demand: ten samples of each class.
  const torch::Tensor labels = torch::arange(100, torch::kLong).div(10, "floor");
  gc::io::save_grid(out / "classes.png", trainer.sample(labels), 10);
  std::cout << (trainer.interrupted() ? "interrupted; continue with --resume. " : "done. ")
            << "One class per row: " << (out / "classes.png").string() << "\n";
  if (!args.str("classifier").empty()) {
    // Conditional accuracy: 1,000 samples per class, labelled by an independent classifier.
    auto classifier = gc::metrics::load_fd_fmnist_classifier(args.str("classifier"));
    torch::NoGradGuard no_grad;
    nlohmann::json per_class = nlohmann::json::array();
    double total = 0;
    for (int64_t k = 0; k < 10; ++k) {
      const torch::Tensor predicted = classifier->forward(trainer.sample(torch::full({1000}, k, torch::kLong))).argmax(1);
      const double accuracy = predicted.eq(k).to(torch::kDouble).mean().item<double>();
      per_class.push_back(accuracy);
      total += accuracy / 10;
    }
    const nlohmann::json report = {{"step", trainer.step()}, {"conditional_accuracy", total}, {"per_class", per_class}};
    std::ofstream(out / "class_accuracy.json") << report.dump(1) << "\n";
    std::cout << "the classifier names the asked class for " << 100 * total << "% of samples: " << report.dump() << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) try {
  examples::Args args(argc, argv,
                      {{"data", "/usr/share/datasets/fashion-mnist"},
                       {"out", "runs/conditional-dcgan"},
                       {"head", "projection"},
                       {"steps", "2000"},
                       {"batch-size", "64"},
                       {"latent-dim", "100"},
                       {"base-width", "32"},
                       {"seed", "1"},
                       {"threads", "1"},
                       {"sample-every", "250"},
                       {"classifier", ""}},
                      {"resume"});
  if (args.help()) {
    std::cout << "usage: conditional_dcgan [options]  (--head projection|acgan)\noptions:" << args.known() << "\n";
    return 0;
  }
  const std::string head = args.str("head");
  if (head != "projection" && head != "acgan") throw gc::OptionError("--head must be projection or acgan, got " + head);
  gc::data::FashionMNIST data(args.str("data"), gc::data::Split::Train);
  torch::manual_seed(static_cast<uint64_t>(args.integer("seed")));  // weight initialisation
  const auto d_options = ConditionalDCGANDiscriminatorOptions(
      DCGANDiscriminatorOptions(28).base_width(args.integer("base-width")), 10);
  if (head == "projection")
    return train(ProjectionDCGANDiscriminator(d_options), gc::losses::NonSaturating{}, args, data);
  return train(AuxiliaryDCGANDiscriminator(d_options), gc::losses::AuxiliaryClassifier(gc::losses::NonSaturating{}),
               args, data);
} catch (const std::exception& e) {
  std::cerr << "conditional_dcgan: " << e.what() << "\n";
  return 1;
}
