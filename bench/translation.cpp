// The translation benchmarks of docs/benchmarks.md: pix2pix (edges → garment), SRGAN-style
// super-resolution (14×14 → 28×28) and the VAE-GAN on the real Fashion-MNIST, each against its
// non-adversarial baseline, scored on the 10,000 test images.
//
//   bench_translation --task pix2pix|pix2pix-l1|sr|sr-l1|bicubic|vae-gan|vae|cyclegan --out DIR
//                     [--steps N] [--batch 32] [--threads 2] [--seed 0] [--sigma S]
//                     [--identity 0.5] [--cycle 10] [--g-width 16] [--d-width 32] [--decay-from STEP] [--data DIR] [--classifier FILE]
//
// Writes DIR/results.json (FD-FMNIST of the outputs against the real test images, PSNR, SSIM,
// the FD-FMNIST classifier's accuracy on the outputs, training steps/s and seconds) and
// DIR/grid.png (source | output | target of the first 16 test images, enlarged 2×). For vae and vae-gan the
// outputs are the reconstructions Dec(μ(x)) of the test images, and results.json adds
// `fd_fmnist_prior`: FD-FMNIST of 10,000 samples from the prior (DIR/samples.png shows 64);
// --sigma is their likelihood's σ (VAEGANOptions::sigma). cyclegan trains on unpaired garments
// (A) and edge maps (B) from disjoint halves of the training set; its outputs are the test
// images' edge maps drawn by G (scored against their Sobel edge maps), and results.json adds the
// classifier's accuracy and FD-FMNIST of F's garments drawn from the test images' edge maps
// (DIR/grid_ba.png shows them); --identity, --cycle, --g-width, --d-width and --decay-from
// (linear decay of the learning rates to 0 after that step; 0 keeps them constant) set its
// identity and cycle weights, network widths and schedule.
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
  torch::Tensor prior_samples;  ///< vae, vae-gan
  torch::Tensor back;           ///< cyclegan: F(edges of the test images)
  double train_seconds = 0;
  int64_t steps = 0;
};

constexpr int64_t kLatent = 32;

/// Images enlarged 2× by pixel repetition, for grids that are easier to look at.
torch::Tensor zoom(const torch::Tensor& x) { return x.repeat_interleave(2, 2).repeat_interleave(2, 3); }  ///< the VAEs' latent size

