// Exported generators (gancraft/io/export.hpp): the TorchScript file gives the trainer's own
// outputs in C++ and in the Python torch of the same build, holds the parameters under their C++
// names, samples with the truncation it was given, and refuses traces that froze a shape.
#include <gancraft/gan.hpp>
#include <gancraft/io/export.hpp>

#include "../support/catch.hpp"
#include "../support/test_support.hpp"

#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

namespace gc = gancraft;
namespace fs = std::filesystem;
using gc::test::fresh_dir;
using gc::test::read_bytes;

namespace {

torch::Tensor images(int64_t n, uint64_t seed) {
  torch::manual_seed(seed);
  return torch::rand({n, 1, 28, 28}) * 2 - 1;
}

auto small_dcgan(int64_t steps) {
  torch::manual_seed(4);
  return gc::Trainer(gc::models::DCGANGenerator(gc::models::DCGANGeneratorOptions(28).base_width(8).latent_dim(16)),
                     gc::models::DCGANDiscriminator(gc::models::DCGANDiscriminatorOptions(28).base_width(8)),
                     gc::losses::NonSaturating{},
                     gc::TrainerOptions().latent_dim(16).batch_size(8).steps(steps).seed(5).threads(1));
}

std::map<std::string, torch::Tensor> named_tensors(const torch::jit::Module& m) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : m.named_parameters()) out[p.name] = p.value;
  for (const auto& b : m.named_buffers()) out[b.name] = b.value;
  return out;
}

std::map<std::string, torch::Tensor> named_tensors(torch::nn::Module& m) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : m.named_parameters()) out[p.key()] = p.value();
  for (const auto& b : m.named_buffers()) out[b.key()] = b.value();
  return out;
}

/// Tensors `t` by name in a file Python's `torch.load` reads as a dict.
void save_for_python(const std::map<std::string, torch::Tensor>& t, const fs::path& path) {
  struct Holder : torch::nn::Module {};
  Holder h;
  for (const auto& [name, value] : t) h.register_buffer(name, value);
  gc::export_state_dict(h, path);
}

/// Runs `script` with the Python whose torch is this build's; returns its output (stdout and stderr).
std::string run_python(const fs::path& dir, const std::string& script, const std::string& args, int& rc) {
  const fs::path file = dir / "check.py", out = dir / "python.txt";
  std::ofstream(file) << script;
  const std::string cmd = std::string(GANCRAFT_PYTHON) + " " + file.string() + " " + args + " > " + out.string() + " 2>&1";
  rc = std::system(cmd.c_str());
  return read_bytes(out);
}

}  // namespace

TEST_CASE("an exported DCGAN generator gives the trainer's EMA samples in C++, at any batch size", "[export]") {
  const fs::path dir = fresh_dir("export_dcgan");
  auto trainer = small_dcgan(6);
  trainer.add_hook(gc::hooks::GeneratorEMA(gc::hooks::GeneratorEMAOptions().decay(0.5)));
  trainer.fit(images(32, 1));
  gc::io::save_module(gc::export_generator(trainer), dir / "generator.pt");
  torch::jit::Module m = torch::jit::load((dir / "generator.pt").string());
  m.eval();

  torch::manual_seed(9);
  const torch::Tensor z = torch::randn({5, 16});  // traced at 2, run at 5
  const torch::Tensor expected = trainer.generate(z);
  CHECK(torch::equal(m.forward({z}).toTensor(), expected));
  // The EMA's weights, not the last ones (they differ after 6 steps at decay 0.5).
  {
    torch::NoGradGuard no_grad;
    trainer.generator()->eval();
    CHECK_FALSE(torch::allclose(trainer.generator()->forward(z), expected, 1e-4, 1e-5));
    trainer.generator()->train();
  }
  // The parameters and BatchNorm's buffers under their C++ names and shapes (the values are
  // the EMA's: the outputs above match).
  const auto exported = named_tensors(m);
  const auto own = named_tensors(*trainer.generator());
  REQUIRE(exported.size() == own.size());
  for (const auto& [name, value] : own) {
    INFO(name);
    REQUIRE(exported.count(name) == 1);
    CHECK(exported.at(name).sizes() == value.sizes());
  }
  CHECK(m.attr("kind").toStringRef() == "generator");
  CHECK(m.attr("latent_dim").toInt() == 16);
  CHECK(m.attr("num_classes").toInt() == 0);

  // A copy: changing the network and its average afterwards leaves the exported module as it was.
  torch::jit::Module in_memory = gc::export_generator(trainer);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : trainer.generator()->parameters()) p.fill_(0.25);
  }
  CHECK(torch::equal(in_memory.forward({z}).toTensor(), expected));
  auto fresh = small_dcgan(6);
  fresh.fit(images(32, 1));
  CHECK_FALSE(torch::equal(fresh.generate(z), expected));  // and the comparison can fail
}

