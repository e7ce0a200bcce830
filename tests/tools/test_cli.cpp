// The gancraft command-line tool: subcommands, config errors, refusal to overwrite, docs/config.md.
#include "tools/config.hpp"
#include "tools/experiment.hpp"

#ifdef GANCRAFT_CLI  // defined when the tool is built (GANCRAFT_BUILD_TOOLS)

#include <gancraft/detail/torch_compat.hpp>
#include <gancraft/gan.hpp>
#include <gancraft/hooks/export_generator.hpp>
#include <gancraft/io/export.hpp>

#include "tools/sample_files.hpp"
#include "../support/test_support.hpp"

#include "../support/catch.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
namespace gt = gancraft::tools;
using nlohmann::json;

namespace {

struct Run {
  int rc;
  std::string out;
};

/// Runs the tool with `args`, capturing stdout and stderr together.
Run cli(const std::string& args) {
  static int n = 0;
  const fs::path log = fs::path(GANCRAFT_TEST_TMP) / ("cli-" + std::to_string(getpid()) + "-" + std::to_string(++n) + ".log");
  fs::create_directories(log.parent_path());
  const std::string cmd = std::string(GANCRAFT_CLI) + " " + args + " > " + log.string() + " 2>&1";
  const int status = std::system(cmd.c_str());
  std::ifstream in(log);
  std::stringstream s;
  s << in.rdbuf();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, s.str()};
}

/// `gancraft sample --out FILE.csv`'s rows as a float tensor [N, D].
torch::Tensor csv_samples(const fs::path& file) { return gancraft::metrics::read_features_csv(file).to(torch::kFloat); }

fs::path fresh(const std::string& name) {
  const fs::path dir = fs::path(GANCRAFT_TEST_TMP) / "cli" / name;
  fs::remove_all(dir);
  fs::create_directories(dir.parent_path());
  return dir;
}

fs::path write_config(const std::string& name, const std::string& text) {
  const fs::path p = fs::path(GANCRAFT_TEST_TMP) / "cli" / (name + ".json");
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
  return p;
}

const char* kRing =
    R"({"model": {"kind": "mlp", "latent_dim": 4, "hidden": 32},
        "data": {"kind": "ring", "samples": 1000},
        "trainer": {"batch_size": 50, "steps": 40},
        "hooks": {"progress": false, "log_every": 5, "checkpoint_every": 20}})";

}  // namespace

TEST_CASE("config errors stop the tool before anything is written, naming the key", "[cli]") {
  const fs::path out = fresh("errors");
  struct Case { const char* config; const char* expect1; const char* expect2; };
  const Case cases[] = {
      {R"({"model": {"hiden": 3}})", "unknown key \"model.hiden\"", "nearest valid keys: model.hidden"},
      {R"({"trainer": {"batchsize": 3}})", "unknown key \"trainer.batchsize\"", "trainer.batch_size"},
      {R"({"model": {"latent_dim": "4"}})", "model.latent_dim: expected integer", "got \"4\""},
      {R"({"loss": {"kind": "wgan"}})", "loss.kind: \"wgan\" is not one of", "wasserstein"},
      {R"({"trainer": {"g_optimizer": 3}})", "trainer.g_optimizer: expected an object", "got 3"},
      {R"({"data": {"path": "/no/such/dir"}})", "/no/such/dir", "no such directory"},
      {R"({"model": )", "not valid JSON", ".json"},
      {R"({"hooks": {"log_every": 0}})", "hooks.log_every: must be at least 1", "got 0"},
      {R"({"trainer": {"batch_size": -5}})", "trainer.batch_size: must be at least 1", "got -5"},
  };
  int i = 0;
  for (const auto& c : cases) {
    const fs::path cfg = write_config("bad" + std::to_string(i++), c.config);
    auto r = cli("train --config " + cfg.string() + " --out " + out.string());
    INFO(c.config << "\n" << r.out);
    CHECK(r.rc != 0);
    CHECK_THAT(r.out, ContainsText(c.expect1) && ContainsText(c.expect2));
    CHECK_FALSE(fs::exists(out));
  }
  auto r = cli("train --config " + write_config("ok", kRing).string() + " --out " + out.string() + " --set model.layer=2");
  CHECK(r.rc != 0);
  CHECK_THAT(r.out, ContainsText("--set model.layer=2: unknown key \"model.layer\""));
  // Every mistake at once: two in the file and one in a --set, then two that only the model's
  // checks see.
  const fs::path two = write_config("two_mistakes", R"({"model": {"hiden": 3}, "trainer": {"batch_size": -5}})");
  auto all = cli("train --config " + two.string() + " --out " + out.string() + " --set hooks.log_every=0");
  INFO(all.out);
  CHECK(all.rc != 0);
  CHECK_THAT(all.out, ContainsText("two_mistakes.json: 2 problems:\n  unknown key \"model.hiden\"") &&
                          ContainsText("\n  trainer.batch_size: must be at least 1, got -5") &&
                          ContainsText("--set hooks.log_every=0: hooks.log_every: must be at least 1, got 0"));
  const fs::path model = write_config("two_model_mistakes",
                                      R"({"model": {"kind": "cycle_gan", "image_size": 30}, "data": {"kind": "fashion_mnist_unpaired_edges"}, "loss": {"weight_clip": 0.1}})");
  auto both = cli("train --config " + model.string() + " --out " + out.string());
  INFO(both.out);
  CHECK(both.rc != 0);
  CHECK_THAT(both.out, ContainsText("the config has 3 problems:"));
  CHECK_THAT(both.out, ContainsText("model.image_size and model.channels: fashion_mnist_unpaired_edges images are 28×28") &&
                           ContainsText("model.image_size: the ResNet translator halves the image twice") &&
                           ContainsText("loss.weight_clip: model.kind cycle_gan does not clip weights"));
  CHECK_FALSE(fs::exists(out));
  // Options the hooks refuse, and a model that cannot make the data's samples, also stop the
  // tool before the run directory exists.
  for (const char* set : {"hooks.checkpoint_every=0", "hooks.log_every=0", "model.kind=\"dcgan\""}) {
    auto bad = cli("train --config " + write_config("ok", kRing).string() + " --out " + out.string() + " --set " + set);
    INFO(set << "\n" << bad.out);
    CHECK(bad.rc != 0);
    CHECK_FALSE(fs::exists(out));
  }
  auto shape = cli("train --config " + (fs::path(GANCRAFT_SOURCE_DIR) / "configs" / "fashion_mnist_dcgan.json").string() +
                   " --out " + out.string() + " --set model.image_size=32");
  CHECK(shape.rc != 0);
  CHECK_THAT(shape.out, ContainsText("[1, 32, 32]") && ContainsText("[1, 28, 28]"));
  CHECK_FALSE(fs::exists(out));
}

