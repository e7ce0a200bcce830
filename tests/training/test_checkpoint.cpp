// Crash-safe checkpoints: exact resume, damaged checkpoints, divergence guard, signals, export.
#include <gancraft/gan.hpp>

#include "../support/catch.hpp"

#include "../support/test_support.hpp"
#include "fixtures.hpp"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <numeric>
#include <sstream>

using namespace fixtures;
using gancraft::test::read_bytes;
namespace fs = std::filesystem;

namespace {

using DropTrainer = gc::Trainer<BnGen, DropCritic, gc::losses::NonSaturating>;

fs::path fresh_dir(const std::string& name) { return gancraft::test::fresh_dir("checkpoint_" + name); }

DropTrainer make(int64_t steps, uint64_t init_seed = 42) {
  torch::manual_seed(init_seed);
  // 512 samples / 32 = 16 batches per epoch: 70 steps cross several epochs mid-way.
  return DropTrainer(BnGen{}, DropCritic{}, gc::losses::NonSaturating{}, small(steps));
}

void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

}  // namespace

TEST_CASE("a run stopped at step k and resumed equals the uninterrupted run, byte for byte", "[checkpoint]") {
  const fs::path root = fresh_dir("exact_resume");
  auto whole = make(70);
  whole.fit(ring_data());
  const torch::Tensor whole_sample = whole.sample(5);

  for (int64_t k : {1, 23, 48}) {
    INFO("stopped at " << k);
    const fs::path ckpts = root / std::to_string(k);
    {
      auto first = make(k);
      first.add_hook(gc::hooks::Checkpointer(ckpts, gc::hooks::CheckpointerOptions().every(1000)));
      first.fit(ring_data());  // saves at the end (save_on_end)
    }
    torch::manual_seed(7);                      // the global stream moves on in between
    torch::randn({100});
    auto second = make(70, /*init_seed=*/999);  // other initial weights, overwritten by resume
    auto info = second.resume(ckpts);
    CHECK(info.step == k);
    CHECK(info.skipped.empty());
    second.fit(ring_data());
    CHECK(second.step() == 70);
    CHECK(second.epoch() == whole.epoch());
    CHECK(identical(state_of(*whole.generator()), state_of(*second.generator())));
    CHECK(identical(state_of(*whole.discriminator()), state_of(*second.discriminator())));
    CHECK(identical(adam_state(whole.generator_optimizer()), adam_state(second.generator_optimizer())));
    // Sampling continues identically too.
    CHECK(torch::equal(whole_sample, second.sample(5)));
  }
}

TEST_CASE("checkpoint layout: manifest, latest pointer, keep_last, no debris", "[checkpoint]") {
  const fs::path root = fresh_dir("layout");
  auto t = make(30);
  t.add_hook(gc::hooks::Checkpointer(root, gc::hooks::CheckpointerOptions().every(10).keep_last(2)));
  t.fit(ring_data());
  CHECK_FALSE(fs::exists(root / "step-000010"));
  CHECK(fs::exists(root / "step-000020" / "manifest.json"));
  CHECK(fs::exists(root / "step-000030" / "manifest.json"));
  CHECK(read_bytes(root / "latest") == "step-000030\n");
  for (const auto& e : fs::directory_iterator(root)) CHECK(e.path().filename().string()[0] != '.');
  auto m = gc::verify_checkpoint(root / "step-000030");
  CHECK(m.step == 30);
  CHECK(m.files.size() == 8);  // G, D, 2 x optimizer (JSON + tensors), loop state, state.json
  // A stale temporary from a killed writer is never listed as a checkpoint, and is cleaned.
  fs::create_directories(root / ".tmp-step-000040-123");
  CHECK(gc::list_checkpoints(root).size() == 2);
  auto u = make(31);
  u.add_hook(gc::hooks::Checkpointer(root, gc::hooks::CheckpointerOptions().every(1000).save_on_end(false)));
  u.resume(root);
  u.fit(ring_data());
  CHECK_FALSE(fs::exists(root / ".tmp-step-000040-123"));
}