TEST_CASE("an exported generator's sample(n) draws truncated latents as the test's resampling does", "[export]") {
  auto trainer = small_dcgan(2);
  trainer.fit(images(16, 2));
  torch::jit::Module m = gc::export_generator(trainer, gc::ExportOptions().truncation(0.5));
  CHECK(m.attr("truncation").toDouble() == 0.5);
  torch::manual_seed(21);
  const torch::Tensor sampled = m.run_method("sample", int64_t{6}).toTensor();
  // The same stream, resampled entry by entry until every |z| <= 0.5.
  torch::manual_seed(21);
  torch::Tensor z = torch::randn({6, 16});
  int rounds = 0;
  for (auto outside = z.abs() > 0.5; outside.any().item<bool>(); outside = z.abs() > 0.5, ++rounds)
    z = torch::where(outside, torch::randn({6, 16}), z);
  CHECK(rounds > 3);  // truncation at 0.5 resamples most entries several times
  CHECK(z.abs().max().item<double>() <= 0.5);
  CHECK(torch::equal(sampled, trainer.generate(z)));
  // Without truncation it is plain N(0, 1) latents.
  torch::jit::Module plain = gc::export_generator(trainer);
  torch::manual_seed(22);
  const torch::Tensor s = plain.run_method("sample", int64_t{3}).toTensor();
  torch::manual_seed(22);
  CHECK(torch::equal(s, trainer.generate(torch::randn({3, 16}))));
  CHECK_THROWS_WITH(gc::export_generator(trainer, gc::ExportOptions().truncation(-1)),
                    ContainsText("truncation must be >= 0"));
}

TEST_CASE("an exported conditional generator takes (z, labels) and samples balanced classes", "[export][conditional]") {
  using namespace gc::models;
  torch::manual_seed(6);
  auto trainer = gc::Trainer(
      ConditionalDCGANGenerator(ConditionalDCGANGeneratorOptions(DCGANGeneratorOptions(28).base_width(8).latent_dim(16), 3)),
      ProjectionDCGANDiscriminator(ConditionalDCGANDiscriminatorOptions(DCGANDiscriminatorOptions(28).base_width(8), 3)),
      gc::losses::Hinge{}, gc::TrainerOptions().latent_dim(16).num_classes(3).batch_size(6).steps(2).seed(1).threads(1));
  trainer.fit(images(12, 3), torch::arange(12, torch::kLong).remainder(3));
  torch::jit::Module m = gc::export_generator(trainer);
  CHECK(m.attr("kind").toStringRef() == "conditional_generator");
  CHECK(m.attr("num_classes").toInt() == 3);
  torch::manual_seed(2);
  const torch::Tensor z = torch::randn({4, 16});
  const torch::Tensor labels = torch::tensor({2, 0, 1, 2}, torch::kLong);
  CHECK(torch::equal(m.forward({z, labels}).toTensor(), trainer.generate(z, labels)));
  torch::manual_seed(3);
  const torch::Tensor s = m.run_method("sample", int64_t{5}).toTensor();
  torch::manual_seed(3);
  CHECK(torch::equal(s, trainer.generate(torch::randn({5, 16}))));  // labels i % 3, as generate(z)
}