TEST_CASE("set overrides parse JSON and fall back to a string", "[cli]") {
  json c = json::object();
  gt::apply_override(c, "trainer.steps=12");
  gt::apply_override(c, "data.path=/some/where");
  gt::apply_override(c, "hooks.progress=false");
  gt::apply_override(c, "loss.kind=\"hinge\"");
  gt::apply_override(c, "trainer.g_optimizer.lr=1e-3");
  CHECK(c["trainer"]["steps"] == 12);
  CHECK(c["data"]["path"] == "/some/where");
  CHECK(c["hooks"]["progress"] == false);
  CHECK(c["loss"]["kind"] == "hinge");
  CHECK(c["trainer"]["g_optimizer"]["lr"].get<double>() == Approx(1e-3));
  CHECK_THROWS_AS(gt::apply_override(c, "novalue"), gancraft::OptionError);
  // Found by fuzz_config: a value with invalid UTF-8 in an error message made nlohmann's dump()
  // throw its own exception instead of the OptionError.
  json bad = json::object();
  gt::apply_override(bad, "trainer.steps=\xff\xfe");
  CHECK_THROWS_AS(gt::resolve_config(bad, "fuzz"), gancraft::OptionError);
  CHECK_THROWS_WITH(gt::resolve_config(bad, "fuzz"), ContainsText("trainer.steps: expected integer"));
  const json resolved = gt::resolve_config(c, "test");
  CHECK(resolved["trainer"]["batch_size"] == 64);  // defaults filled in
  CHECK(resolved["loss"]["kind"] == "hinge");
}

TEST_CASE("docs/config.md is generated from the schema", "[cli]") {
  std::ifstream in(fs::path(GANCRAFT_SOURCE_DIR) / "docs" / "config.md");
  std::stringstream s;
  s << in.rdbuf();
  CHECK(s.str() == gt::config_markdown());
  for (const auto& k : gt::config_schema()) CHECK_THAT(s.str(), ContainsText("`" + k.path + "`"));
  auto r = cli("config-doc");
  CHECK(r.rc == 0);
  CHECK(r.out == gt::config_markdown());
}

TEST_CASE("train writes a run directory, refuses to overwrite, resumes, samples", "[cli]") {
  const fs::path out = fresh("ring");
  const fs::path cfg = write_config("ring", kRing);
  auto r = cli("train --config " + cfg.string() + " --out " + out.string() + " --set trainer.seed=3");
  INFO(r.out);
  REQUIRE(r.rc == 0);
  CHECK(fs::exists(out / "metrics.jsonl"));
  CHECK(fs::exists(out / "checkpoints" / "step-000040" / "manifest.json"));
  CHECK(fs::exists(out / "report.html"));
  const json resolved = gt::read_config_file(out / "config.json");
  CHECK(resolved["trainer"]["seed"] == 3);
  CHECK(resolved["model"]["layers"] == 2);  // a default, filled in
  CHECK(resolved == gt::resolve_config(resolved, "again"));

  const auto before = fs::last_write_time(out / "metrics.jsonl");
  auto again = cli("train --config " + cfg.string() + " --out " + out.string());
  CHECK(again.rc != 0);
  CHECK_THAT(again.out, ContainsText("already holds a run") && ContainsText("--resume"));
  CHECK(fs::last_write_time(out / "metrics.jsonl") == before);

  auto resumed = cli("train --out " + out.string() + " --resume --set trainer.steps=60");
  INFO(resumed.out);
  CHECK(resumed.rc == 0);
  CHECK_THAT(resumed.out, ContainsText("resumed from") && ContainsText("done: 60 steps"));

  auto csv = cli("sample --run " + out.string() + " --n 7 --out " + (out / "s.csv").string() + " --seed 2");
  INFO(csv.out);
  REQUIRE(csv.rc == 0);
  std::ifstream in(out / "s.csv");
  std::string line;
  int rows = 0;
  while (std::getline(in, line)) {
    ++rows;
    CHECK(std::count(line.begin(), line.end(), ',') == 1);
  }
  CHECK(rows == 7);
  auto png = cli("sample --run " + out.string() + " --n 4 --out " + (out / "s.png").string());
  CHECK(png.rc != 0);
  CHECK_THAT(png.out, ContainsText("use --out FILE.csv"));
  auto old = cli("sample --run " + out.string() + " --checkpoint 20 --n 3 --out " + (out / "old.csv").string());
  CHECK(old.rc == 0);
  CHECK_THAT(old.out, ContainsText("step-000020"));

  // A resume with another model width is refused, naming the tensor; nothing is trained.
  auto wider = cli("train --out " + out.string() + " --resume --set model.hidden=64 --set trainer.steps=80");
  CHECK(wider.rc != 0);
  CHECK_THAT(wider.out, ContainsText("has shape") && ContainsText("other options"));
  auto not_run = cli("sample --run " + (out / "checkpoints").string() + " --n 3 --out " + (out / "x.csv").string());
  CHECK(not_run.rc != 0);
  CHECK_THAT(not_run.out, ContainsText("is not a gancraft run: it needs config.json"));
}

TEST_CASE("sample draws image grids with truncation and spherical interpolation", "[cli]") {
  const fs::path out = fresh("images");
  auto r = cli("train --config " + (fs::path(GANCRAFT_SOURCE_DIR) / "configs" / "fashion_mnist_dcgan.json").string() +
               " --out " + out.string() +
               " --set model.base_width=8 --set trainer.steps=4 --set hooks.sample_every=2 --set hooks.progress=false" +
               " --set hooks.eval_every=0");
  INFO(r.out);
  REQUIRE(r.rc == 0);
  CHECK(fs::exists(out / "samples" / "step-000002.png"));
  auto grid = cli("sample --run " + out.string() + " --n 16 --truncation 0.5 --out " + (out / "g.png").string());
  REQUIRE(grid.rc == 0);
  torch::Tensor img = gancraft::io::read_png(out / "g.png");
  CHECK(img.size(0) == 2 + 2 * 30);  // 16 images, 8 per row: 2 rows of 28 px plus 2 px padding
  CHECK(img.size(1) == 2 + 8 * 30);
  auto lerp = cli("sample --run " + out.string() + " --n 3 --interpolate 5 --out " + (out / "i.png").string());
  REQUIRE(lerp.rc == 0);
  torch::Tensor walk = gancraft::io::read_png(out / "i.png");
  CHECK(walk.size(0) == 2 + 3 * 30);  // 3 rows of 5 steps
  CHECK(walk.size(1) == 2 + 5 * 30);

  // export: a TorchScript file that runs the checkpoint's generator, loaded without gancraft.
  auto e = cli("export --run " + out.string() + " --out " + (out / "g.ts").string() + " --truncation 0.5");
  INFO(e.out);
  REQUIRE(e.rc == 0);
  CHECK_THAT(e.out, ContainsText("exported the generator of") && ContainsText("step-000004"));
  torch::jit::Module exported = torch::jit::load((out / "g.ts").string());
  exported.eval();
  const json config = gt::read_config_file(out / "config.json");
  gt::RuntimeNet generator = gt::make_generator(config);
  gancraft::load_generator(generator, out / "checkpoints");
  generator->eval();
  const torch::Tensor z = torch::randn({3, config["model"]["latent_dim"].get<int64_t>()});
  torch::NoGradGuard no_grad;
  CHECK(torch::equal(exported.forward({z}).toTensor(), generator->forward(z)));
  CHECK(exported.attr("truncation").toDouble() == 0.5);
  size_t names = 0;
  for (const auto& p : exported.named_parameters()) names += generator->named_parameters().contains(p.name);
  CHECK(names == generator->parameters().size());
  auto bad = cli("export --run " + out.string() + " --out " + (out / "x.ts").string() + " --direction ba");
  CHECK(bad.rc != 0);
  CHECK_THAT(bad.out, ContainsText("only cycle_gan translates both ways"));
  CHECK_FALSE(fs::exists(out / "x.ts"));
}