TEST_CASE("damaged checkpoints are refused naming the file, resume falls back", "[checkpoint]") {
  const fs::path root = fresh_dir("damaged");
  auto t = make(20);
  t.add_hook(gc::hooks::Checkpointer(root, gc::hooks::CheckpointerOptions().every(10)));
  t.fit(ring_data());
  const fs::path good = root / "step-000010";
  const fs::path bad = root / "step-000020";
  const std::string original = read_bytes(bad / "generator.pt");

  auto expect_fallback = [&](const std::string& needle) {
    CHECK_THROWS_AS(gc::verify_checkpoint(bad), gc::IoError);
    CHECK_THROWS_WITH(gc::verify_checkpoint(bad), ContainsText(needle));
    auto u = make(20, 5);
    auto info = u.resume(root);
    CHECK(info.checkpoint == good);
    CHECK(info.step == 10);
    REQUIRE(info.skipped.size() == 1);
    CHECK_THAT(info.skipped[0], ContainsText(needle));
  };

  SECTION("truncated") {
    write_bytes(bad / "generator.pt", original.substr(0, original.size() / 2));
    expect_fallback("generator.pt: size");
  }
  SECTION("bit flipped") {
    std::string flipped = original;
    flipped[flipped.size() / 2] ^= 0x10;
    write_bytes(bad / "generator.pt", flipped);
    expect_fallback("generator.pt: checksum");
  }
  SECTION("missing file") {
    fs::remove(bad / "discriminator_optimizer.pt");
    expect_fallback("discriminator_optimizer.pt: listed in the manifest but missing");
  }
  SECTION("missing manifest (a partial directory)") {
    fs::remove(bad / "manifest.json");
    expect_fallback("manifest.json: missing");
  }
  SECTION("wrong version") {
    std::string m = read_bytes(bad / "manifest.json");
    const auto at = m.find("\"format_version\": 3");
    REQUIRE(at != std::string::npos);
    m.replace(at, 19, "\"format_version\": 9");
    write_bytes(bad / "manifest.json", m);
    expect_fallback("checkpoint format version 9");
  }
  SECTION("nothing valid at all") {
    fs::remove(good / "manifest.json");
    fs::remove(bad / "manifest.json");
    auto u = make(20, 5);
    CHECK_THROWS_AS(u.resume(root), gc::IoError);
    CHECK_THROWS_WITH(u.resume(root), ContainsText("no valid checkpoint"));
  }
}

TEST_CASE("resume refuses a checkpoint written with another batch size", "[checkpoint]") {
  const fs::path root = fresh_dir("mismatch");
  auto t = make(3);
  t.add_hook(gc::hooks::Checkpointer(root));
  t.fit(ring_data());
  torch::manual_seed(1);
  auto u = gc::Trainer(BnGen{}, DropCritic{}, gc::losses::NonSaturating{}, small(5).batch_size(16));
  CHECK_THROWS_AS(gc::load_checkpoint(u, root / "step-000003"), gc::OptionError);
  CHECK_THROWS_WITH(gc::load_checkpoint(u, root / "step-000003"), ContainsText("batch_size"));
}

