// A small training job for the tests in tests/distributed: an MLP GAN without BatchNorm on a
// fixed 2-D data set, trained alone (without --dp) or as one rank of the data-parallel job its
// environment describes (RANK, WORLD_SIZE, ... as `gancraft launch` sets them).
//
//   dist_worker --out DIR --steps K [--dp 1] [--resume DIR] [--checkpoints DIR]
//               [--die-rank R --die-at S --die-signal KILL|STOP]
//
// Writes DIR/weights-single.pt or DIR/weights-rank<R>.pt (G's and D's parameters and buffers,
// in order) and DIR/metrics-*.jsonl; on an error, prints it and writes DIR/error-*.txt.
#include <gancraft/distributed/data_parallel.hpp>
#include <gancraft/distributed/rank_zero_only.hpp>
#include <gancraft/gan.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>

namespace gc = gancraft;
namespace gd = gancraft::distributed;
namespace fs = std::filesystem;

namespace {

struct GenImpl : torch::nn::Module {
  torch::nn::Sequential net{nullptr};
  GenImpl() {
    net = register_module("net", torch::nn::Sequential(torch::nn::Linear(4, 16), torch::nn::ReLU(),
                                                       torch::nn::Linear(16, 2)));
  }
  torch::Tensor forward(torch::Tensor z) { return net->forward(z); }
};
TORCH_MODULE(Gen);

struct CriticImpl : torch::nn::Module {
  torch::nn::Sequential net{nullptr};
  CriticImpl() {
    net = register_module("net", torch::nn::Sequential(torch::nn::Linear(2, 16), torch::nn::LeakyReLU(),
                                                       torch::nn::Linear(16, 1)));
  }
  torch::Tensor forward(torch::Tensor x) { return net->forward(x); }
};
TORCH_MODULE(Critic);

/// Ends this process (SIGKILL) or freezes it (SIGSTOP) at one step, on one rank.
struct Saboteur {
  int64_t rank, at;
  int signal;
  int64_t interval() const { return 0; }  // reads no losses
  void on_step_end(const gc::StepReport& r) {
    if (r.step == at) std::raise(signal);
  }
};

std::vector<torch::Tensor> weights(gc::TrainingContext& ctx) {
  std::vector<torch::Tensor> out;
  for (auto* m : {&ctx.generator_module(), &ctx.discriminator_module()}) {
    for (const auto& p : m->parameters()) out.push_back(p.detach().clone());
    for (const auto& b : m->buffers()) out.push_back(b.detach().clone());
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> a;
  for (int i = 1; i + 1 < argc; i += 2) a[std::string(argv[i]).substr(2)] = argv[i + 1];
  const fs::path out = a.at("out");
  fs::create_directories(out);
  std::string tag = "single";
  try {
    torch::set_num_threads(1);
    torch::manual_seed(3);
    const torch::Tensor real = torch::randn({256, 2}, gc::make_generator(7)) * 0.5 + 1.0;
    const auto options = gc::TrainerOptions()
                             .latent_dim(4)
                             .batch_size(32)
                             .d_steps_per_g_step(2)
                             .steps(std::stoll(a.at("steps")))
                             .seed(11);

    auto train = [&](auto& trainer, auto wrap, int64_t rank) {
      if (a.count("resume")) trainer.resume(a.at("resume"));
      trainer.add_hook(wrap(gc::hooks::JsonlLogger(out / ("metrics-" + tag + ".jsonl"), 2)));
      if (a.count("checkpoints"))
        trainer.add_hook(wrap(gc::hooks::Checkpointer(
            a.at("checkpoints"), gc::hooks::CheckpointerOptions().every(6).keep_last(10))));
      if (a.count("die-rank") && std::stoll(a.at("die-rank")) == rank)
        trainer.add_hook(Saboteur{rank, std::stoll(a.at("die-at")),
                                  a.count("die-signal") && a.at("die-signal") == "STOP" ? SIGSTOP : SIGKILL});
      trainer.fit(real);
      torch::save(weights(trainer), (out / ("weights-" + tag + ".pt")).string());
    };

    if (a.count("dp")) {
      const gd::ProcessGroup group = gd::init_process_group(gd::ProcessGroupOptions::from_environment());
      tag = "rank" + std::to_string(group.rank());
      auto trainer = gc::Trainer(Gen{}, Critic{}, gc::losses::NonSaturating{}, options, gd::DataParallel(group));
      train(trainer, [&](auto hook) { return gd::RankZeroOnly(std::move(hook), group); }, group.rank());
    } else {
      auto trainer = gc::Trainer(Gen{}, Critic{}, gc::losses::NonSaturating{}, options);
      train(trainer, [](auto hook) { return hook; }, 0);
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "dist_worker (" << tag << "): " << e.what() << "\n";
    std::ofstream(out / ("error-" + tag + ".txt")) << e.what() << "\n";
    return 1;
  }
}