TEST_CASE("info names versions and the BLAS, unknown commands and metrics refuse", "[cli]") {
  auto info = cli("info");
  CHECK(info.rc == 0);
  // The wheel's LibTorch carries MKL; Debian's loads OpenBLAS (scripts/deps.sh sees to that).
  const bool mkl = gancraft::detail::torch_build_setting("BLAS_INFO") == "mkl";
  CHECK_THAT(info.out, ContainsText("gancraft " GANCRAFT_VERSION_STRING) &&
                           ContainsText("LibTorch " + gancraft::detail::linked_torch_version() + " (linked") &&
                           ContainsText(mkl ? "BLAS: Intel(R) oneAPI Math Kernel Library" : "BLAS: OpenBLAS"));
  auto eval = cli("eval fid --a x.csv --b y.csv");
  CHECK(eval.rc != 0);
  CHECK_THAT(eval.out, ContainsText("unknown metric 'fid'"));
  auto stray = cli("train configs/fashion_mnist_dcgan.json");
  CHECK(stray.rc != 0);
  CHECK_THAT(stray.out, ContainsText("unexpected argument 'configs/fashion_mnist_dcgan.json'"));
  auto bad = cli("frobnicate");
  CHECK(bad.rc == 2);
  CHECK_THAT(bad.out, ContainsText("unknown command 'frobnicate'"));
}

TEST_CASE("--help on every subcommand prints that subcommand's usage and exits 0", "[cli][help]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"train --help", "usage: gancraft train --config FILE"},
      {"train --config x.json --help", "usage: gancraft train --config FILE"},
      {"sample --help", "usage: gancraft sample --run DIR|FILE.pt"},
      {"translate -h", "usage: gancraft translate --run DIR"},
      {"export --help", "usage: gancraft export --run DIR"},
      {"report --help", "usage: gancraft report DIR"},
      {"info --help", "usage: gancraft info"},
      {"config-doc --help", "usage: gancraft config-doc"},
      {"eval --help", "usage: gancraft eval METRIC"},
      {"eval fd --help", "usage: gancraft eval fd --a A.csv"},
      {"eval kid --help", "usage: gancraft eval kid --a A.csv"},
      {"eval pr --help", "usage: gancraft eval pr"},
      {"eval dc --help", "usage: gancraft eval dc"},
      {"eval is --help", "usage: gancraft eval is --logits"},
      {"eval fd-fmnist --help", "usage: gancraft eval fd-fmnist (--run DIR|FILE.pt"},
      {"launch --help", "usage: gancraft launch --nproc N"},
      {"--help", "usage: gancraft <command>"},
  };
  for (const auto& [args, usage] : cases) {
    auto r = cli(args);
    INFO(args << "\n" << r.out);
    CHECK(r.rc == 0);
    CHECK(r.out.rfind(usage, 0) == 0);  // that subcommand's usage, first
  }
  // Subcommand errors point at that subcommand's help.
  auto unknown = cli("sample --frob 3");
  CHECK(unknown.rc == 1);
  CHECK_THAT(unknown.out, ContainsText("unknown option --frob (see gancraft sample --help)"));
  auto extra = cli("info now");
  CHECK(extra.rc == 1);
  CHECK_THAT(extra.out, ContainsText("gancraft info takes no arguments, got 'now'"));
}

TEST_CASE("sample --truncation bounds every latent entry and --interpolate walks the great circle between truncated ends", "[cli]") {
  namespace gc = gancraft;
  const fs::path dir = fresh("identity");
  fs::create_directories(dir);
  // A generator that returns its latent: the samples are the latents the tool drew.
  struct IdentityImpl : torch::nn::Module {
    torch::nn::Linear fc{register_module("fc", torch::nn::Linear(torch::nn::LinearOptions(6, 6).bias(false)))};
    IdentityImpl() {
      torch::NoGradGuard no_grad;
      fc->weight.copy_(torch::eye(6));
    }
    torch::Tensor forward(const torch::Tensor& z) { return fc(z); }
  };
  TORCH_MODULE(Identity);
  Identity identity;
  gc::io::save_module(gc::export_generator(identity, 6), dir / "identity.pt");
  const std::string run = " --run " + (dir / "identity.pt").string();

  REQUIRE(cli("sample" + run + " --n 300 --seed 3 --out " + (dir / "plain.csv").string()).rc == 0);
  REQUIRE(cli("sample" + run + " --n 300 --seed 3 --truncation 0.5 --out " + (dir / "t.csv").string()).rc == 0);
  const torch::Tensor plain = csv_samples(dir / "plain.csv"), truncated = csv_samples(dir / "t.csv");
  at::Generator seed3 = gc::make_generator(3);
  CHECK(torch::allclose(plain, torch::randn({300, 6}, seed3), 0, 1e-6));  // the tool's latents, seed 3
  CHECK(plain.abs().max().item<double>() > 2.0);
  CHECK(truncated.abs().max().item<double>() <= 0.5);
  // Entries already within the threshold are kept, the rest redrawn.
  const torch::Tensor inside = plain.abs() <= 0.5;
  CHECK(torch::equal(truncated.masked_select(inside), plain.masked_select(inside)));

  REQUIRE(cli("sample" + run + " --n 3 --interpolate 5 --truncation 1 --seed 2 --out " + (dir / "walk.csv").string()).rc == 0);
  const torch::Tensor walk = csv_samples(dir / "walk.csv");
  REQUIRE(walk.size(0) == 15);
  for (int64_t r = 0; r < 3; ++r) {
    const torch::Tensor a = walk[5 * r].to(torch::kDouble), b = walk[5 * r + 4].to(torch::kDouble);
    CHECK(a.abs().max().item<double>() <= 1.0);  // the ends are truncated
    CHECK(b.abs().max().item<double>() <= 1.0);
    const double omega = std::acos((a / a.norm() * (b / b.norm())).sum().item<double>());
    for (int64_t i = 1; i < 4; ++i) {  // the points between: spherical interpolation of the ends
      const double t = i / 4.0;
      const torch::Tensor expected = (std::sin((1 - t) * omega) * a + std::sin(t * omega) * b) / std::sin(omega);
      CHECK(torch::allclose(walk[5 * r + i].to(torch::kDouble), expected, 0, 1e-5));
    }
  }
}

