// Training throughput of one process against data-parallel ranks (docs/distributed.md).
//
//   bench_data_parallel --model dcgan|mlp [--steps S] [--warmup W] [--batch B] [--threads T]
//   gancraft launch --nproc 2 -- bench_data_parallel --model dcgan ...   (one rank each)
//
// Trains on synthetic data of the demo's shape (the data's values do not change the work):
// `dcgan` is the Fashion-MNIST DCGAN of configs/fashion_mnist_dcgan.json (28 px, base width
// 64, latent 100, batch 64 by default), `mlp` the ring MLP (latent 4, hidden 128, batch 256).
// W warm-up steps, then S timed steps; rank 0 prints one JSON line.
#include <gancraft/distributed/data_parallel.hpp>
#include <gancraft/gan.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <iostream>
#include <map>
#include <string>

namespace gc = gancraft;
namespace gd = gancraft::distributed;

int main(int argc, char** argv) try {
  std::map<std::string, std::string> a{{"model", "dcgan"}, {"steps", "60"}, {"warmup", "5"}, {"threads", "1"}};
  for (int i = 1; i + 1 < argc; i += 2) a[std::string(argv[i]).substr(2)] = argv[i + 1];
  const bool dcgan = a["model"] == "dcgan";
  const int64_t batch = a.count("batch") ? std::stoll(a["batch"]) : (dcgan ? 64 : 256);
  const int64_t warmup = std::stoll(a["warmup"]), steps = std::stoll(a["steps"]);
  const int threads = std::stoi(a["threads"]);

  const gd::ProcessGroup group = gd::init_process_group(gd::ProcessGroupOptions::from_environment());
  torch::manual_seed(1);
  const int64_t latent = dcgan ? 100 : 4;
  const torch::Tensor real = dcgan ? torch::rand({2048, 1, 28, 28}, gc::make_generator(2)) * 2 - 1
                                   : torch::randn({8192, 2}, gc::make_generator(2));
  auto options = gc::TrainerOptions().latent_dim(latent).batch_size(batch).seed(3).threads(threads);

  auto measure = [&](auto g, auto d) {
    auto trainer = gc::Trainer(g, d, gc::losses::NonSaturating{}, options.steps(warmup), gd::DataParallel(group));
    trainer.fit(real);  // warm-up: first allocations, the start-up broadcast
    group.barrier();
    const auto start = std::chrono::steady_clock::now();
    auto timed = gc::Trainer(g, d, gc::losses::NonSaturating{}, options.steps(steps), gd::DataParallel(group));
    timed.fit(real);
    group.barrier();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  double seconds = 0;
  if (dcgan)
    seconds = measure(gc::models::DCGANGenerator(gc::models::DCGANGeneratorOptions(28).latent_dim(latent)),
                      gc::models::DCGANDiscriminator(gc::models::DCGANDiscriminatorOptions(28)));
  else
    seconds = measure(gc::models::MLPGenerator(gc::models::MLPGeneratorOptions(latent, 2).hidden(128)),
                      gc::models::MLPDiscriminator(gc::models::MLPDiscriminatorOptions(2).hidden(128)));
  if (group.is_rank_zero())
    std::cout << nlohmann::json{{"model", a["model"]},
                                {"world_size", group.world_size()},
                                {"threads_per_rank", threads},
                                {"global_batch", batch},
                                {"steps", steps},
                                {"seconds", seconds},
                                {"steps_per_s", static_cast<double>(steps) / seconds},
                                {"samples_per_s", static_cast<double>(steps * batch) / seconds}}
                     .dump()
              << std::endl;
  return 0;
} catch (const std::exception& e) {
  std::cerr << "bench_data_parallel: " << e.what() << "\n";
  return 1;
}
