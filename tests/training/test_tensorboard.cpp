// hooks::TensorBoard: event files read back with the `tensorboard` package's own reader
// (EventAccumulator, which also checks every record's CRC), across a resume.
#include <gancraft/gan.hpp>

#include "../support/catch.hpp"
#include "../support/test_support.hpp"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace gc = gancraft;
namespace fs = std::filesystem;
using gc::test::fresh_dir;
using gc::test::read_bytes;

namespace {

auto small_dcgan(int64_t steps) {
  torch::manual_seed(4);
  return gc::Trainer(gc::models::DCGANGenerator(gc::models::DCGANGeneratorOptions(28).base_width(8).latent_dim(16)),
                     gc::models::DCGANDiscriminator(gc::models::DCGANDiscriminatorOptions(28).base_width(8)),
                     gc::losses::NonSaturating{},
                     gc::TrainerOptions().latent_dim(16).batch_size(8).steps(steps).seed(5).threads(1));
}

torch::Tensor images() {
  torch::manual_seed(2);
  return torch::rand({64, 1, 28, 28}) * 2 - 1;
}

template <class T>
void add_hooks(T& trainer, const fs::path& run) {
  const auto grid = gc::hooks::SampleGridOptions().every(4).count(8).nrow(4);
  trainer.add_hook(gc::hooks::TensorBoard(run / "tb", gc::hooks::TensorBoardOptions().interval(2).images(grid).config("hello **md**")));
  trainer.add_hook(gc::hooks::JsonlLogger(run / "metrics.jsonl", 2));
  trainer.add_hook(gc::hooks::SampleGrid(run / "samples", grid));
  trainer.add_hook(gc::hooks::Checkpointer(run / "checkpoints", gc::hooks::CheckpointerOptions().every(6).save_on_end(false)));
}

}  // namespace

TEST_CASE("CRC-32C and TFRecord framing match their definitions", "[tensorboard]") {
  CHECK(gc::detail::crc32c("123456789") == 0xE3069283U);  // the standard check value (RFC 3720 B.4)
  CHECK(gc::detail::crc32c("") == 0U);
  const std::string record = gc::detail::tf_record("abc");
  REQUIRE(record.size() == 8 + 4 + 3 + 4);
  CHECK(record[0] == 3);
  CHECK(record.substr(12, 3) == "abc");
  gc::detail::ProtoWriter w;
  w.varint(2, 300).bytes(3, "hi");
  CHECK(w.str() == std::string("\x10\xac\x02\x1a\x02hi", 7));  // protobuf's documented varint 300
}

