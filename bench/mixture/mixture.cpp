// The 2-D mixture benchmark of PacGAN's Table 1 (Lin et al. 2018, arXiv:1712.04086): one cell.
//
//   mixture --dataset ring|grid --method NAME --seed S --iterations N --out DIR
//
// Methods: gan (non-saturating baseline), pacgan4, wgan-gp, hinge-sn, ns-r1 (all with PacGAN's
// Adam 1e-4), and gan-lr-decay (the baseline with Adam 1e-3 decayed linearly to 0 over the second
// half). --lr and --decay-start override the rate and the schedule of any method; --ema D samples
// from an exponential moving average of G's weights.
// Writes DIR/samples.csv (2,500 samples, header x,y) and DIR/results.json. See docs/benchmarks.md.
#include <gancraft/gan.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

namespace gc = gancraft;
namespace fs = std::filesystem;

namespace {

/// Maxout over the last dimension's groups of `pieces` (the Linear in front gives units × pieces).
torch::nn::Functional maxout(int64_t units, int64_t pieces) {
  return torch::nn::Functional([units, pieces](const torch::Tensor& x) {
    return std::get<0>(x.view({x.size(0), units, pieces}).max(2));
  });
}

/// PacGAN's discriminator: three maxout layers of 200 units × 5 pieces, then linear to 1.
torch::nn::Sequential discriminator(int64_t in) {
  torch::nn::Sequential d;
  for (int64_t layer = 0; layer < 3; ++layer) {
    d->push_back(torch::nn::Linear(layer == 0 ? in : 200, 200 * 5));
    d->push_back(maxout(200, 5));
  }
  d->push_back(torch::nn::Linear(200, 1));
  return d;
}

/// Weights N(0, 0.02), biases 0, for every Linear (BatchNorm keeps its defaults).
void init_weights(torch::nn::Module& m) {
  torch::NoGradGuard no_grad;
  for (auto& p : m.named_parameters()) {
    const std::string& name = p.key();
    if (p.value().dim() == 2) p.value().normal_(0.0, 0.02);  // Linear weights
    else if (name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0) p.value().zero_();
  }
}

struct Args {
  std::string dataset = "ring", method = "gan";
  uint64_t seed = 0;
  int64_t iterations = 10000;
  double ema = 0;  // > 0: sample from an EMA of G's weights with this decay
  std::optional<double> lr;            // Adam's rate for both networks (PacGAN's setup: 1e-4)
  std::optional<int64_t> decay_start;  // decay the rates linearly to 0 from this iteration
  fs::path out = "mixture-run";
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    GANCRAFT_CHECK(i + 1 < argc, OptionError, k, " needs a value");
    const std::string v = argv[++i];
    if (k == "--dataset") a.dataset = v;
    else if (k == "--method") a.method = v;
    else if (k == "--seed") a.seed = std::stoull(v);
    else if (k == "--iterations") a.iterations = std::stoll(v);
    else if (k == "--out") a.out = v;
    else if (k == "--ema") a.ema = std::stod(v);
    else if (k == "--lr") a.lr = std::stod(v);
    else if (k == "--decay-start") a.decay_start = std::stoll(v);
    else throw gc::OptionError("unknown option " + k + " (use --dataset, --method, --seed, --iterations, --out, --ema, --lr, --decay-start)");
  }
  GANCRAFT_CHECK(a.dataset == "ring" || a.dataset == "grid", OptionError, "--dataset must be ring or grid, got ", a.dataset);
  GANCRAFT_CHECK(a.method == "gan" || a.method == "pacgan4" || a.method == "wgan-gp" || a.method == "hinge-sn" ||
                     a.method == "ns-r1" || a.method == "gan-lr-decay",
                 OptionError, "--method must be gan, pacgan4, wgan-gp, hinge-sn, ns-r1 or gan-lr-decay, got ",
                 a.method);
  // gan-lr-decay: the baseline with a schedule for short runs, Adam 1e-3 decayed linearly to 0
  // over the second half (TrainerOptions::lr_schedule), instead of PacGAN's constant 1e-4.
  if (a.method == "gan-lr-decay") {
    if (!a.lr) a.lr = 1e-3;
    if (!a.decay_start) a.decay_start = a.iterations / 2;
  }
  GANCRAFT_CHECK(a.iterations > 0, OptionError, "--iterations must be > 0");
  GANCRAFT_CHECK(a.ema >= 0 && a.ema < 1, OptionError, "--ema must be in [0, 1), got ", a.ema);
  if (!a.lr) a.lr = 1e-4;
  GANCRAFT_CHECK(*a.lr > 0, OptionError, "--lr must be > 0, got ", *a.lr);
  GANCRAFT_CHECK(!a.decay_start || *a.decay_start >= 0, OptionError, "--decay-start must be >= 0");
  return a;
}