TEST_CASE("the SNGAN and image-folder configs train briefly with spectral norm, packing, DiffAugment, EMA and TensorBoard as configured", "[cli][configs]") {
  namespace gc = gancraft;
  const fs::path dir = fresh("configs_run");
  // A folder of 24 RGB images of each size the configs read (ImageFolder resizes anyway).
  torch::manual_seed(1);
  for (int i = 0; i < 24; ++i) {
    gc::io::write_png(dir / "images32" / ("x" + std::to_string(i) + ".png"),
                      gc::io::to_uint8_image(torch::rand({3, 32, 32}) * 2 - 1));
    gc::io::write_png(dir / "images64" / ("x" + std::to_string(i) + ".png"),
                      gc::io::to_uint8_image(torch::rand({3, 64, 64}) * 2 - 1));
  }
  const fs::path configs = fs::path(GANCRAFT_SOURCE_DIR) / "configs";
  const std::string quiet = " --set hooks.progress=false --set trainer.threads=1";

  // SNGAN + hinge (the CIFAR-10 config on a folder of 32 px images), packed in pairs.
  const fs::path sngan = dir / "sngan";
  auto r = cli("train --config " + (configs / "cifar10_sngan_hinge.json").string() + " --out " + sngan.string() + quiet +
               " --set data.kind=image_folder --set data.path=" + (dir / "images32").string() +
               " --set model.sngan_g_channels=16 --set model.sngan_d_channels=16 --set trainer.batch_size=8" +
               " --set trainer.steps=2 --set trainer.d_steps_per_g_step=2 --set model.pack=2 --set hooks.sample_every=1");
  INFO(r.out);
  REQUIRE(r.rc == 0);
  const fs::path last = sngan / "checkpoints" / "step-000002";
  CHECK(fs::exists(last / "extra-generator_ema.pt"));  // hooks.ema_decay of the config
  // Packed in pairs: the checkpoint's discriminator (loaded with its shapes checked) has a first
  // conv that takes 2 × 3 channels.
  {
    gt::RuntimeNet d = gt::make_discriminator(gt::read_config_file(sngan / "config.json"));
    gc::detail::load_module(*d, last / "discriminator.pt", torch::kCPU);
    CHECK(d->samples_per_score() == 2);
    bool packed = false;
    for (const auto& p : d->named_parameters())
      if (p.value().dim() == 4 && p.value().size(1) == 6) packed = true;
    CHECK(packed);
  }
  REQUIRE(cli("sample --run " + sngan.string() + " --n 4 --out " + (dir / "sngan.png").string()).rc == 0);
  CHECK(gc::io::read_png(dir / "sngan.png").size(2) == 3);

  // DCGAN + EMA + DiffAugment + TensorBoard on an image folder, by epochs (24 images / 8 = 3 steps each).
  const fs::path folder = dir / "folder";
  r = cli("train --config " + (configs / "image_folder_dcgan_ema_diffaugment.json").string() + " --out " + folder.string() +
          quiet + " --set data.path=" + (dir / "images64").string() +
          " --set model.base_width=4 --set trainer.batch_size=8 --set trainer.epochs=2 --set hooks.ema_start=0" +
          " --set hooks.ema_decay=0.5 --set model.spectral_norm=true");
  INFO(r.out);
  REQUIRE(r.rc == 0);
  CHECK_THAT(r.out, ContainsText("done: 6 steps"));
  const fs::path ckpt = folder / "checkpoints" / "step-000006";
  REQUIRE(fs::exists(ckpt / "extra-generator_ema.pt"));
  const json config = gt::read_config_file(folder / "config.json");
  {
    gt::RuntimeNet d = gt::make_discriminator(config);
    gc::detail::load_module(*d, ckpt / "discriminator.pt", torch::kCPU);  // the names and shapes match
    bool augmented = false, normalised = false;
    for (const auto& b : d->named_buffers()) normalised = normalised || b.key().ends_with(".u");
    for (const auto& m : d->named_modules())
      augmented = augmented || dynamic_cast<gc::nn::DiffAugmentImpl*>(m.value().get()) != nullptr;
    CHECK(augmented);   // nn::DiffAugment wraps D
    CHECK(normalised);  // SpectralNorm's power-iteration vector in every layer
  }
  bool events = false;
  for (const auto& e : fs::directory_iterator(folder / "tensorboard"))
    events = events || e.path().filename().string().rfind("events.out.tfevents.", 0) == 0;
  CHECK(events);
  // gancraft sample uses the EMA's weights: equal to G with the averaged parameters loaded.
  REQUIRE(cli("sample --run " + folder.string() + " --n 3 --seed 1 --out " + (dir / "ema.csv").string()).rc == 0);
  gt::RuntimeNet g = gt::make_generator(config);
  gc::load_generator(g, ckpt);
  g->eval();
  torch::NoGradGuard no_grad;
  at::Generator seed1 = gc::make_generator(1);
  const torch::Tensor z = torch::randn({3, 100}, seed1);
  const torch::Tensor raw = g->forward(z).flatten(1);
  {
    auto params = g->parameters();
    gc::detail::EmaWeightsImpl ema(params);
    gc::detail::load_module(ema, ckpt / "extra-generator_ema.pt", torch::kCPU);
    for (size_t i = 0; i < params.size(); ++i) params[i].copy_(ema.tensors[i]);
  }
  const torch::Tensor expected = g->forward(z).flatten(1);
  CHECK(torch::allclose(csv_samples(dir / "ema.csv"), expected, 0, 1e-6));
  CHECK_FALSE(torch::allclose(raw, expected, 0, 1e-4));  // the average, not the last weights

  // What a config cannot combine is named, all at once.
  auto bad = cli("train --config " + (configs / "cifar10_sngan_hinge.json").string() + " --out " + (dir / "bad").string() +
                 " --set model.spectral_norm=true --set augment.diffaugment=color,blur --set trainer.batch_size=9 --set model.pack=2");
  CHECK(bad.rc != 0);
  CHECK_THAT(bad.out, ContainsText("model.spectral_norm: applies to dcgan and mlp (sngan's discriminator always has it)") &&
                          ContainsText("trainer.batch_size: must be a multiple of model.pack = 2, got 9") &&
                          ContainsText("augment.diffaugment: \"blur\" in \"color,blur\" is not color, translation or cutout"));
  CHECK_FALSE(fs::exists(dir / "bad"));
}