TEST_CASE("loading into a module of another shape is refused before anything changes", "[checkpoint]") {
  const fs::path root = fresh_dir("shapes");
  auto t = make(3);
  t.add_hook(gc::hooks::Checkpointer(root));
  t.fit(ring_data());
  struct WideGenImpl : torch::nn::Module {
    torch::nn::Linear a{nullptr}, b{nullptr};
    torch::nn::BatchNorm1d bn{nullptr};
    WideGenImpl() {
      a = register_module("a", torch::nn::Linear(4, 32));
      bn = register_module("bn", torch::nn::BatchNorm1d(32));
      b = register_module("b", torch::nn::Linear(32, 2));
    }
    torch::Tensor forward(torch::Tensor z) { return b(torch::relu(bn(a(z)))); }
  };
  auto wide = std::make_shared<WideGenImpl>();
  const auto before = wide->a->weight.clone();
  CHECK_THROWS_AS(gc::load_generator(wide, root), gc::OptionError);
  CHECK_THROWS_WITH(gc::load_generator(wide, root),
                    ContainsText("generator.pt: 'a.weight' has shape [16, 4] but the model's has shape [32, 4]"));
  CHECK(torch::equal(before, wide->a->weight));

  // resume() into another architecture: the newest (intact) checkpoint's mismatch is the error,
  // not "damaged" warnings about every checkpoint followed by "no valid checkpoint found".
  auto t3 = make(9);
  t3.add_hook(gc::hooks::Checkpointer(root / "three", gc::hooks::CheckpointerOptions().every(3)));
  t3.fit(ring_data());
  REQUIRE(gc::list_checkpoints(root / "three").size() >= 3);
  auto other = gc::Trainer(std::make_shared<WideGenImpl>(), DropCritic{}, gc::losses::NonSaturating{}, small(9));
  std::ostringstream warnings;
  std::string msg;
  {
    struct Redirect {  // std::cerr into `warnings` for this scope, restored however it ends
      std::streambuf* old;
      ~Redirect() { std::cerr.rdbuf(old); }
    } redirect{std::cerr.rdbuf(warnings.rdbuf())};
    msg = gancraft::test::error_message<gc::OptionError>([&] { other.resume(root / "three"); });
  }
  CHECK_THAT(msg, ContainsText("step-000009") && ContainsText("has shape [16, 4] but") && ContainsText("has shape [32, 4]") &&
                      ContainsText("the model was built with other options than the checkpoint's"));
  CHECK(warnings.str().empty());
  CHECK(other.step() == 0);
}

namespace {
}  // namespace

TEST_CASE("divergence guard: stop names the tensor, a NaN checkpoint is never written", "[checkpoint][guard]") {
  const fs::path root = fresh_dir("guard_stop");
  auto t = make(40);
  t.add_hook(Poison{15});
  t.add_hook(gc::hooks::DivergenceGuard(gc::hooks::DivergenceGuardOptions().interval(5)));
  t.add_hook(gc::hooks::Checkpointer(root, gc::hooks::CheckpointerOptions().every(10)));
  CHECK_THROWS_AS(t.fit(ring_data()), gc::DivergenceError);
  CHECK(t.step() == 15);
  CHECK(gc::list_checkpoints(root).size() == 1);  // step 10 only

  auto u = make(40);  // without a guard the checkpointer itself refuses
  u.add_hook(Poison{15});
  u.add_hook(gc::hooks::Checkpointer(fresh_dir("guard_none"), gc::hooks::CheckpointerOptions().every(10)));
  CHECK_THROWS_WITH(u.fit(ring_data()), ContainsText("generator parameter 'a.weight' holds NaN"));
  CHECK_FALSE(fs::exists(fs::path(GANCRAFT_TEST_TMP) / "checkpoint_guard_none" / "step-000020"));
}

TEST_CASE("divergence guard: rollback reloads the last good checkpoint and lowers the rates", "[checkpoint][guard]") {
  const fs::path root = fresh_dir("guard_rollback");
  auto t = make(40);
  t.add_hook(Poison{15});
  auto& guard = t.add_hook(gc::hooks::DivergenceGuard(gc::hooks::DivergenceGuardOptions()
      .interval(5).policy(gc::hooks::DivergencePolicy::Rollback).checkpoint_root(root).lr_factor(0.5)));
  t.add_hook(gc::hooks::Checkpointer(root, gc::hooks::CheckpointerOptions().every(10)));
  t.fit(ring_data());
  CHECK(guard.rollbacks() == 1);
  CHECK(t.step() == 40);
  for (auto& p : t.generator()->parameters()) CHECK(torch::isfinite(p).all().item<bool>());
  CHECK(t.generator_optimizer().param_groups()[0].options().get_lr() == Approx(1e-4));
  CHECK(t.discriminator_optimizer().param_groups()[0].options().get_lr() == Approx(1e-4));
}

