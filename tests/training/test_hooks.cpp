// The logging hooks' own behaviour: ProgressBar's lines, JsonlLogger's interval, SampleGrid's
// fixed latents across a resume, and TensorBoard's marker after a DivergenceGuard rollback.
#include <gancraft/gan.hpp>

#include "../support/catch.hpp"
#include "../support/test_support.hpp"
#include "fixtures.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

namespace gc = gancraft;
namespace fs = std::filesystem;
using gc::test::fresh_dir;
using gc::test::read_bytes;

namespace {

auto tiny_dcgan(int64_t steps) {
  torch::manual_seed(4);
  return gc::Trainer(gc::models::DCGANGenerator(gc::models::DCGANGeneratorOptions(28).base_width(4).latent_dim(8)),
                     gc::models::DCGANDiscriminator(gc::models::DCGANDiscriminatorOptions(28).base_width(4)),
                     gc::losses::NonSaturating{},
                     gc::TrainerOptions().latent_dim(8).batch_size(8).steps(steps).seed(5).threads(1));
}

torch::Tensor images() {
  torch::manual_seed(2);
  return torch::rand({64, 1, 28, 28}) * 2 - 1;
}

std::vector<nlohmann::json> jsonl(const fs::path& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

}  // namespace

TEST_CASE("ProgressBar prints a line per interval off a terminal, with the losses JsonlLogger logs at its own interval", "[hooks]") {
  const fs::path dir = fresh_dir("hooks_progress");
  std::FILE* out = std::fopen((dir / "progress.txt").c_str(), "w+");
  REQUIRE(out != nullptr);
  auto trainer = tiny_dcgan(12);
  trainer.add_hook(gc::hooks::ProgressBar(gc::hooks::ProgressBarOptions().interval(4).line_seconds(0).stream(out)));
  trainer.add_hook(gc::hooks::JsonlLogger(dir / "metrics.jsonl", 4));
  trainer.fit(images());
  std::fclose(out);

  const auto logged = jsonl(dir / "metrics.jsonl");
  REQUIRE(logged.size() == 3);  // steps 4, 8 and 12 only
  std::ifstream text(dir / "progress.txt");
  std::vector<std::string> lines;
  for (std::string line; std::getline(text, line);) lines.push_back(line);
  REQUIRE(lines.size() == 3);  // a file is no terminal: one line per refresh, none redrawn
  for (size_t i = 0; i < 3; ++i) {
    const int64_t step = 4 * static_cast<int64_t>(i + 1);
    CHECK(logged[i]["step"] == step);
    INFO(lines[i]);
    char expected[64];
    std::snprintf(expected, sizeof expected, "step %lld/12  ", static_cast<long long>(step));
    CHECK(lines[i].rfind(expected, 0) == 0);
    CHECK_THAT(lines[i], ContainsText(" it/s  ETA "));
    char d[32], g[32];
    std::snprintf(d, sizeof d, "d_loss %.4f", logged[i]["d_loss"].get<double>());
    std::snprintf(g, sizeof g, "g_loss %.4f", logged[i]["g_loss"].get<double>());
    CHECK_THAT(lines[i], ContainsText(d) && ContainsText(g));
  }
}

TEST_CASE("SampleGrid draws the same fixed latents after a resume: the grids equal an uninterrupted run's byte for byte", "[hooks][checkpoint]") {
  const fs::path straight = fresh_dir("hooks_grid_straight"), split = fresh_dir("hooks_grid_split");
  const auto grid = gc::hooks::SampleGridOptions().every(4).count(8).nrow(4);
  {
    auto t = tiny_dcgan(12);
    t.add_hook(gc::hooks::SampleGrid(straight / "samples", grid));
    t.fit(images());
  }
  {
    auto t = tiny_dcgan(7);
    t.add_hook(gc::hooks::SampleGrid(split / "samples", grid));
    t.add_hook(gc::hooks::Checkpointer(split / "checkpoints", gc::hooks::CheckpointerOptions().every(6).save_on_end(false)));
    t.fit(images());
  }
  {
    auto t = tiny_dcgan(12);
    REQUIRE(t.resume(split / "checkpoints").step == 6);
    t.add_hook(gc::hooks::SampleGrid(split / "samples", grid));
    t.fit(images());
  }
  for (const char* name : {"step-000000.png", "step-000004.png", "step-000008.png", "step-000012.png"}) {
    INFO(name);
    REQUIRE(fs::exists(split / "samples" / name));
    CHECK(read_bytes(split / "samples" / name) == read_bytes(straight / "samples" / name));
  }
  // The grids change as G trains: the equality above is not that of constant images.
  CHECK(read_bytes(straight / "samples" / "step-000004.png") != read_bytes(straight / "samples" / "step-000012.png"));
}

TEST_CASE("after a DivergenceGuard rollback, TensorBoard's reader shows each step once, without the diverged one", "[hooks][tensorboard][python]") {
  const fs::path run = fresh_dir("hooks_tensorboard_rollback");
  auto trainer = tiny_dcgan(10);
  trainer.add_hook(fixtures::Poison{7});
  // Before the guard, so both log the diverged step 7 (hooks after a rollback's guard do not run
  // on that step).
  trainer.add_hook(gc::hooks::TensorBoard(run / "tb"));
  trainer.add_hook(gc::hooks::JsonlLogger(run / "metrics.jsonl"));
  trainer.add_hook(gc::hooks::DivergenceGuard(gc::hooks::DivergenceGuardOptions()
                                                  .interval(1)
                                                  .policy(gc::hooks::DivergencePolicy::Rollback)
                                                  .checkpoint_root(run / "checkpoints")));
  trainer.add_hook(gc::hooks::Checkpointer(run / "checkpoints", gc::hooks::CheckpointerOptions().every(3)));
  trainer.fit(images());
  REQUIRE(trainer.step() == 10);
  // metrics.jsonl, which is not rewound, holds step 7 twice: the guard did roll back to 6.
  std::multiset<int64_t> logged;
  for (const auto& j : jsonl(run / "metrics.jsonl")) logged.insert(j["step"].get<int64_t>());
  REQUIRE(logged.count(7) == 2);

  std::ofstream(run / "read.py") << "import sys, json\n"
                                    "from tensorboard.backend.event_processing import event_accumulator as ea\n"
                                    "acc = ea.EventAccumulator(sys.argv[1], size_guidance={ea.SCALARS: 0})\n"
                                    "acc.Reload()\n"
                                    "print(json.dumps([e.step for e in acc.Scalars('d_loss')]))\n";
  const std::string cmd = std::string(GANCRAFT_TENSORBOARD_PYTHON) + " " + (run / "read.py").string() + " " +
                          (run / "tb").string() + " > " + (run / "read.txt").string() + " 2> " + (run / "read.err").string();
  const int rc = std::system(cmd.c_str());
  INFO(read_bytes(run / "read.err"));
  REQUIRE(rc == 0);
  const auto steps = nlohmann::json::parse(read_bytes(run / "read.txt"));
  CHECK(steps == nlohmann::json::parse("[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"));
}
