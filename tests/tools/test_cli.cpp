// The gancraft command-line tool: subcommands, config errors, refusal to overwrite, docs/config.md.
#include "tools/config.hpp"
#include "tools/experiment.hpp"

#ifdef GANCRAFT_CLI  // defined when the tool is built (GANCRAFT_BUILD_TOOLS)

#include <gancraft/detail/torch_compat.hpp>
#include <gancraft/gan.hpp>
#include <gancraft/io/export.hpp>

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
  CHECK_THAT(not_run.out, ContainsText("is not a gancraft run directory"));
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
  auto help = cli("sample --help");
  CHECK(help.rc == 0);
  CHECK_THAT(help.out, ContainsText("usage: gancraft"));
  auto bad = cli("frobnicate");
  CHECK(bad.rc == 2);
  CHECK_THAT(bad.out, ContainsText("unknown command 'frobnicate'"));
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

#endif  // GANCRAFT_CLI