TEST_CASE("translators and the VAE-GAN's decoder export through ModelTrainer's view", "[export][translation]") {
  using namespace gc::models;
  torch::manual_seed(7);
  const torch::Tensor source = images(8, 11), target = images(8, 12);
  gc::ModelTrainer pix(Pix2Pix<>(Pix2PixOptions(1, 1).generator_width(4).discriminator_width(4)),
                       gc::TrainerOptions().batch_size(4).steps(2).seed(3).threads(1));
  pix.fit(source, target);
  torch::jit::Module t = gc::export_translator(pix, source.narrow(0, 0, 2));
  CHECK(t.attr("kind").toStringRef() == "translator");
  CHECK(torch::equal(t.forward({source.narrow(0, 0, 5)}).toTensor(), pix.translate(source.narrow(0, 0, 5))));
  CHECK(named_tensors(t).size() == named_tensors(*pix.network("generator").module).size());
  CHECK_THROWS_WITH(gc::export_translator(pix, torch::zeros({1})), ContainsText("expected an example batch"));

  // CycleGAN's F through the general trace_network, in the same view.
  gc::ModelTrainer cycle(CycleGAN<>(CycleGANOptions({1, 28, 28}).generator_width(4).generator_blocks(1).discriminator_width(4)),
                         gc::TrainerOptions().batch_size(4).steps(1).seed(3).threads(1));
  cycle.fit(source, target);
  torch::nn::Module& f = *cycle.network("generator_ba").module;
  torch::jit::Module back = cycle.view([&](auto& model) {
    return gc::trace_network(f, {target.narrow(0, 0, 2)}, [&](const std::vector<torch::Tensor>& x) { return model.translate_ba(x[0]); });
  });
  const torch::Tensor b3 = target.narrow(0, 0, 3);
  CHECK(torch::equal(back.forward({b3}).toTensor(), cycle.view([&](auto& model) { return model.translate_ba(b3); })));

  gc::ModelTrainer vae(VAEGAN<>(VAEGANOptions(28).latent_dim(4).encoder_width(4).decoder_width(4).discriminator_width(4)),
                       gc::TrainerOptions().latent_dim(4).batch_size(4).steps(2).seed(3).threads(1));
  vae.fit(source);
  torch::jit::Module dec = gc::export_generator(vae);
  const torch::Tensor z = torch::randn({3, 4});
  CHECK(torch::equal(dec.forward({z}).toTensor(), vae.generate(z)));
  CHECK(dec.attr("latent_dim").toInt() == 4);
}

TEST_CASE("an exported generator runs in the Python torch of the same build, with the same outputs", "[export][python]") {
  const fs::path dir = fresh_dir("export_python");
  auto trainer = small_dcgan(3);
  trainer.fit(images(16, 4));
  gc::io::save_module(gc::export_generator(trainer, gc::ExportOptions().truncation(1.5)), dir / "generator.pt");
  using namespace gc::models;
  torch::manual_seed(6);
  auto cond = gc::Trainer(
      ConditionalDCGANGenerator(ConditionalDCGANGeneratorOptions(DCGANGeneratorOptions(28).base_width(8).latent_dim(16), 3)),
      ProjectionDCGANDiscriminator(ConditionalDCGANDiscriminatorOptions(DCGANDiscriminatorOptions(28).base_width(8), 3)),
      gc::losses::Hinge{}, gc::TrainerOptions().latent_dim(16).num_classes(3).batch_size(6).steps(1).seed(1).threads(1));
  cond.fit(images(12, 3), torch::arange(12, torch::kLong).remainder(3));
  gc::io::save_module(gc::export_generator(cond), dir / "conditional.pt");

  torch::manual_seed(8);
  const torch::Tensor z = torch::randn({7, 16});
  const torch::Tensor labels = torch::tensor({0, 1, 2, 0, 1, 2, 2}, torch::kLong);
  std::map<std::string, torch::Tensor> io{{"z", z}, {"labels", labels}, {"out", trainer.generate(z)},
                                          {"cond_out", cond.generate(z, labels)}};
  for (const auto& [name, value] : named_tensors(*trainer.generator())) io["param:" + std::regex_replace(name, std::regex("\\."), "/")] = value;  // buffer names hold no dots
  save_for_python(io, dir / "io.pt");

  // Plain torch, no gancraft: load, run, compare; list state_dict names; print every warning.
  const std::string script =
      "import sys, warnings, torch\n"
      "d = sys.argv[1]\n"
      "with warnings.catch_warnings(record=True) as caught:\n"
      "    warnings.simplefilter('always')\n"
      "    g = torch.jit.load(d + '/generator.pt')\n"
      "    c = torch.jit.load(d + '/conditional.pt')\n"
      "for w in caught: print('WARNING', w.category.__name__, str(w.message).splitlines()[0])\n"
      "io = torch.load(d + '/io.pt')\n"
      "g.eval(); c.eval()\n"
      "with torch.no_grad():\n"
      "    print('equal', torch.equal(g(io['z']), io['out']))\n"
      "    print('cond_equal', torch.equal(c(io['z'], io['labels']), io['cond_out']))\n"
      "    s = g.sample(64)\n"
      "    print('sample', list(s.shape))\n"
      "sd = g.state_dict()\n"
      "ours = {k[6:].replace('/', '.'): v for k, v in io.items() if k.startswith('param:')}\n"
      "print('names', set(ours) == set(sd))\n"
      "print('params_equal', all(torch.equal(sd[k], v) for k, v in ours.items()))\n"
      "print('kind', g.kind, g.latent_dim, g.truncation, c.kind, c.num_classes)\n";
  int rc = 0;
  const std::string out = run_python(dir, script, dir.string(), rc);
  INFO(out);
  REQUIRE(rc == 0);  // fails, never passes silently, when the Python of this LibTorch has no torch
  CHECK_THAT(out, ContainsText("equal True\n"));
  CHECK_THAT(out, ContainsText("cond_equal True\n"));
  CHECK_THAT(out, ContainsText("sample [64, 1, 28, 28]\n"));
  CHECK_THAT(out, ContainsText("params_equal True\n"));
  CHECK_THAT(out, ContainsText("kind generator 16 1.5 conditional_generator 3\n"));
  // state_dict(): exactly G's C++ parameter and buffer names (BatchNorm's running statistics too).
  CHECK_THAT(out, ContainsText("names True\n"));
  // What torch.jit.load warns in this build is recorded in docs/export.md.
  std::cout << "torch.jit.load in Python:\n" << out;
}