template <class D, class L>
torch::Tensor train(const Args& a, D d, L loss, int64_t pack, const torch::Tensor& data) {
  auto g = gc::models::MLPGenerator(gc::models::MLPGeneratorOptions(2, 2).hidden(400).layers(4).batch_norm(true));
  init_weights(*g);
  const auto adam = gc::OptimizerOptions::adam(*a.lr).beta1(0.8).beta2(0.999);
  auto trainer = gc::Trainer(g, d, std::move(loss),
                             gc::TrainerOptions()
                                 .latent_dim(2)
                                 .batch_size(100 * pack)  // PacGAN: D sees 100 tuples of `pack` samples
                                 .steps(a.iterations)
                                 .seed(a.seed)
                                 .threads(1)
                                 .lr_schedule(a.decay_start ? gc::LrSchedule::linear(*a.decay_start)
                                                            : gc::LrSchedule::constant())
                                 .g_optimizer(adam)
                                 .d_optimizer(adam));
  if (a.ema > 0) trainer.add_hook(gc::hooks::GeneratorEMA(gc::hooks::GeneratorEMAOptions().decay(a.ema)));
  trainer.fit(data);
  return trainer.sample(2500);
}

}  // namespace

int main(int argc, char** argv) try {
  const Args a = parse(argc, argv);
  const auto mixture = a.dataset == "ring" ? gc::data::GaussianMixture::ring() : gc::data::GaussianMixture::grid();
  const torch::Tensor data = mixture.sample(100000, /*seed=*/2018);  // one fixed training set
  torch::manual_seed(a.seed);  // module initialisation
  const auto start = std::chrono::steady_clock::now();
  torch::Tensor samples;
  if (a.method == "pacgan4") {
    auto d = discriminator(2 * 4);
    init_weights(*d);
    samples = train(a, gc::nn::Pack(d, 4), gc::losses::NonSaturating{}, 4, data);
  } else {
    auto d = discriminator(2);
    init_weights(*d);
    if (a.method == "gan" || a.method == "gan-lr-decay") samples = train(a, d, gc::losses::NonSaturating{}, 1, data);
    if (a.method == "wgan-gp")
      samples = train(a, d, gc::with_penalty(gc::losses::Wasserstein{}, gc::penalties::GradientPenalty{}), 1, data);
    if (a.method == "hinge-sn") samples = train(a, gc::nn::spectral_norm(d), gc::losses::Hinge{}, 1, data);
    if (a.method == "ns-r1")
      samples = train(a, d, gc::with_penalty(gc::losses::NonSaturating{}, gc::penalties::R1{1.0}), 1, data);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto q = gc::metrics::mixture_quality(samples, mixture);

  fs::create_directories(a.out);
  std::string csv = "x,y\n";
  const auto s = samples.to(torch::kDouble).contiguous();
  const auto acc = s.accessor<double, 2>();
  char line[64];
  for (int64_t i = 0; i < s.size(0); ++i) {
    std::snprintf(line, sizeof line, "%.9g,%.9g\n", acc[i][0], acc[i][1]);
    csv += line;
  }
  gc::detail::write_file_atomically(a.out / "samples.csv", csv);
  const nlohmann::json results = {{"dataset", a.dataset},         {"method", a.method},
                                  {"seed", a.seed},               {"iterations", a.iterations},
                                  {"modes", q.modes},             {"hq_fraction", q.hq_fraction},
                                  {"reverse_kl", q.reverse_kl},   {"samples_csv", "samples.csv"},
                                  {"ema", a.ema},                 {"lr", *a.lr},
                                  {"decay_start", a.decay_start.value_or(-1)},
                                  {"seconds", seconds},           {"ms_per_step", 1000 * seconds / a.iterations}};
  gc::detail::write_file_atomically(a.out / "results.json", results.dump(1) + "\n");
  std::cout << results.dump() << "\n";
} catch (const std::exception& e) {
  std::cerr << "mixture: " << e.what() << "\n";
  return 1;
}
