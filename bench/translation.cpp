// The translation benchmarks of docs/benchmarks.md: pix2pix (edges → garment) and SRGAN-style
// super-resolution (14×14 → 28×28) on the real Fashion-MNIST, each against its
// non-adversarial baseline, scored on the 10,000 test images.
//
//   bench_translation --task pix2pix|pix2pix-l1|sr|sr-l1|bicubic --out DIR [--steps N]
//                     [--batch 32] [--threads 2] [--seed 0] [--data DIR] [--classifier FILE]
//
// Writes DIR/results.json (FD-FMNIST of the outputs against the real test images, PSNR, SSIM,
// the FD-FMNIST classifier's accuracy on the outputs, training steps/s and seconds) and
// DIR/grid.png (source | output | target of the first 16 test images).
#include <gancraft/gan.hpp>

#include "../examples/example_args.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace gc = gancraft;
namespace fs = std::filesystem;

namespace {

struct Scores {
  torch::Tensor outputs;
  double train_seconds = 0;
  int64_t steps = 0;
};

template <class M>
Scores train_and_translate(M model, const gc::data::PairedImages& train, const torch::Tensor& test_source,
                           const examples::Args& a) {
  gc::ModelTrainer trainer(std::move(model), gc::TrainerOptions()
                                                 .batch_size(a.integer("batch"))
                                                 .steps(a.integer("steps"))
                                                 .seed(static_cast<uint64_t>(a.integer("seed")))
                                                 .threads(a.integer("threads")));
  trainer.add_hook(gc::hooks::ProgressBar(gc::hooks::ProgressBarOptions().interval(200)));
  const auto t0 = std::chrono::steady_clock::now();
  trainer.fit(train.source, train.target);
  Scores s;
  s.train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  s.steps = trainer.step();
  s.outputs = trainer.translate(test_source);
  return s;
}

}  // namespace

int main(int argc, char** argv) try {
  examples::Args a(argc, argv,
                   {{"task", "pix2pix"}, {"out", ""}, {"steps", "3000"}, {"batch", "32"}, {"threads", "2"},
                    {"seed", "0"}, {"data", "/usr/share/datasets/fashion-mnist"},
                    {"classifier", std::string(GANCRAFT_SOURCE_DIR) + "/tools/data/fd_fmnist.pt"}});
  const std::string task = a.str("task");
  GANCRAFT_CHECK(!a.str("out").empty(), OptionError, "--out DIR is required");
  const fs::path out = a.str("out");
  fs::create_directories(out);
  torch::manual_seed(static_cast<uint64_t>(a.integer("seed")));
  const gc::data::FashionMNIST train_set(a.str("data"), gc::data::Split::Train);
  const gc::data::FashionMNIST test_set(a.str("data"), gc::data::Split::Test);
  const bool edges = task.rfind("pix2pix", 0) == 0;
  GANCRAFT_CHECK(edges || task == "sr" || task == "sr-l1" || task == "bicubic", OptionError,
                 "--task must be pix2pix, pix2pix-l1, sr, sr-l1 or bicubic, got '", task, "'");
  auto pairs = [&](const gc::data::FashionMNIST& d) {
    return edges ? gc::data::edges_to_images(d.images(), d.labels()) : gc::data::low_to_high_resolution(d.images(), d.labels());
  };
  const auto train = pairs(train_set), test = pairs(test_set);

  Scores s;
  if (task == "pix2pix") {
    s = train_and_translate(gc::models::Pix2Pix<>(gc::models::Pix2PixOptions(1, 1)), train, test.source, a);
  } else if (task == "pix2pix-l1") {
    s = train_and_translate(gc::models::Pix2Pix<>(gc::models::Pix2PixOptions(1, 1).adversarial_weight(0)), train,
                            test.source, a);
  } else if (task == "sr") {
    s = train_and_translate(gc::models::SuperResolutionGAN<>(gc::models::SuperResolutionOptions(1)), train,
                            test.source, a);
  } else if (task == "sr-l1") {
    s = train_and_translate(
        gc::models::SuperResolutionGAN<>(gc::models::SuperResolutionOptions(1).content_weight(0).adversarial_weight(0)),
        train, test.source, a);
  } else {
    s.outputs = gc::data::upsample_bicubic(test.source, 2);
  }

  auto classifier = gc::metrics::load_fd_fmnist_classifier(a.str("classifier"));
  const auto features = gc::metrics::fd_fmnist_extractor(classifier);
  torch::Tensor predicted;
  {
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> parts;
    for (int64_t i = 0; i < s.outputs.size(0); i += 500) parts.push_back(classifier->forward(s.outputs.narrow(0, i, std::min<int64_t>(500, s.outputs.size(0) - i))).argmax(1));
    predicted = torch::cat(parts);
  }
  nlohmann::json r;
  r["task"] = task;
  r["fd_fmnist"] = gc::metrics::frechet_distance(gc::metrics::extract_features(features, s.outputs, 500),
                                                 gc::metrics::extract_features(features, test.target, 500));
  r["psnr_db"] = gc::metrics::psnr(s.outputs, test.target);
  r["ssim"] = gc::metrics::ssim(s.outputs, test.target);
  r["classifier_accuracy"] = predicted.eq(test.labels).to(torch::kDouble).mean().item<double>();
  r["steps"] = s.steps;
  r["batch_size"] = a.integer("batch");
  r["threads"] = a.integer("threads");
  r["seed"] = a.integer("seed");
  r["train_seconds"] = s.train_seconds;
  if (s.steps > 0) r["steps_per_second"] = static_cast<double>(s.steps) / s.train_seconds;
  r["libtorch"] = gc::detail::linked_torch_version();
  gc::io::save_grid(out / "grid.png", gc::io::translation_triples(test.source.narrow(0, 0, 16), s.outputs.narrow(0, 0, 16), test.target.narrow(0, 0, 16)), 12);
  std::ofstream(out / "results.json") << r.dump(2) << "\n";
  std::cout << r.dump(2) << "\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "bench_translation: " << e.what() << "\n";
  return 1;
}