TEST_CASE("SIGTERM finishes the step, saves a checkpoint and returns", "[checkpoint][signal]") {
  const fs::path root = fresh_dir("signal");
  struct RaiseAt {
    int64_t at;
    int64_t interval() const { return 0; }
    void on_step_end(const gc::StepReport& r) { if (r.step == at) std::raise(SIGTERM); }
  };
  torch::manual_seed(42);
  auto t = DropTrainer(BnGen{}, DropCritic{}, gc::losses::NonSaturating{}, small(50).stop_on_signal(true));
  t.add_hook(RaiseAt{12});
  t.add_hook(gc::hooks::Checkpointer(root, gc::hooks::CheckpointerOptions().every(1000)));
  t.fit(ring_data());
  CHECK(t.interrupted());
  CHECK(t.step() == 12);
  CHECK(fs::exists(root / "step-000012" / "manifest.json"));
}

TEST_CASE("load_generator and a state dict that Python's torch.load reads", "[checkpoint][export][python]") {
  const fs::path root = fresh_dir("export");
  auto t = make(5);
  t.add_hook(gc::hooks::Checkpointer(root));
  t.fit(ring_data());

  torch::manual_seed(1234);
  BnGen g;
  const fs::path used = gc::load_generator(g, root);
  CHECK(used == root / "step-000005");
  CHECK(identical(state_of(*t.generator()), state_of(*g)));

  const fs::path sd = root / "generator_state_dict.pt";
  gc::export_state_dict(*t.generator(), sd);
  auto back = gc::import_state_dict(sd);
  CHECK(back.size() == t.generator()->named_parameters().size() + t.generator()->named_buffers().size());

  // Python: load it as a state dict and print name and exact float64 sum per tensor.
  const fs::path script = root / "read.py";
  std::ofstream(script) << "import sys, torch\n"
                           "sd = torch.load(sys.argv[1])\n"
                           "for k in sorted(sd): print(k, repr(sd[k].double().sum().item()))\n";
  const fs::path out = root / "python.txt";
  const std::string cmd = std::string(GANCRAFT_PYTHON) + " " + script.string() + " " + sd.string() + " > " + out.string() + " 2>&1";
  const int rc = std::system(cmd.c_str());
  INFO(read_bytes(out));
  REQUIRE(rc == 0);  // fails, never passes silently, when the Python of this LibTorch has no torch
  std::map<std::string, double> from_python;
  std::istringstream lines(read_bytes(out));
  std::string name;
  double sum = 0;
  while (lines >> name >> sum) from_python[name] = sum;
  std::map<std::string, double> ours;
  for (auto& p : t.generator()->named_parameters()) ours[p.key()] = p.value().to(torch::kDouble).sum().item<double>();
  for (auto& b : t.generator()->named_buffers()) ours[b.key()] = b.value().to(torch::kDouble).sum().item<double>();
  CHECK(from_python == ours);
}

TEST_CASE("a resumed run's metrics log holds each step once", "[checkpoint][logger]") {
  const fs::path root = fresh_dir("log_resume");
  {
    auto t = make(30);
    t.add_hook(gc::hooks::JsonlLogger(root / "metrics.jsonl"));
    t.add_hook(gc::hooks::Checkpointer(root / "ckpt", gc::hooks::CheckpointerOptions().every(20).save_on_end(false)));
    t.fit(ring_data());  // "crashes" after step 30 with its last checkpoint at 20
  }
  auto u = make(30, 5);
  u.add_hook(gc::hooks::JsonlLogger(root / "metrics.jsonl"));
  CHECK(u.resume(root / "ckpt").step == 20);
  u.fit(ring_data());
  std::ifstream in(root / "metrics.jsonl");
  std::vector<int64_t> steps;
  for (std::string line; std::getline(in, line);) steps.push_back(nlohmann::json::parse(line)["step"].get<int64_t>());
  std::vector<int64_t> expected(30);
  std::iota(expected.begin(), expected.end(), 1);
  CHECK(steps == expected);
}

TEST_CASE("re-saving a step replaces it atomically, and learning rates survive a checkpoint", "[checkpoint]") {
  const fs::path root = fresh_dir("resave");
  auto t = make(4);
  t.fit(ring_data());
  for (auto& g : t.generator_optimizer().param_groups()) g.options().set_lr(1.25e-5);
  gc::save_checkpoint(t, root / "step-000004");
  gc::save_checkpoint(t, root / "step-000004");  // the existing directory is swapped out
  CHECK(gc::verify_checkpoint(root / "step-000004").step == 4);
  for (const auto& e : fs::directory_iterator(root)) CHECK(e.path().filename() == "step-000004");
  auto u = make(4, 9);
  gc::load_checkpoint(u, root / "step-000004");
  CHECK(u.generator_optimizer().param_groups()[0].options().get_lr() == 1.25e-5);
  CHECK(u.discriminator_optimizer().param_groups()[0].options().get_lr() == Approx(2e-4));
}

