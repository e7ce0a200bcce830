// One GAN training step (a discriminator update, then a generator update) in gancraft's Trainer
// and in a hand-written LibTorch loop of the same networks, losses, optimizers and random draws
// (docs/performance.md).
//
//   bench_gan_step --model dcgan|mlp|tiny --impl gancraft|handwritten
//                  [--threads N] [--steps S] [--warmup W] [--blas-threads B]
//   bench_gan_step --verify 1 [--steps S]     both loops from the same seeds: identical weights?
//   … --impl handwritten --profile FILE        also writes LibTorch's profile of the timed steps
//                                              (a Chrome trace; bench/profile_ops.py sums it per op)
//
// "N threads" sets LibTorch's intra-op pool and the loaded BLAS to N each (B for the BLAS when
// given). Prints one JSON line per run.
#include "bench_models.hpp"

#include <nlohmann/json.hpp>

#include <torch/csrc/autograd/profiler_legacy.h>

#include <chrono>
#include <optional>
#include <iostream>
#include <map>
#include <string>

namespace gc = gancraft;

namespace {

constexpr uint64_t kInitSeed = 1;   // module initialisation (global generator)
constexpr uint64_t kTrainSeed = 3;  // noise and data order

gc::TrainerOptions trainer_options(const bench::Spec& s) {
  auto adam = gc::OptimizerOptions::adam(s.lr, s.beta1, s.beta2);
  return gc::TrainerOptions()
      .latent_dim(s.latent)
      .batch_size(s.batch)
      .seed(kTrainSeed)
      .g_optimizer(adam)
      .d_optimizer(adam);
}

/// The loop a LibTorch user writes by hand: same draws in the same order as the Trainer (a
/// fresh permutation per pass, the real batch, then D's noise, then G's noise), the
/// non-saturating loss on logits, Adam for both networks.
template <class G, class D>
struct HandWritten {
  HandWritten(G g, D d, const bench::Spec& s)
      : g(std::move(g)), d(std::move(d)), s(s),
        gen(at::make_generator<at::CPUGeneratorImpl>(kTrainSeed)),
        g_opt(this->g->parameters(),
              torch::optim::AdamOptions(s.lr).betas({s.beta1, s.beta2})),
        d_opt(this->d->parameters(),
              torch::optim::AdamOptions(s.lr).betas({s.beta1, s.beta2})) {
    this->g->train();
    this->d->train();
  }

  void step() {
    const int64_t n = s.data.size(0);
    if (!order.defined()) {
      order = torch::randperm(n, gen, torch::kLong);
      position = 0;
    }
    torch::Tensor real = s.data.index_select(0, order.narrow(0, position, s.batch));
    position += s.batch;
    if (position + s.batch > n) order = torch::Tensor();

    torch::Tensor fake;
    {
      torch::NoGradGuard no_grad;
      fake = g->forward(torch::randn({s.batch, s.latent}, gen));
    }
    torch::Tensor real_scores = d->forward(real).reshape({-1});
    torch::Tensor fake_scores = d->forward(fake).reshape({-1});
    torch::Tensor d_loss = torch::softplus(-real_scores).mean() + torch::softplus(fake_scores).mean();
    d_opt.zero_grad();
    d_loss.backward();
    d_opt.step();

    torch::Tensor g_scores = d->forward(g->forward(torch::randn({s.batch, s.latent}, gen))).reshape({-1});
    torch::Tensor g_loss = torch::softplus(-g_scores).mean();
    g_opt.zero_grad();
    g_loss.backward();
    g_opt.step();
  }

  G g;
  D d;
  bench::Spec s;
  at::Generator gen;
  torch::optim::Adam g_opt, d_opt;
  torch::Tensor order;
  int64_t position = 0;
};

void set_threads(int threads, int blas_threads) {
  torch::set_num_threads(threads);
  gc::detail::set_blas_threads(blas_threads);
}

/// Every parameter and buffer of G and D, copied.
template <class G, class D>
std::vector<torch::Tensor> snapshot(G& g, D& d) {
  std::vector<torch::Tensor> out;
  for (auto& p : g->parameters()) out.push_back(p.detach().clone());
  for (auto& p : d->parameters()) out.push_back(p.detach().clone());
  for (auto& b : g->buffers()) out.push_back(b.clone());
  for (auto& b : d->buffers()) out.push_back(b.clone());
  return out;
}

/// Notes the time when step `from` ends; reads no losses (interval 0), so it adds no host sync.
struct Stopwatch {
  int64_t from;
  std::chrono::steady_clock::time_point* start;
  int64_t interval() const { return 0; }
  void on_step_end(const gc::StepReport& r) {
    if (r.step == from) *start = std::chrono::steady_clock::now();
  }
};

}  // namespace