TEST_CASE("eval prints one JSON object per metric from feature files", "[cli][metrics]") {
  const fs::path dir = fresh("eval");
  fs::create_directories(dir);
  at::Generator gen = gancraft::make_generator(8);
  const torch::Tensor a = torch::randn({300, 5}, gen, torch::kDouble);
  const torch::Tensor b = torch::randn({200, 5}, gen, torch::kDouble) * 1.5 + 0.5;
  gancraft::metrics::write_features_csv(dir / "a.csv", a);
  gancraft::metrics::write_features_csv(dir / "b.csv", b);
  const std::string files = " --a " + (dir / "a.csv").string() + " --b " + (dir / "b.csv").string();
  auto fd = cli("eval fd" + files);
  INFO(fd.out);
  REQUIRE(fd.rc == 0);
  const json j = json::parse(fd.out);
  CHECK(j["fd"].get<double>() == Approx(gancraft::metrics::frechet_distance(a, b)).epsilon(1e-12));
  CHECK(j["n_a"] == 300);
  CHECK(j["n_b"] == 200);
  CHECK(j["dim"] == 5);
  auto kid = cli("eval kid" + files + " --subsets 5 --subset-size 100 --seed 1");
  REQUIRE(kid.rc == 0);
  const auto expected = gancraft::metrics::kernel_inception_distance(
      a, b, gancraft::metrics::KidOptions().subsets(5).subset_size(100).seed(1));
  CHECK(json::parse(kid.out)["kid"].get<double>() == Approx(expected.mean).epsilon(1e-12));
  auto pr = cli("eval pr" + files + " --k 4");
  REQUIRE(pr.rc == 0);
  CHECK(json::parse(pr.out)["recall"].get<double>() == Approx(gancraft::metrics::precision_recall(a, b, 4).recall));
  auto dc = cli("eval dc" + files);
  REQUIRE(dc.rc == 0);
  CHECK(json::parse(dc.out)["coverage"].get<double>() == Approx(gancraft::metrics::density_coverage(a, b).coverage));
  // Errors name the problem: an option the metric does not take, a missing file, too few samples.
  auto stray = cli("eval fd" + files + " --k 3");
  CHECK(stray.rc != 0);
  CHECK_THAT(stray.out, ContainsText("unknown option --k"));
  auto missing = cli("eval fd --a " + (dir / "none.csv").string() + " --b " + (dir / "b.csv").string());
  CHECK(missing.rc != 0);
  CHECK_THAT(missing.out, ContainsText("none.csv: cannot open"));
  gancraft::metrics::write_features_csv(dir / "few.csv", a.narrow(0, 0, 4));
  auto few = cli("eval fd --a " + (dir / "few.csv").string() + " --b " + (dir / "b.csv").string());
  CHECK(few.rc != 0);
  CHECK_THAT(few.out, ContainsText("set a has 4 samples for 5 features"));
}

TEST_CASE("eval fd-fmnist scores a run's generator against Fashion-MNIST", "[cli][metrics]") {
  // The test set against itself is the zero of the scale (up to rounding in the square root of
  // a 128-d covariance with near-zero eigenvalues: ~1e-5 here).
  auto self = cli("eval fd-fmnist --split test --against test");
  INFO(self.out);
  REQUIRE(self.rc == 0);
  const json s = json::parse(self.out);
  CHECK(std::abs(s["fd_fmnist"].get<double>()) < 1e-3);
  CHECK(s["dim"] == 128);
  CHECK(s["n_a"] == 10000);
  // (FD-FMNIST against a value computed in the test from the library: the --samples test.)
  // An all-but-untrained generator is far from the data.
  const fs::path out = fresh("fd_fmnist_run");
  auto r = cli("train --config " + (fs::path(GANCRAFT_SOURCE_DIR) / "configs" / "fashion_mnist_dcgan.json").string() +
               " --out " + out.string() + " --set model.base_width=8 --set trainer.steps=2 --set hooks.progress=false" +
               " --set hooks.eval_every=1 --set hooks.eval_samples=200");
  INFO(r.out);
  REQUIRE(r.rc == 0);
  // hooks.eval_every: one FD-FMNIST line per step, and the best checkpoint.
  std::ifstream eval_log(out / "eval.jsonl");
  std::vector<json> lines;
  for (std::string line; std::getline(eval_log, line);) lines.push_back(json::parse(line));
  REQUIRE(lines.size() == 2);
  CHECK(lines[1]["step"] == 2);
  CHECK(lines[1]["samples"] == 200);
  CHECK(lines[1]["fd"].get<double>() > 0);
  CHECK(fs::exists(out / "best" / "manifest.json"));
  auto ring = cli("train --config " + write_config("ring_eval", kRing).string() + " --out " + (out / "ring").string() +
                  " --set hooks.eval_every=10");
  CHECK(ring.rc != 0);
  CHECK_THAT(ring.out, ContainsText("needs data.kind fashion_mnist, got \"ring\""));
  CHECK(!fs::exists(out / "ring"));
  auto run = cli("eval fd-fmnist --run " + out.string() + " --n 500 --against test");
  INFO(run.out);
  REQUIRE(run.rc == 0);
  const json j = json::parse(run.out);
  CHECK(j["fd_fmnist"].get<double>() > 10.0);
  CHECK(j["n_a"] == 500);
  auto wrong = cli("eval fd-fmnist --run " + out.string() + " --split test");
  CHECK(wrong.rc != 0);
  CHECK_THAT(wrong.out, ContainsText("exactly one of --run DIR"));
  auto bad = cli("eval fd-fmnist --split test --classifier " + (out / "config.json").string());
  CHECK(bad.rc != 0);
  CHECK_THAT(bad.out, ContainsText("config.json"));
}

