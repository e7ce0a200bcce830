// A small resumable training run for the kill test (kill_test.sh).
//   resume_target train DIR STEPS   trains into DIR, resuming from DIR/checkpoints if present,
//                                   prints "start fresh" or "resumed STEP", then writes
//                                   DIR/final.pt (a state dict of G and D) and prints "done".
//   resume_target compare A B       prints the max |difference| of two final.pt files; exit 0
//                                   only when every tensor is identical.
//   resume_target verify ROOT       verifies every checkpoint directory under ROOT.
#include <gancraft/gan.hpp>

#include <filesystem>
#include <iostream>
#include <map>

namespace gc = gancraft;
namespace fs = std::filesystem;

namespace {

int train(const fs::path& dir, int64_t steps) {
  torch::manual_seed(3);
  auto trainer = gc::Trainer(
      gc::models::MLPGenerator(gc::models::MLPGeneratorOptions(4, 2).hidden(32)),
      gc::models::MLPDiscriminator(gc::models::MLPDiscriminatorOptions(2).hidden(32)),
      gc::losses::NonSaturating{},
      gc::TrainerOptions().latent_dim(4).batch_size(50).steps(steps).seed(11).threads(1));
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
    if (it == ym.end()) { same = false; continue; }
    max_diff = std::max(max_diff, (t - it->second).abs().max().item<double>());
    same = same && torch::equal(t, it->second);
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
  std::cerr << "usage: resume_target train DIR STEPS | compare A B | verify ROOT\n";
  return 2;
} catch (const std::exception& e) {
  std::cerr << "resume_target: " << e.what() << "\n";
  return 1;
}