TEST_CASE("export refuses a trace that froze the batch size and a network that uses another's weights", "[export][errors]") {
  struct FrozenImpl : torch::nn::Module {
    torch::nn::Linear fc{register_module("fc", torch::nn::Linear(4, 8))};
    torch::Tensor forward(const torch::Tensor& z) { return fc(z).view({z.size(0), 2, 2, 2}); }  // size(0) as a number
  };
  TORCH_MODULE(Frozen);
  Frozen frozen;
  const std::string msg = gc::test::error_message<gc::OptionError>([&] { gc::export_generator(frozen, 4); });
  CHECK_THAT(msg, ContainsText("reads a shape as a number"));
  CHECK_THAT(msg, ContainsText("batch of 3"));

  struct FixedImpl : torch::nn::Module {
    torch::nn::Linear fc{register_module("fc", torch::nn::Linear(4, 8))};
    torch::Tensor forward(const torch::Tensor& z) { return fc(z).view({-1, 2, 2, 2}); }
  };
  TORCH_MODULE(Fixed);
  Fixed fixed;
  const torch::Tensor z = torch::randn({6, 4});
  CHECK(torch::equal(gc::export_generator(fixed, 4).forward({z}).toTensor(), fixed(z)));
  CHECK(fixed->is_training());  // its mode is left as it was
  // LibTorch's global stream is left as it was: the example latents come from no one's draw.
  torch::manual_seed(31);
  const torch::Tensor plain_draw = torch::randn({4});
  torch::manual_seed(31);
  (void)gc::export_generator(fixed, 4);
  CHECK(torch::equal(torch::randn({4}), plain_draw));

  torch::nn::Linear other(4, 8);
  const std::string foreign = gc::test::error_message<gc::OptionError>([&] {
    gc::trace_network(*fixed, {torch::randn({2, 4})}, [&](const std::vector<torch::Tensor>& x) { return other(x[0]); });
  });
  CHECK_THAT(foreign, ContainsText("tracer failed"));
  CHECK_THAT(foreign, ContainsText("requires grad as a constant"));
  CHECK_THROWS_WITH(gc::export_generator(fixed, 0), ContainsText("latent_dim must be >= 1"));
}

TEST_CASE("save_module writes atomically and load_module names a missing or corrupt file", "[export][io]") {
  const fs::path dir = fresh_dir("export_files");
  struct FixedImpl : torch::nn::Module {
    torch::nn::Linear fc{register_module("fc", torch::nn::Linear(4, 3))};
    torch::Tensor forward(const torch::Tensor& z) { return fc(z); }
  };
  TORCH_MODULE(Fixed);
  Fixed g;
  gc::io::save_module(gc::export_generator(g, 4), dir / "g.pt");
  const std::string bytes = read_bytes(dir / "g.pt");
  CHECK(bytes.size() > 100);
  for (const auto& e : fs::directory_iterator(dir)) CHECK(e.path().filename() == "g.pt");  // no temporary left
  const torch::Tensor z = torch::randn({2, 4});
  CHECK(torch::equal(gc::io::load_module(dir / "g.pt").forward({z}).toTensor(), g(z)));
  CHECK_THROWS_WITH(gc::io::load_module(dir / "none.pt"), ContainsText("none.pt: no such file"));
  std::ofstream(dir / "cut.pt", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  CHECK_THROWS_WITH(gc::io::load_module(dir / "cut.pt"), ContainsText("cut.pt: not a readable TorchScript module"));
}