TEST_CASE("translation models train, resume exactly, translate folders and refuse what they cannot do", "[cli][translation]") {
  const fs::path config = fs::path(GANCRAFT_SOURCE_DIR) / "configs" / "fashion_mnist_pix2pix.json";
  const std::string small = " --set model.g_width=4 --set model.d_width=4 --set trainer.batch_size=8 --set trainer.threads=1"
                            " --set hooks.progress=false --set hooks.eval_every=0 --set hooks.checkpoint_every=2"
                            " --set hooks.sample_every=2 --set hooks.sample_count=4";
  const fs::path straight = fresh("pix2pix_straight"), split = fresh("pix2pix_split");
  auto r = cli("train --config " + config.string() + " --out " + straight.string() + small + " --set trainer.steps=4");
  INFO(r.out);
  REQUIRE(r.rc == 0);
  CHECK_THAT(r.out, ContainsText("done: 4 steps"));
  CHECK(fs::exists(straight / "report.html"));
  // The grids are source | output | target triples of 28-px images, four per row.
  const torch::Tensor grid = gancraft::io::read_png(straight / "samples" / "step-000004.png");
  CHECK(grid.size(0) == 2 + 30);
  CHECK(grid.size(1) == 2 + 12 * 30);
  // Stopped at step 2 and resumed, the run ends with the same weights, byte for byte.
  REQUIRE(cli("train --config " + config.string() + " --out " + split.string() + small + " --set trainer.steps=2").rc == 0);
  auto resumed = cli("train --out " + split.string() + " --resume --set trainer.steps=4");
  INFO(resumed.out);
  REQUIRE(resumed.rc == 0);
  CHECK_THAT(resumed.out, ContainsText("resumed from") && ContainsText("done: 4 steps"));
  auto bytes = [](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  for (const char* file : {"generator.pt", "discriminator.pt", "generator_optimizer.pt", "discriminator_optimizer.pt"})
    CHECK(bytes(straight / "checkpoints" / "step-000004" / file) == bytes(split / "checkpoints" / "step-000004" / file));

  // translate: every image of a folder, under its own name, equal to the U-Net run here on the
  // same input.
  const fs::path in = fresh("translate_in"), out = fresh("translate_out");
  at::Generator gen = gancraft::make_generator(4);
  for (const char* name : {"a.png", "sub/b.png"}) {
    fs::create_directories((in / name).parent_path());
    gancraft::io::write_png(in / name, torch::randint(256, {28, 28}, gen, torch::kUInt8));
  }
  fs::create_directories(in / "top");
  fs::rename(in / "a.png", in / "top" / "a.png");  // ImageFolder: images sit in class folders or all at the top
  auto t = cli("translate --run " + straight.string() + " --in " + in.string() + " --out " + out.string());
  INFO(t.out);
  REQUIRE(t.rc == 0);
  CHECK_THAT(t.out, ContainsText("translated 2 images") && ContainsText("step-000004"));
  auto unet = gancraft::models::UNetGenerator(gancraft::models::UNetGeneratorOptions(1, 1).width(4).levels(2));
  gancraft::load_generator(unet, straight / "checkpoints");
  unet->eval();
  gancraft::data::ImageFolder folder(in, gancraft::data::ImageFolderOptions().image_size(28).channels(1));
  for (size_t i = 0; i < 2; ++i) {
    torch::NoGradGuard no_grad;
    const torch::Tensor expected = gancraft::io::to_uint8_image(unet->forward(folder.get(i).data.unsqueeze(0))[0]);
    const fs::path written = out / folder.paths()[i].lexically_relative(in);
    REQUIRE(fs::exists(written));
    CHECK(torch::equal(gancraft::io::read_png(written), expected));
  }
  auto again = cli("translate --run " + straight.string() + " --in " + in.string() + " --out " + out.string());
  CHECK(again.rc != 0);
  CHECK_THAT(again.out, ContainsText("not an empty folder") && ContainsText("nothing is overwritten"));
  auto reverse = cli("translate --run " + straight.string() + " --in " + in.string() + " --out " + (out / "x").string() + " --direction ba");
  CHECK(reverse.rc != 0);
  CHECK_THAT(reverse.out, ContainsText("only cycle_gan translates both ways"));
  auto sample = cli("sample --run " + straight.string() + " --n 4 --out " + (out / "s.png").string());
  CHECK(sample.rc != 0);
  CHECK_THAT(sample.out, ContainsText("use gancraft translate"));
  // export of a translator: the same U-Net as TorchScript.
  auto ex = cli("export --run " + straight.string() + " --out " + (out / "unet.ts").string());
  INFO(ex.out);
  REQUIRE(ex.rc == 0);
  {
    torch::jit::Module m = torch::jit::load((out / "unet.ts").string());
    m.eval();
    torch::NoGradGuard no_grad;
    const torch::Tensor x = torch::stack({folder.get(0).data, folder.get(1).data, folder.get(0).data});
    CHECK(m.attr("kind").toStringRef() == "translator");
    CHECK(torch::equal(m.forward({x}).toTensor(), unet->forward(x)));
  }
  auto truncated = cli("export --run " + straight.string() + " --out " + (out / "t.ts").string() + " --truncation 1");
  CHECK(truncated.rc != 0);
  CHECK_THAT(truncated.out, ContainsText("translates images and draws no latents"));

  // CycleGAN on two unpaired folders: trains, and translates both ways.
  const fs::path cycle = fresh("cycle_folders");
  auto c = cli("train --config " + (fs::path(GANCRAFT_SOURCE_DIR) / "configs" / "fashion_mnist_cycle_gan.json").string() +
               " --out " + cycle.string() + small + " --set trainer.steps=2 --set trainer.batch_size=1" +
               " --set data.kind=unpaired_folders --set data.a=" + (in / "top").string() + " --set data.b=" + (in / "sub").string());
  INFO(c.out);
  REQUIRE(c.rc == 0);
  CHECK(fs::exists(cycle / "checkpoints" / "step-000002" / "pool_b.pt"));
  CHECK(gancraft::io::read_png(cycle / "samples" / "step-000002.png").size(1) == 2 + 2 * 30);  // source | output
  auto ba = cli("translate --run " + cycle.string() + " --in " + in.string() + " --out " + (out / "ba").string() + " --direction ba");
  INFO(ba.out);
  REQUIRE(ba.rc == 0);
  // --direction ba is F, "generator_ba" of the checkpoint, run here on the same input.
  auto f = gancraft::models::ResNetTranslator(gancraft::models::ResNetTranslatorOptions(1, 1).width(4));
  gancraft::detail::load_module(*f, cycle / "checkpoints" / "step-000002" / "generator_ba.pt", torch::kCPU);
  f->eval();
  {
    torch::NoGradGuard no_grad;
    const auto b_index = folder.paths()[0].filename() == "b.png" ? 0 : 1;
    const torch::Tensor expected = gancraft::io::to_uint8_image(f->forward(folder.get(b_index).data.unsqueeze(0))[0]);
    CHECK(torch::equal(gancraft::io::read_png(out / "ba" / "sub" / "b.png"), expected));
  }
  // export --direction ba is F as TorchScript.
  auto fx = cli("export --run " + cycle.string() + " --direction ba --out " + (out / "f.ts").string());
  INFO(fx.out);
  REQUIRE(fx.rc == 0);
  {
    torch::jit::Module m = torch::jit::load((out / "f.ts").string());
    m.eval();
    torch::NoGradGuard no_grad;
    const torch::Tensor x = torch::stack({folder.get(0).data, folder.get(1).data, folder.get(1).data});
    CHECK(torch::equal(m.forward({x}).toTensor(), f->forward(x)));
  }

  // The Fashion-MNIST CycleGAN: domain A is the edge maps, so G (translate, the grids) makes
  // garments from the test images' edge maps, shown beside the garments themselves.
  const fs::path fm = fresh("cycle_fmnist");
  auto g = cli("train --config " + (fs::path(GANCRAFT_SOURCE_DIR) / "configs" / "fashion_mnist_cycle_gan.json").string() +
               " --out " + fm.string() + small + " --set trainer.steps=1 --set trainer.batch_size=2 --set hooks.sample_count=2");
  INFO(g.out);
  REQUIRE(g.rc == 0);
  {
    const gancraft::data::FashionMNIST test("/usr/share/datasets/fashion-mnist", gancraft::data::Split::Test);
    const torch::Tensor garments = test.images().narrow(0, 0, 2), edges = gancraft::data::sobel_edges(garments);
    auto gen = gancraft::models::ResNetTranslator(gancraft::models::ResNetTranslatorOptions(1, 1).width(4));
    gancraft::load_generator(gen, fm / "checkpoints");
    gen->eval();
    torch::NoGradGuard no_grad;
    const torch::Tensor expected = gancraft::io::make_grid(gancraft::io::translation_triples(edges, gen->forward(edges), garments), 12);
    CHECK(torch::equal(gancraft::io::read_png(fm / "samples" / "step-000001.png"), expected));
  }

  // Combinations a model cannot train on stop the tool before anything is written.
  const fs::path refused = fresh("translation_refused");
  const std::pair<const char*, const char*> refusals[] = {
      {"data.kind=fashion_mnist", "data.kind: model.kind pix2pix trains on"},
      {"trainer.d_steps_per_g_step=2", "trainer.d_steps_per_g_step: model.kind pix2pix"},
      {"model.image_size=32", "model.image_size and model.channels: fashion_mnist_edges"},
      {"model.levels=3", "model.levels: the U-Net halves the image 3 times"},
      {"data.kind=paired_folders", "data.a: data.kind paired_folders needs the folder"},
      {"data.source_channels=3", "data.source_channels: applies to pix2pix on paired_folders only"},
      {"loss.weight_clip=0.1", "loss.weight_clip: model.kind pix2pix"},
      {"model.kind=super_resolution", "data.kind: model.kind super_resolution trains on"},
  };
  for (const auto& [set, expected] : refusals) {
    auto bad = cli("train --config " + config.string() + " --out " + refused.string() + small + " --set " + set);
    INFO(set << "\n" << bad.out);
    CHECK(bad.rc != 0);
    CHECK_THAT(bad.out, ContainsText(expected));
    CHECK_FALSE(fs::exists(refused));
  }
  auto scale = cli("train --config " + (fs::path(GANCRAFT_SOURCE_DIR) / "configs" / "fashion_mnist_super_resolution.json").string() +
                   " --out " + refused.string() + small + " --set model.scale=3");
  CHECK(scale.rc != 0);
  CHECK_THAT(scale.out, ContainsText("model.scale: must be a power of 2"));
  CHECK_FALSE(fs::exists(refused));
}

namespace {

// A program's own networks, not gancraft's: a small conv generator and critic.
struct OwnGeneratorImpl : torch::nn::Module {
  torch::nn::Linear fc{register_module("fc", torch::nn::Linear(16, 16 * 7 * 7))};
  torch::nn::ConvTranspose2d up1{register_module(
      "up1", torch::nn::ConvTranspose2d(torch::nn::ConvTranspose2dOptions(16, 8, 4).stride(2).padding(1)))};
  torch::nn::ConvTranspose2d up2{register_module(
      "up2", torch::nn::ConvTranspose2d(torch::nn::ConvTranspose2dOptions(8, 1, 4).stride(2).padding(1)))};
  torch::Tensor forward(const torch::Tensor& z) {
    return torch::tanh(up2(torch::relu(up1(torch::relu(fc(z)).view({-1, 16, 7, 7})))));
  }
};
TORCH_MODULE(OwnGenerator);
struct OwnCriticImpl : torch::nn::Module {
  torch::nn::Conv2d c1{register_module("c1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 8, 4).stride(2).padding(1)))};
  torch::nn::Conv2d c2{register_module("c2", torch::nn::Conv2d(torch::nn::Conv2dOptions(8, 16, 4).stride(2).padding(1)))};
  torch::nn::Linear fc{register_module("fc", torch::nn::Linear(16 * 7 * 7, 1))};
  torch::Tensor forward(const torch::Tensor& x) {
    return fc(torch::leaky_relu(c2(torch::leaky_relu(c1(x), 0.2)), 0.2).flatten(1));
  }
};
TORCH_MODULE(OwnCritic);


}  // namespace

TEST_CASE("a program's own run: trained with its own modules, exported, then sampled, scored and reported by the tool", "[cli][export]") {
  namespace gc = gancraft;
  const fs::path run = fresh("own_run");
  const torch::Tensor real = gc::data::FashionMNIST("/usr/share/datasets/fashion-mnist", gc::data::Split::Train)
                                 .images().narrow(0, 0, 256);
  auto trainer = gc::Trainer(OwnGenerator{}, OwnCritic{}, gc::losses::NonSaturating{},
                             gc::TrainerOptions().latent_dim(16).batch_size(32).steps(24).seed(5).threads(1));
  trainer.add_hook(gc::hooks::JsonlLogger(run / "metrics.jsonl", 4));
  trainer.add_hook(gc::hooks::SampleGrid(run / "samples", gc::hooks::SampleGridOptions().every(12)));
  trainer.add_hook(gc::hooks::Checkpointer(run / "checkpoints", gc::hooks::CheckpointerOptions().every(12)));
  trainer.add_hook(gc::hooks::ExportGenerator(trainer, run / "generator.pt", gc::hooks::ExportGeneratorOptions().every(12)));
  trainer.fit(real);
  REQUIRE(fs::is_regular_file(run / "generator.pt"));
  CHECK(gc::io::load_module(run / "generator.pt").attr("step").toInt() == 24);

  // sample: the tool's latents (seed 4) through the exported file equal the trainer's generator.
  auto csv = cli("sample --run " + run.string() + " --n 6 --seed 4 --out " + (run / "s.csv").string());
  INFO(csv.out);
  REQUIRE(csv.rc == 0);
  CHECK_THAT(csv.out, ContainsText("generator.pt"));
  at::Generator seed4 = gc::make_generator(4);
  const torch::Tensor expected = trainer.generate(torch::randn({6, 16}, seed4)).flatten(1);
  const torch::Tensor got = csv_samples(run / "s.csv");
  REQUIRE(got.sizes() == expected.sizes());
  CHECK(torch::allclose(got, expected, 0, 1e-6));  // CSV keeps 9 significant digits
  // The exported file itself gives the same, and a PNG grid has make_grid's size.
  auto bare = cli("sample --run " + (run / "generator.pt").string() + " --n 6 --seed 4 --out " + (run / "bare.csv").string());
  REQUIRE(bare.rc == 0);
  CHECK(gc::test::read_bytes(run / "bare.csv") == gc::test::read_bytes(run / "s.csv"));
  REQUIRE(cli("sample --run " + run.string() + " --n 10 --out " + (run / "s.png").string()).rc == 0);
  const torch::Tensor png = gc::io::read_png(run / "s.png");
  CHECK(png.size(0) == 2 * 30 + 2);
  CHECK(png.size(1) == 8 * 30 + 2);

  // eval fd-fmnist on the run equals FD-FMNIST computed here from the trainer's own samples.
  auto eval = cli("eval fd-fmnist --run " + run.string() + " --n 200 --against test");
  INFO(eval.out);
  REQUIRE(eval.rc == 0);
  const json e = json::parse(eval.out);
  at::Generator seed0 = gc::make_generator(0);
  const torch::Tensor images = trainer.generate(torch::randn({200, 16}, seed0));
  const auto features = gc::metrics::fd_fmnist_extractor(gc::metrics::load_fd_fmnist_classifier(gc::metrics::fd_fmnist_weights()));
  const gc::data::FashionMNIST test("/usr/share/datasets/fashion-mnist", gc::data::Split::Test);
  const double fd = gc::metrics::frechet_distance(gc::metrics::extract_features(features, images, 500),
                                                  gc::metrics::extract_features(features, test.images(), 500));
  CHECK(e["fd_fmnist"].get<double>() == Approx(fd).epsilon(1e-6));
  CHECK(e["n_a"] == 200);

  // report: charts from metrics.jsonl, the sample grids of steps 0, 12 and 24, the exported generator.
  auto report = cli("report " + run.string());
  INFO(report.out);
  REQUIRE(report.rc == 0);
  const std::string html = gc::test::read_bytes(run / "report.html");
  CHECK_THAT(html, ContainsText("<td>sample grids</td><td>3</td>"));
  CHECK_THAT(html, ContainsText("<td>exported generator</td>"));
  CHECK_THAT(html, ContainsText("<td>steps done</td><td>24</td>"));
  CHECK_THAT(html, ContainsText("<svg"));

  // What the tool cannot do with a run it cannot rebuild says why.
  auto checkpoint = cli("sample --run " + run.string() + " --checkpoint 12 --n 2 --out " + (run / "x.csv").string());
  CHECK(checkpoint.rc != 0);
  CHECK_THAT(checkpoint.out, ContainsText("holds no config.json, so its generator is the exported generator.pt"));
  auto resume = cli("train --resume --out " + run.string());
  CHECK(resume.rc != 0);
  CHECK_THAT(resume.out, ContainsText("has no config.json, so gancraft train did not write it"));
  CHECK_THAT(resume.out, ContainsText("Trainer::resume"));
  auto again = cli("export --run " + run.string() + " --out " + (run / "x.pt").string());
  CHECK(again.rc != 0);
  CHECK_THAT(again.out, ContainsText("is already an exported generator"));
  CHECK(!fs::exists(run / "x.csv"));
  CHECK(!fs::exists(run / "x.pt"));
  const fs::path empty = fresh("own_run_empty");
  fs::create_directories(empty);
  auto nothing = cli("sample --run " + empty.string() + " --n 2 --out " + (empty / "x.csv").string());
  CHECK(nothing.rc != 0);
  CHECK_THAT(nothing.out, ContainsText("generator.pt (hooks::ExportGenerator writes it from any program"));
  // report: any directory gets a page, an empty one too (docs/report.md).
  CHECK(cli("report " + empty.string()).rc == 0);
  CHECK(fs::exists(empty / "report.html"));
}

TEST_CASE("eval fd-fmnist --samples reads PNG grids, CSV and tensor files of generated images", "[cli][metrics]") {
  namespace gc = gancraft;
  const fs::path dir = fresh("samples_files");
  fs::create_directories(dir);
  torch::manual_seed(3);
  const gc::data::FashionMNIST test("/usr/share/datasets/fashion-mnist", gc::data::Split::Test);
  // 150 test images with noise, so they are no exact copies; in [-1, 1].
  const torch::Tensor x = (test.images().narrow(0, 0, 150) + 0.1 * torch::randn({150, 1, 28, 28})).clamp(-1, 1);
  // PNG: the tiles of gancraft's grid, quantised as the PNG stores them; the last row's empty cells dropped.
  gc::io::save_grid(dir / "grid.png", x, 8);
  const torch::Tensor tiles = gt::read_sample_images(dir / "grid.png");
  CHECK(torch::equal(tiles, gc::io::to_uint8_range(x).to(torch::kFloat) / 127.5 - 1));
  // A .pt from C++ (torch::save) and from Python (torch.save), and CSV, give the tensor back.
  torch::save(x, (dir / "cpp.pt").string());
  CHECK(torch::equal(gt::read_sample_images(dir / "cpp.pt"), x));
  gc::metrics::write_features_csv(dir / "x.csv", x.flatten(1));
  CHECK(torch::equal(gt::read_sample_images(dir / "x.csv"), x));
  {
    std::ofstream script(dir / "save.py");
    script << "import sys, torch\ntorch.save(torch.linspace(-1, 1, 140 * 784).reshape(140, 1, 28, 28), sys.argv[1])\n";
  }
  REQUIRE(std::system((std::string(GANCRAFT_PYTHON) + " " + (dir / "save.py").string() + " " + (dir / "py.pt").string()).c_str()) == 0);
  CHECK(torch::equal(gt::read_sample_images(dir / "py.pt"), torch::linspace(-1, 1, 140 * 784).reshape({140, 1, 28, 28})));
  CHECK(gt::read_sample_images(dir / "x.csv", {.limit = 20}).size(0) == 20);

  // The tool scores them as it scores the same images given any other way.
  const auto features = gc::metrics::fd_fmnist_extractor(gc::metrics::load_fd_fmnist_classifier(gc::metrics::fd_fmnist_weights()));
  const auto reference = gc::metrics::extract_features(features, test.images(), 500);
  const double fd = gc::metrics::frechet_distance(gc::metrics::extract_features(features, x, 500), reference);
  const double fd_png = gc::metrics::frechet_distance(gc::metrics::extract_features(features, tiles, 500), reference);
  for (const auto& [file, want] : std::vector<std::pair<std::string, double>>{{"x.csv", fd}, {"cpp.pt", fd}, {"grid.png", fd_png}}) {
    auto r = cli("eval fd-fmnist --samples " + (dir / file).string() + " --against test");
    INFO(file << ": " << r.out);
    REQUIRE(r.rc == 0);
    const json j = json::parse(r.out);
    CHECK(j["fd_fmnist"].get<double>() == Approx(want).epsilon(1e-6));
    CHECK(j["n_a"] == 150);
  }

  // Refusals name the file and the problem.
  gc::io::save_grid(dir / "pad1.png", x, 8, 1);
  auto pad = cli("eval fd-fmnist --samples " + (dir / "pad1.png").string());
  CHECK(pad.rc != 0);
  CHECK_THAT(pad.out, ContainsText("pad1.png") && ContainsText("is not a grid of 28×28 tiles with 2 pixels of padding"));
  auto pad_ok = cli("eval fd-fmnist --samples " + (dir / "pad1.png").string() + " --padding 1 --against test");
  CHECK(pad_ok.rc == 0);
  torch::save((x + 1) * 127.5, (dir / "bytes.pt").string());
  auto range = cli("eval fd-fmnist --samples " + (dir / "bytes.pt").string());
  CHECK(range.rc != 0);
  CHECK_THAT(range.out, ContainsText("bytes.pt: values span [0, 255]") && ContainsText("must be in [-1, 1]"));
  torch::save(x.narrow(0, 0, 10), (dir / "few.pt").string());
  auto few = cli("eval fd-fmnist --samples " + (dir / "few.pt").string());
  CHECK(few.rc != 0);
  CHECK_THAT(few.out, ContainsText("10 images; the Fréchet distance needs more than the feature size, 128"));
  torch::save(torch::zeros({200, 3, 28, 28}), (dir / "rgb.pt").string());
  auto rgb = cli("eval fd-fmnist --samples " + (dir / "rgb.pt").string());
  CHECK(rgb.rc != 0);
  CHECK_THAT(rgb.out, ContainsText("expected [N, 784] or [N, 1, 28, 28]") && ContainsText("[200, 3, 28, 28]"));
  std::ofstream(dir / "junk.pt") << "not a tensor";
  auto junk = cli("eval fd-fmnist --samples " + (dir / "junk.pt").string());
  CHECK(junk.rc != 0);
  CHECK_THAT(junk.out, ContainsText("junk.pt: not a tensor saved by torch.save or torch::save"));
  auto both = cli("eval fd-fmnist --samples " + (dir / "x.csv").string() + " --split test");
  CHECK(both.rc != 0);
  CHECK_THAT(both.out, ContainsText("exactly one of"));
}

#endif  // GANCRAFT_CLI