int main(int argc, char** argv) try {
  std::map<std::string, std::string> a{{"model", "dcgan"}, {"impl", "gancraft"}, {"threads", "1"},
                                       {"steps", "20"},    {"warmup", "3"},      {"verify", "0"}};
  for (int i = 1; i + 1 < argc; i += 2) a[std::string(argv[i]).substr(2)] = argv[i + 1];
  const std::string model = a["model"], impl = a["impl"];
  const int threads = std::stoi(a["threads"]);
  const int blas_threads = a.count("blas-threads") ? std::stoi(a["blas-threads"]) : threads;
  const int64_t steps = std::stoll(a["steps"]), warmup = std::stoll(a["warmup"]);
  if (warmup < 1 || steps < 1) throw std::invalid_argument("--steps and --warmup must be >= 1");
  set_threads(threads, blas_threads);

  if (a["verify"] == "1") {
    // Both loops from the same initial weights and seeds, then every parameter and buffer
    // compared bit for bit.
    bool all_equal = true;
    for (const std::string m : {"dcgan", "mlp", "tiny"}) {
      const bench::Spec s = bench::spec(m);
      const auto mine = bench::with_models(m, kInitSeed, [&](auto g, auto d) {
        auto trainer = gc::Trainer(g, d, gc::losses::NonSaturating{}, trainer_options(s).steps(steps));
        trainer.fit(s.data);
        return snapshot(g, d);
      });
      const auto theirs = bench::with_models(m, kInitSeed, [&](auto g, auto d) {
        HandWritten hw(g, d, s);
        for (int64_t i = 0; i < steps; ++i) hw.step();
        return snapshot(g, d);
      });
      size_t equal = 0;
      double max_diff = 0;
      for (size_t i = 0; i < mine.size(); ++i) {
        if (torch::equal(mine[i], theirs[i])) ++equal;
        max_diff = std::max(max_diff, (mine[i].to(torch::kDouble) - theirs[i].to(torch::kDouble))
                                          .abs().max().item<double>());
      }
      all_equal = all_equal && equal == mine.size();
      std::cout << nlohmann::json{{"bench", "verify"}, {"model", m}, {"steps", steps},
                                  {"tensors", mine.size()}, {"bit_identical", equal},
                                  {"max_abs_diff", max_diff}, {"threads", threads}}
                       .dump()
                << std::endl;
    }
    return all_equal ? 0 : 2;
  }

  const bench::Spec s = bench::spec(model);
  double seconds = 0;
  int64_t flops_per_step = 0;
  bench::with_models(model, kInitSeed, [&](auto g, auto d) {
    if constexpr (requires { g->forward_flops(1); d->forward_flops(1); }) {
      // Per step: G forward twice (D's fakes, G's update); D forward on real and fake, and the
      // backward of both (weight and input gradients, 2× forward); in the G update D forward,
      // D's input gradients (1×) and G's backward (2×): 4·F_G + 8·F_D.
      flops_per_step = 4 * g->forward_flops(s.batch) + 8 * d->forward_flops(s.batch);
    }
    if (impl == "gancraft") {
      auto options = trainer_options(s).steps(warmup + steps).threads(threads);
      if (blas_threads != threads) options.blas_threads(blas_threads);
      auto trainer = gc::Trainer(g, d, gc::losses::NonSaturating{}, options);
      std::chrono::steady_clock::time_point start;
      trainer.add_hook(Stopwatch{warmup, &start});
      trainer.fit(s.data);
      seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    } else if (impl == "handwritten") {
      HandWritten hw(g, d, s);
      for (int64_t i = 0; i < warmup; ++i) hw.step();
      std::optional<torch::autograd::profiler::RecordProfile> profile;
      if (a.count("profile")) profile.emplace(a["profile"]);
      const auto start = std::chrono::steady_clock::now();
      for (int64_t i = 0; i < steps; ++i) hw.step();
      seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    } else {
      throw std::invalid_argument("unknown impl '" + impl + "' (use gancraft or handwritten)");
    }
    return 0;
  });
  nlohmann::json out{{"bench", model},
                     {"impl", impl},
                     {"steps_per_s", static_cast<double>(steps) / seconds},
                     {"ms_per_step", 1000.0 * seconds / static_cast<double>(steps)},
                     {"peak_rss_mb", bench::peak_rss_mb()},
                     {"threads", threads},
                     {"blas_threads", blas_threads},
                     {"blas", gc::detail::blas_description()}};
  if (flops_per_step > 0)
    out["gflops"] = static_cast<double>(flops_per_step) * static_cast<double>(steps) / seconds / 1e9;
  std::cout << out.dump() << std::endl;
  return 0;
} catch (const std::exception& e) {
  std::cerr << "bench_gan_step: " << e.what() << "\n";
  return 1;
}