template <class M>
Scores train_and_translate(M model, const gc::data::PairedImages& train, const torch::Tensor& test_source,
                           const examples::Args& a, bool autoencoder = false) {
  gc::ModelTrainer trainer(std::move(model), gc::TrainerOptions()
                                                 .batch_size(a.integer("batch"))
                                                 .steps(a.integer("steps"))
                                                 .latent_dim(kLatent)
                                                 .seed(static_cast<uint64_t>(a.integer("seed")))
                                                 .threads(a.integer("threads")));
  trainer.add_hook(gc::hooks::ProgressBar(gc::hooks::ProgressBarOptions().interval(200)));
  const auto t0 = std::chrono::steady_clock::now();
  if (autoencoder) {
    trainer.fit(train.target);
  } else {
    trainer.fit(train.source, train.target);
  }
  Scores s;
  s.train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  s.steps = trainer.step();
  s.outputs = trainer.translate(test_source);
  if constexpr (requires { trainer.model().generate(torch::Tensor()); }) {
    std::vector<torch::Tensor> parts;
    for (int i = 0; i < 20; ++i) parts.push_back(trainer.sample(500));
    s.prior_samples = torch::cat(parts);
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) try {
  examples::Args a(argc, argv,
                   {{"task", "pix2pix"}, {"out", ""}, {"steps", "3000"}, {"batch", "32"}, {"threads", "2"},
                    {"seed", "0"}, {"sigma", "1"}, {"data", "/usr/share/datasets/fashion-mnist"},
                    {"identity", "0.5"}, {"cycle", "10"}, {"g-width", "16"}, {"d-width", "32"}, {"decay-from", "0"},
                    {"classifier", std::string(GANCRAFT_SOURCE_DIR) + "/tools/data/fd_fmnist.pt"}});
  const std::string task = a.str("task");
  GANCRAFT_CHECK(!a.str("out").empty(), OptionError, "--out DIR is required");
  const fs::path out = a.str("out");
  fs::create_directories(out);
  torch::manual_seed(static_cast<uint64_t>(a.integer("seed")));
  const gc::data::FashionMNIST train_set(a.str("data"), gc::data::Split::Train);
  const gc::data::FashionMNIST test_set(a.str("data"), gc::data::Split::Test);
  const bool edges = task.rfind("pix2pix", 0) == 0, vae = task.rfind("vae", 0) == 0;
  GANCRAFT_CHECK(edges || vae || task == "cyclegan" || task == "sr" || task == "sr-l1" || task == "bicubic", OptionError,
                 "--task must be pix2pix, pix2pix-l1, sr, sr-l1, bicubic, vae-gan, vae or cyclegan, got '", task, "'");
  auto pairs = [&](const gc::data::FashionMNIST& d) {
    if (vae) return gc::data::PairedImages{d.images(), d.images(), d.labels()};  // x → x
    return edges ? gc::data::edges_to_images(d.images(), d.labels()) : gc::data::low_to_high_resolution(d.images(), d.labels());
  };
  const bool cycle = task == "cyclegan";
  const auto train = pairs(train_set);
  // CycleGAN's A → B is garment → edges: scored against the test images' edge maps.
  const auto test = cycle ? gc::data::PairedImages{test_set.images(), gc::data::sobel_edges(test_set.images()), test_set.labels()}
                          : pairs(test_set);

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
  } else if (task == "cyclegan") {
    const auto unpaired = gc::data::images_and_edges(train_set.images(), train_set.labels(), 0);
    const int64_t n = std::min(unpaired.a.size(0), unpaired.b.size(0));
    const int64_t decay_from = a.integer("decay-from");
    gc::ModelTrainer trainer(gc::models::CycleGAN<>(gc::models::CycleGANOptions({1, 28, 28})
                                                        .identity_weight(std::stod(a.str("identity")))
                                                        .cycle_weight(std::stod(a.str("cycle")))
                                                        .generator_width(a.integer("g-width"))
                                                        .discriminator_width(a.integer("d-width"))),
                             gc::TrainerOptions()
                                 .batch_size(a.integer("batch"))
                                 .steps(a.integer("steps"))
                                 .seed(static_cast<uint64_t>(a.integer("seed")))
                                 .threads(a.integer("threads"))
                                 .lr_schedule(decay_from > 0 ? gc::LrSchedule::linear(decay_from) : gc::LrSchedule::constant()));
    trainer.add_hook(gc::hooks::ProgressBar(gc::hooks::ProgressBarOptions().interval(200)));
    const auto t0 = std::chrono::steady_clock::now();
    trainer.fit(unpaired.a.narrow(0, 0, n), unpaired.b.narrow(0, 0, n));
    s.train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    s.steps = trainer.step();
    const torch::Tensor test_edges = gc::data::sobel_edges(test_set.images());
    s.outputs = trainer.translate(test_set.images());
    // F on the test edge maps, in the sampling view (eval mode, no graph).
    s.back = trainer.view([&](auto& m) {
      std::vector<torch::Tensor> parts;
      for (int64_t i = 0; i < test_edges.size(0); i += 500)
        parts.push_back(m.translate_ba(test_edges.narrow(0, i, std::min<int64_t>(500, test_edges.size(0) - i))));
      return torch::cat(parts);
    });
    gc::io::save_grid(out / "grid_ba.png", zoom(gc::io::translation_triples(test_edges.narrow(0, 0, 16), s.back.narrow(0, 0, 16), test_set.images().narrow(0, 0, 16))), 12);
  } else if (vae) {
    auto o = gc::models::VAEGANOptions(28).latent_dim(kLatent).adversarial(task == "vae-gan").sigma(std::stod(a.str("sigma")));
    s = train_and_translate(gc::models::VAEGAN<>(o), train, test.source, a, /*autoencoder=*/true);
  } else {
    s.outputs = gc::data::upsample_bicubic(test.source, 2);
  }

  auto classifier = gc::metrics::load_fd_fmnist_classifier(a.str("classifier"));
  const auto features = gc::metrics::fd_fmnist_extractor(classifier);
  auto accuracy = [&](const torch::Tensor& images) {
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> parts;
    for (int64_t i = 0; i < images.size(0); i += 500)
      parts.push_back(classifier->forward(images.narrow(0, i, std::min<int64_t>(500, images.size(0) - i))).argmax(1));
    return torch::cat(parts).eq(test.labels).to(torch::kDouble).mean().item<double>();
  };
  const auto test_features = gc::metrics::extract_features(features, test_set.images(), 500);
  nlohmann::json r;
  r["task"] = task;
  if (cycle) {
    r["ba_classifier_accuracy"] = accuracy(s.back);
    r["ba_fd_fmnist"] = gc::metrics::frechet_distance(gc::metrics::extract_features(features, s.back, 500), test_features);
  } else {
    r["fd_fmnist"] = gc::metrics::frechet_distance(gc::metrics::extract_features(features, s.outputs, 500), test_features);
    r["classifier_accuracy"] = accuracy(s.outputs);
  }
  if (s.prior_samples.defined()) {
    r["fd_fmnist_prior"] = gc::metrics::frechet_distance(gc::metrics::extract_features(features, s.prior_samples, 500),
                                                         test_features);
    r["sigma"] = std::stod(a.str("sigma"));
    gc::io::save_grid(out / "samples.png", zoom(s.prior_samples.narrow(0, 0, 64)), 8);
  }
  r["psnr_db"] = gc::metrics::psnr(s.outputs, test.target);
  r["ssim"] = gc::metrics::ssim(s.outputs, test.target);
  r["steps"] = s.steps;
  r["batch_size"] = a.integer("batch");
  r["threads"] = a.integer("threads");
  r["seed"] = a.integer("seed");
  if (cycle) {
    r["identity_weight"] = std::stod(a.str("identity"));
    r["cycle_weight"] = std::stod(a.str("cycle"));
    r["generator_width"] = a.integer("g-width");
    r["discriminator_width"] = a.integer("d-width");
    r["decay_from"] = a.integer("decay-from");
  }
  r["train_seconds"] = s.train_seconds;
  if (s.steps > 0) r["steps_per_second"] = static_cast<double>(s.steps) / s.train_seconds;
  r["libtorch"] = gc::detail::linked_torch_version();
  gc::io::save_grid(out / "grid.png", zoom(gc::io::translation_triples(test.source.narrow(0, 0, 16), s.outputs.narrow(0, 0, 16), test.target.narrow(0, 0, 16))), 12);
  std::ofstream(out / "results.json") << r.dump(2) << "\n";
  std::cout << r.dump(2) << "\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "bench_translation: " << e.what() << "\n";
  return 1;
}
