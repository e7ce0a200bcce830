// A small resumable training run for the kill test (kill_test.sh).
//   resume_target train DIR STEPS   trains into DIR, resuming from DIR/checkpoints if present,
//                                   prints "start fresh" or "resumed STEP", then writes
//                                   DIR/final.pt (a state dict of G and D) and prints "done".
//   resume_target compare A B       prints the max |difference| of two final.pt files; exit 0
//                                   only when every tensor is identical.
//   resume_target verify ROOT       verifies every checkpoint directory under ROOT.
//   resume_target dump ROOT OUT     resumes from ROOT's newest checkpoint and writes OUT, a state
//                                   dict of everything restored (as `train` writes
//                                   DIR/state-at-end.pt of its live state): for the cross-source
//                                   test, which compares the two from different LibTorch builds.
#include <gancraft/gan.hpp>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>

namespace gc = gancraft;
namespace fs = std::filesystem;

namespace {

auto make_trainer(int64_t steps) {
  torch::manual_seed(3);
  return gc::Trainer(
      gc::models::MLPGenerator(gc::models::MLPGeneratorOptions(4, 2).hidden(32)),
      gc::models::MLPDiscriminator(gc::models::MLPDiscriminatorOptions(2).hidden(32)),
      gc::losses::NonSaturating{},
      gc::TrainerOptions().latent_dim(4).batch_size(50).steps(steps).seed(11).threads(1));
}

/// Every tensor a checkpoint restores: G and D, both optimizers' state (portable names), the
/// step counts and every random stream.
template <class T>
void dump_state(T& trainer, const fs::path& out) {
  torch::nn::Module all;
  all.register_module("generator", trainer.generator().ptr());
  all.register_module("discriminator", trainer.discriminator().ptr());
  auto add = [&](const std::string& name, const torch::Tensor& t) { all.register_buffer(name, t.clone()); };
  for (auto [who, opt] : {std::pair{"g_opt", &trainer.generator_optimizer()},
                          std::pair{"d_opt", &trainer.discriminator_optimizer()}}) {
    const auto state = gc::io::portable_state(*opt);
    for (const auto& [name, t] : state.tensors) {
      std::string key = std::string(who) + "_" + name;
      std::replace(key.begin(), key.end(), '.', '_');
      add(key, t);
    }
    std::vector<int64_t> steps;
    for (const auto& s : state.description["state"]) steps.push_back(s.value("step", int64_t{-1}));
    add(std::string(who) + "_steps", torch::tensor(steps));
    std::vector<double> lrs;
    for (const auto& g : state.description["groups"]) lrs.push_back(g["lr"].template get<double>());
    add(std::string(who) + "_lr", torch::tensor(lrs, torch::kDouble));
  }
  const gc::LoopState loop = trainer.loop_state();
  add("loop_step", torch::tensor(loop.step));
  add("loop_epoch", torch::tensor(loop.epoch));
  add("loop_training_rng", loop.training_rng);
  add("loop_sampling_rng", loop.sampling_rng);
  add("loop_global_rng", loop.global_rng);
  if (loop.data_order.defined()) add("loop_data_order", loop.data_order);
  add("loop_data_position", torch::tensor(loop.data_position));
  gc::export_state_dict(all, out);
}

int dump(const fs::path& root, const fs::path& out) {
  auto trainer = make_trainer(1);
  auto info = trainer.resume(root);
  std::cout << "restored " << info.checkpoint.string() << std::endl;
  dump_state(trainer, out);
  return 0;
}

int train(const fs::path& dir, int64_t steps) {
  auto trainer = make_trainer(steps);
  const fs::path root = dir / "checkpoints";
  if (!gc::list_checkpoints(root).empty()) {
    auto info = trainer.resume(root);
    std::cout << "resumed " << info.step << " skipped " << info.skipped.size() << std::endl;
  } else {
    std::cout << "start fresh" << std::endl;
  }
  // Checkpoint every other step: most of the run's time is spent writing checkpoints, so
  // random kills land inside writes often.
  trainer.add_hook(gc::hooks::Checkpointer(root, gc::hooks::CheckpointerOptions().every(2).keep_last(3)));
  trainer.fit(gc::data::GaussianMixture::ring().sample(2000, 5));
  torch::nn::Module both;
  both.register_module("generator", trainer.generator().ptr());
  both.register_module("discriminator", trainer.discriminator().ptr());
  gc::export_state_dict(both, dir / "final.pt");
  dump_state(trainer, dir / "state-at-end.pt");
  std::cout << "done " << trainer.step() << std::endl;
  return 0;
}

int compare(const fs::path& a, const fs::path& b) {
  auto x = gc::import_state_dict(a);
  auto y = gc::import_state_dict(b);
  std::map<std::string, torch::Tensor> ym(y.begin(), y.end());
  double max_diff = 0;
  bool same = x.size() == y.size();
  for (auto& [name, t] : x) {
    auto it = ym.find(name);
    if (it == ym.end() || t.scalar_type() != it->second.scalar_type() || t.sizes() != it->second.sizes()) {
      std::cout << "differs: " << name << std::endl;
      same = false;
      continue;
    }
    if (t.numel() > 0)
      max_diff = std::max(max_diff, (t.to(torch::kDouble) - it->second.to(torch::kDouble)).abs().max().item<double>());
    if (!torch::equal(t, it->second)) {
      std::cout << "differs: " << name << std::endl;
      same = false;
    }
  }
  std::cout << "tensors " << x.size() << " max_abs_diff " << max_diff << (same ? " identical" : " DIFFERENT") << std::endl;
  return same ? 0 : 1;
}

int verify(const fs::path& root) {
  int n = 0;
  for (const auto& dir : gc::list_checkpoints(root)) {
    gc::verify_checkpoint(dir);
    ++n;
  }
  std::cout << "valid checkpoints " << n << std::endl;
  return n > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) try {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "train" && argc == 4) return train(argv[2], std::stoll(argv[3]));
  if (mode == "compare" && argc == 4) return compare(argv[2], argv[3]);
  if (mode == "verify" && argc == 3) return verify(argv[2]);
  if (mode == "dump" && argc == 4) return dump(argv[2], argv[3]);
  std::cerr << "usage: resume_target train DIR STEPS | compare A B | verify ROOT | dump ROOT OUT\n";
  return 2;
} catch (const std::exception& e) {
  std::cerr << "resume_target: " << e.what() << "\n";
  return 1;
}
