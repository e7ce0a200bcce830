// A small training job for the tests in tests/distributed: an MLP GAN without BatchNorm on a
// fixed 2-D data set, trained alone (without --dp) or as one rank of the data-parallel job its
// environment describes (RANK, WORLD_SIZE, ... as `gancraft launch` sets them).
//
//   dist_worker --out DIR --steps K [--dp 1] [--resume DIR] [--checkpoints DIR]
//               [--die-rank R --die-at S --die-signal KILL|STOP|TERM]
//               [--resume-rank R] [--seed-rank R] [--loss wgan-gp] [--batchnorm 1]
//               [--bucket-bytes B] [--average-buffers 0] [--model two-critics|pix2pix]
//
// --model two-critics trains examples/two_critic_gan.hpp's GAN with two discriminators
// through ModelTrainer instead (a model written outside include/); --model pix2pix trains
// gancraft's pix2pix on edges → image pairs of small smooth images.
//
// --resume-rank: only that rank resumes; --seed-rank: that rank uses another trainer seed;
// --die-signal TERM asks the rank to stop (stop_on_signal is on). In --dp mode LibTorch's global
// generator is seeded with 3 + rank, so only rank 0's start-up broadcast makes the ranks'
// weights equal (rank 0's are the single process's).
//
// Writes DIR/weights-single.pt or DIR/weights-rank<R>.pt (G's and D's parameters and buffers,
// in order), DIR/end-*.txt (the last step, and "interrupted" when a signal stopped it) and
// DIR/metrics-*.jsonl; on an error, prints it and writes DIR/error-*.txt, and exits with 3 for a
// CommunicationError (as gancraft train), else 1.
#include <gancraft/distributed/data_parallel.hpp>
#include <gancraft/distributed/rank_zero_only.hpp>
#include <gancraft/gan.hpp>