TEST_CASE("TensorBoard writes scalars, images and the config that TensorBoard's reader reads back, and a resume drops what came after the checkpoint", "[tensorboard][python]") {
  const fs::path run = fresh_dir("tensorboard_run");
  {  // Session 1: to step 10; its last checkpoint is step 6, so steps 7-10 are trained again.
    auto trainer = small_dcgan(10);
    add_hooks(trainer, run);
    trainer.fit(images());
  }
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(run / "tb")) files.push_back(e.path());
  REQUIRE(files.size() == 1);
  CHECK(files[0].filename().string().rfind("events.out.tfevents.", 0) == 0);
  {  // Session 2: resumed at 6, to step 12.
    auto trainer = small_dcgan(12);
    REQUIRE(trainer.resume(run / "checkpoints").step == 6);
    add_hooks(trainer, run);
    trainer.fit(images());
  }
  files.clear();
  for (const auto& e : fs::directory_iterator(run / "tb")) files.push_back(e.path());
  CHECK(files.size() == 2);

  const std::string script =
      "import sys, json\n"
      "from tensorboard.backend.event_processing import event_accumulator as ea\n"
      "d = sys.argv[1]\n"
      "acc = ea.EventAccumulator(d + '/tb', size_guidance={ea.SCALARS: 0, ea.IMAGES: 0, ea.TENSORS: 0})\n"
      "acc.Reload()\n"
      "out = {'tags': acc.Tags()['scalars'], 'scalars': {}, 'images': []}\n"
      "for t in acc.Tags()['scalars']:\n"
      "    out['scalars'][t] = [[e.step, e.value] for e in acc.Scalars(t)]\n"
      "for e in acc.Images('samples'):\n"
      "    out['images'].append([e.step, e.width, e.height])\n"
      "    open('%s/tb-%d.png' % (d, e.step), 'wb').write(e.encoded_image_string)\n"
      "out['config'] = [[e.step, e.tensor_proto.string_val[0].decode()] for e in acc.Tensors('config')]\n"
      "print(json.dumps(out))\n";
  std::ofstream(run / "read.py") << script;
  const std::string cmd = std::string(GANCRAFT_TENSORBOARD_PYTHON) + " " + (run / "read.py").string() + " " +
                          run.string() + " > " + (run / "read.txt").string() + " 2> " + (run / "read.err").string();
  const int rc = std::system(cmd.c_str());
  INFO(read_bytes(run / "read.err"));
  REQUIRE(rc == 0);  // fails, never passes silently, when the environment lacks tensorboard
  const auto got = nlohmann::json::parse(read_bytes(run / "read.txt"));
  INFO(got.dump());

  // Scalars: every second step once (steps 8 and 10 of session 1 dropped), equal to metrics.jsonl.
  std::map<std::string, std::map<int64_t, double>> logged;
  std::ifstream jsonl(run / "metrics.jsonl");
  for (std::string line; std::getline(jsonl, line);) {
    const auto j = nlohmann::json::parse(line);
    for (const auto& [k, v] : j.items())
      if (k != "step" && k != "epoch" && k != "seconds") logged[k][j["step"].get<int64_t>()] = v.get<double>();
  }
  for (const char* tag : {"d_loss", "g_loss", "d_real", "d_fake"}) {
    INFO(tag);
    REQUIRE(got["scalars"].contains(tag));
    std::vector<int64_t> steps;
    for (const auto& e : got["scalars"][tag]) {
      steps.push_back(e[0].get<int64_t>());
      const double want = logged[tag].at(e[0].get<int64_t>());
      CHECK(e[1].get<double>() == Approx(want).epsilon(1e-6).margin(1e-6));  // stored as float
    }
    CHECK(steps == std::vector<int64_t>{2, 4, 6, 8, 10, 12});
  }
  // Images: the grids of steps 0, 4 (session 1), 8, 12 (session 2), byte for byte SampleGrid's PNGs.
  std::vector<int64_t> image_steps;
  for (const auto& e : got["images"]) {
    const int64_t step = e[0].get<int64_t>();
    image_steps.push_back(step);
    char name[32];
    std::snprintf(name, sizeof name, "step-%06lld.png", static_cast<long long>(step));
    CHECK(read_bytes(run / ("tb-" + std::to_string(step) + ".png")) == read_bytes(run / "samples" / name));
    CHECK(e[1] == 4 * 30 + 2);  // width: 4 tiles of 28 with padding 2
    CHECK(e[2] == 2 * 30 + 2);
  }
  CHECK(image_steps == std::vector<int64_t>{0, 4, 8, 12});
  // The config once, at step 0 (the resumed session does not repeat it).
  CHECK(got["config"] == nlohmann::json::parse(R"([[0, "hello **md**"]])"));
}

TEST_CASE("TensorBoard refuses a bad interval and an unwritable directory, naming them", "[tensorboard][errors]") {
  CHECK_THAT(gc::test::error_message<gc::OptionError>([] { gc::hooks::TensorBoard("x", gc::hooks::TensorBoardOptions().interval(0)); }),
             ContainsText("TensorBoard: interval must be > 0, got 0"));
  CHECK_THAT(gc::test::error_message<gc::OptionError>([] {
               gc::hooks::TensorBoard("x", gc::hooks::TensorBoardOptions().images(gc::hooks::SampleGridOptions().every(0)));
             }),
             ContainsText("SampleGrid: every must be > 0"));
  const fs::path dir = fresh_dir("tensorboard_unwritable");
  std::ofstream(dir / "file") << "x";
  auto trainer = small_dcgan(1);
  trainer.add_hook(gc::hooks::TensorBoard(dir / "file" / "tb"));
  const std::string msg = gc::test::error_message<gc::IoError>([&] { trainer.fit(images()); });
  CHECK_THAT(msg, ContainsText("TensorBoard: cannot create ") && ContainsText("tensorboard_unwritable/file/tb: "));
}