TEST_CASE("a model with a Functional submodule saves and loads", "[checkpoint]") {
  const fs::path root = fresh_dir("functional");
  auto make_gen = [] {
    return std::make_shared<torch::nn::SequentialImpl>(torch::nn::Linear(4, 8), torch::nn::Functional(torch::relu),
                                                       torch::nn::Linear(8, 2));
  };
  torch::manual_seed(1);
  auto t = gc::Trainer(make_gen(), DropCritic{}, gc::losses::NonSaturating{}, small(3));
  t.add_hook(gc::hooks::Checkpointer(root));
  t.fit(ring_data());
  torch::manual_seed(2);
  auto g = make_gen();
  CHECK(gc::load_generator(g, root) == root / "step-000003");
  CHECK(identical(state_of(*t.generator()), state_of(*g)));
}

TEST_CASE("a checkpoint of format version 2 (gancraft 0.1) is refused, naming the format", "[checkpoint][format]") {
  // Written by gancraft 0.1 on LibTorch 1.13 (tests/fixtures/checkpoint-v2.cpp): an MLP GAN.
  const fs::path root = fs::path(GANCRAFT_SOURCE_DIR) / "tests/fixtures/checkpoint-v2";
  REQUIRE(fs::exists(root / "step-000002" / "manifest.json"));
  torch::manual_seed(3);
  auto t = gc::Trainer(gc::models::MLPGenerator(gc::models::MLPGeneratorOptions(4, 2).hidden(8)),
                       gc::models::MLPDiscriminator(gc::models::MLPDiscriminatorOptions(2).hidden(8)),
                       gc::losses::NonSaturating{},
                       gc::TrainerOptions().latent_dim(4).batch_size(16).steps(4).seed(11).threads(1));
  const auto before = state_of(*t.generator());
  CHECK_THROWS_AS(gc::load_checkpoint(t, root / "step-000002"), gc::IoError);
  CHECK_THROWS_WITH(gc::load_checkpoint(t, root / "step-000002"),
                    ContainsText("checkpoint format version 2 (gancraft 0.1)") &&
                        ContainsText("reads version 3"));
  CHECK_THROWS_WITH(t.resume(root), ContainsText("no valid checkpoint found") &&
                                        ContainsText("format version 2"));
  CHECK(identical(before, state_of(*t.generator())));  // nothing changed
}

TEST_CASE("resume takes the newest complete checkpoint even when latest lags", "[checkpoint]") {
  const fs::path root = fresh_dir("latest_lags");
  auto t = make(20);
  t.add_hook(gc::hooks::Checkpointer(root, gc::hooks::CheckpointerOptions().every(10)));
  t.fit(ring_data());
  // As after a full disk: step-000020 is complete but `latest` still names step-000010, as it
  // did before step-000020 was written.
  write_bytes(root / "latest", "step-000010\n");
  fs::last_write_time(root / "latest",
                      fs::last_write_time(root / "step-000020" / "manifest.json") - std::chrono::seconds(5));
  REQUIRE(gc::list_checkpoints(root).front() == root / "step-000020");
  auto u = make(20, 5);
  CHECK(u.resume(root).step == 20);
  // A higher step written before `latest` (an older run's, or one resume fell back past) stays
  // behind the checkpoint `latest` names, and keep_last prunes it rather than the new one.
  write_bytes(root / "latest", "step-000010\n");
  CHECK(gc::list_checkpoints(root).front() == root / "step-000010");
}