#include "../../../examples/two_critic_gan.hpp"

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
  explicit GenImpl(bool batch_norm = false) {
    net = torch::nn::Sequential(torch::nn::Linear(4, 16));
    if (batch_norm) net->push_back(torch::nn::BatchNorm1d(16));
    net->push_back(torch::nn::ReLU());
    net->push_back(torch::nn::Linear(16, 2));
    register_module("net", net);
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

/// Ends this process (SIGKILL), freezes it (SIGSTOP) or asks it to stop (SIGTERM) at one step,
/// on one rank.
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
  for (const auto& n : ctx.networks()) {
    for (const auto& p : n.module->parameters()) out.push_back(p.detach().clone());
    for (const auto& b : n.module->buffers()) out.push_back(b.detach().clone());
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
  auto is_rank = [&](const char* key, int64_t rank) { return a.count(key) && std::stoll(a.at(key)) == rank; };
  try {
    torch::set_num_threads(1);
    const torch::Tensor real = torch::randn({256, 2}, gc::make_generator(7)) * 0.5 + 1.0;
    const bool batch_norm = a.count("batchnorm") && a.at("batchnorm") == "1";
    auto options = gc::TrainerOptions()
                       .latent_dim(4)
                       .batch_size(32)
                       .d_steps_per_g_step(2)
                       .steps(std::stoll(a.at("steps")))
                       .seed(11)
                       .stop_on_signal(true);
    auto dp_options = gd::DataParallelOptions();
    if (a.count("bucket-bytes")) dp_options.bucket_bytes(std::stoll(a.at("bucket-bytes")));
    if (a.count("average-buffers")) dp_options.average_buffers(a.at("average-buffers") != "0");

    auto train = [&](auto& trainer, auto wrap, int64_t rank, auto fit) {
      if (a.count("resume") && (!a.count("resume-rank") || is_rank("resume-rank", rank)))
        trainer.resume(a.at("resume"));
      trainer.add_hook(wrap(gc::hooks::JsonlLogger(out / ("metrics-" + tag + ".jsonl"), 2)));
      if (a.count("checkpoints"))
        trainer.add_hook(wrap(gc::hooks::Checkpointer(
            a.at("checkpoints"), gc::hooks::CheckpointerOptions().every(6).keep_last(10))));
      if (is_rank("die-rank", rank)) {
        const std::string sig = a.count("die-signal") ? a.at("die-signal") : "KILL";
        trainer.add_hook(Saboteur{rank, std::stoll(a.at("die-at")),
                                  sig == "STOP" ? SIGSTOP : sig == "TERM" ? SIGTERM : SIGKILL});
      }
      fit(trainer);
      torch::save(weights(trainer), (out / ("weights-" + tag + ".pt")).string());
      std::ofstream(out / ("end-" + tag + ".txt"))
          << trainer.step() << (trainer.interrupted() ? " interrupted" : "") << "\n";
    };
    auto make = [&](auto loss, auto policy) {
      return gc::Trainer(Gen(batch_norm), Critic{}, std::move(loss), options, std::move(policy));
    };
    const auto fit_real = [&](auto& trainer) { trainer.fit(real); };
    auto run = [&](auto policy, auto wrap, int64_t rank) {
      if (a.count("model") && a.at("model") == "pix2pix") {
        // Edges → image on small smooth images: a paired translation task.
        const torch::Tensor images = torch::tanh(2 * torch::nn::functional::interpolate(
            torch::randn({256, 1, 4, 4}, gc::make_generator(8)),
            torch::nn::functional::InterpolateFuncOptions().size(std::vector<int64_t>{8, 8}).mode(torch::kBilinear).align_corners(false)));
        const auto task = gc::data::edges_to_images(images, torch::zeros({256}, torch::kLong));
        auto trainer = gc::ModelTrainer(
            gc::models::Pix2Pix<>(gc::models::Pix2PixOptions(1, 1).generator_width(4).discriminator_width(4)), options,
            std::move(policy));
        train(trainer, wrap, rank, [&](auto& t) { t.fit(task.source, task.target); });
      } else if (a.count("model") && a.at("model") == "two-critics") {
        two_critic::TwoCriticGAN model;
        if (batch_norm)  // BatchNorm in G: its statistics are averaged at the end of each step
          model.g = gc::models::MLPGenerator(gc::models::MLPGeneratorOptions(4, 2).hidden(32).batch_norm(true));
        auto trainer = gc::ModelTrainer(std::move(model), options, std::move(policy));
        train(trainer, wrap, rank, fit_real);
      } else if (a.count("loss") && a.at("loss") == "wgan-gp") {
        auto trainer = make(gc::with_penalty(gc::losses::Wasserstein{}, gc::penalties::GradientPenalty{}), policy);
        train(trainer, wrap, rank, fit_real);
      } else {
        auto trainer = make(gc::losses::NonSaturating{}, policy);
        train(trainer, wrap, rank, fit_real);
      }
    };

    if (a.count("dp")) {
      const gd::ProcessGroup group = gd::init_process_group(gd::ProcessGroupOptions::from_environment());
      tag = "rank" + std::to_string(group.rank());
      // Different initial weights on each rank: only the start-up broadcast makes them equal.
      torch::manual_seed(3 + static_cast<uint64_t>(group.rank()));
      if (is_rank("seed-rank", group.rank())) options.seed(12);
      run(gd::DataParallel(group, dp_options),
          [&](auto hook) { return gd::RankZeroOnly(std::move(hook), group); }, group.rank());
    } else {
      torch::manual_seed(3);
      run(gc::AlternatingPolicy{}, [](auto hook) { return hook; }, 0);
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "dist_worker (" << tag << "): " << e.what() << "\n";
    std::ofstream(out / ("error-" + tag + ".txt")) << e.what() << "\n";
    return dynamic_cast<const gd::CommunicationError*>(&e) != nullptr ? gd::kCommunicationErrorExitCode : 1;
  }
}