namespace {

/// Three steps of `opt` over `params` on a fixed quadratic, so its state fills in.
void steps(torch::optim::Optimizer& opt, std::vector<torch::Tensor>& params, int n) {
  for (int i = 0; i < n; ++i) {
    opt.zero_grad();
    torch::Tensor loss = torch::zeros({});
    for (size_t k = 0; k < params.size(); ++k) loss = loss + (params[k] * (k + 1.5)).pow(2).sum();
    loss.backward();
    opt.step();
  }
}

std::vector<torch::Tensor> copy_params(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> out;
  for (const auto& p : params) out.push_back(p.detach().clone().requires_grad_(true));
  return out;
}

}  // namespace

TEST_CASE("portable optimizer state: Adam, RMSprop and SGD continue exactly after a round trip", "[checkpoint][optimizer]") {
  using Make = std::function<std::unique_ptr<torch::optim::Optimizer>(std::vector<torch::Tensor>)>;
  const std::vector<std::pair<std::string, Make>> kinds = {
      {"adam amsgrad", [](auto p) {
         return std::make_unique<torch::optim::Adam>(
             p, torch::optim::AdamOptions(1e-2).betas({0.5, 0.9}).amsgrad(true).weight_decay(1e-3));
       }},
      {"rmsprop centered momentum", [](auto p) {
         return std::make_unique<torch::optim::RMSprop>(
             p, torch::optim::RMSpropOptions(1e-3).centered(true).momentum(0.9));
       }},
      {"sgd nesterov", [](auto p) {
         return std::make_unique<torch::optim::SGD>(
             p, torch::optim::SGDOptions(1e-2).momentum(0.9).nesterov(true));
       }},
  };
  for (const auto& [name, make_opt] : kinds) {
    INFO(name);
    torch::manual_seed(0);
    std::vector<torch::Tensor> a = {torch::randn({3, 4}).requires_grad_(true), torch::randn({5}).requires_grad_(true)};
    auto opt_a = make_opt(a);
    steps(*opt_a, a, 3);
    opt_a->param_groups()[0].options().set_lr(opt_a->param_groups()[0].options().get_lr() * 0.5);  // a rollback
    const gc::io::PortableOptimizerState saved = gc::io::portable_state(*opt_a);
    CHECK(!saved.tensors.empty());
    // Another optimizer over equal parameters, fresh state: restored, both continue alike.
    std::vector<torch::Tensor> b = copy_params(a);
    auto opt_b = make_opt(b);
    gc::io::restore_portable_state(*opt_b, saved, name);
    CHECK(opt_b->param_groups()[0].options().get_lr() == opt_a->param_groups()[0].options().get_lr());
    steps(*opt_a, a, 4);
    steps(*opt_b, b, 4);
    for (size_t k = 0; k < a.size(); ++k) CHECK(torch::equal(a[k], b[k]));
  }
}

TEST_CASE("portable optimizer state is refused for another kind or shape, changing nothing", "[checkpoint][optimizer]") {
  torch::manual_seed(0);
  std::vector<torch::Tensor> a = {torch::randn({3, 4}).requires_grad_(true)};
  torch::optim::Adam adam(a, torch::optim::AdamOptions(1e-2));
  steps(adam, a, 2);
  const auto saved = gc::io::portable_state(adam);

  std::vector<torch::Tensor> b = copy_params(a);
  torch::optim::SGD sgd(b, torch::optim::SGDOptions(1e-2));
  CHECK_THROWS_AS(gc::io::restore_portable_state(sgd, saved, "ckpt"), gc::OptionError);
  CHECK_THROWS_WITH(gc::io::restore_portable_state(sgd, saved, "ckpt"),
                    ContainsText("holds the state of a 'adam' optimizer, but this one is 'sgd'"));

  std::vector<torch::Tensor> c = {torch::randn({4, 3}).requires_grad_(true)};
  torch::optim::Adam other(c, torch::optim::AdamOptions(7e-3));
  steps(other, c, 1);
  const auto before = gc::io::portable_state(other);
  CHECK_THROWS_WITH(gc::io::restore_portable_state(other, saved, "ckpt"),
                    ContainsText("'group0.param0.exp_avg' has shape [3, 4] but parameter 0 of group 0 has shape [4, 3]"));
  const auto after = gc::io::portable_state(other);  // unchanged: lr and moments
  CHECK(after.description == before.description);
  for (const auto& [name, t] : before.tensors) CHECK(torch::equal(t, after.tensors.at(name)));
}
