// Data-parallel training: 2 ranks on 127.0.0.1 against one process (also with a gradient
// penalty, small buckets and BatchNorm), resuming across world sizes, ranks that do not agree
// at the start, stopping together on a signal, and what the others do when a rank dies or
// freezes.
#include "spawn.hpp"

#include "../support/test_support.hpp"

#include <gancraft/distributed/data_parallel.hpp>
#include <gancraft/gan.hpp>

#include "../support/catch.hpp"

#include <csignal>
#include <filesystem>
#include <string>
#include <vector>

namespace fs = std::filesystem;
namespace gt = gancraft::tools;
namespace gd = gancraft::distributed;

namespace {

/// Runs dist_worker alone (no rank environment) and returns its exit status.
int run_single(const std::vector<std::string>& args) {
  std::vector<std::string> command{GANCRAFT_DIST_WORKER};
  command.insert(command.end(), args.begin(), args.end());
  // Unset in the child so that it trains alone even under a launcher.
  const pid_t pid = gt::spawn(command, {{"WORLD_SIZE", ""}, {"RANK", ""}});
  return gancraft::test::wait_bounded(pid);
}

/// Runs `ranks` dist_worker ranks through the launcher's library code; its exit code. With
/// `all_finish`, a failed rank does not make the launcher stop the others (each rank's own
/// error is what the test reads).
int run_ranks(int64_t ranks, const std::vector<std::string>& args, bool all_finish = false) {
  gt::LaunchOptions o;
  o.nproc = ranks;
  o.master_port = gancraft::test::free_port();
  o.timeout_s = 60;
  if (all_finish) o.settle_s = 120;  // returns as soon as all have exited
  if (all_finish) o.communication_error_code = 1;
  o.command = {GANCRAFT_DIST_WORKER, "--dp", "1"};
  o.command.insert(o.command.end(), args.begin(), args.end());
  return gt::launch(o);
}

std::vector<torch::Tensor> load_weights(const fs::path& file) {
  REQUIRE(fs::exists(file));
  std::vector<torch::Tensor> w;
  torch::load(w, file.string());
  return w;
}

double max_abs_diff(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  REQUIRE(a.size() == b.size());
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    REQUIRE(a[i].sizes() == b[i].sizes());
    worst = std::max(worst, (a[i] - b[i]).abs().max().item<double>());
  }
  return worst;
}

bool identical(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!torch::equal(a[i], b[i])) return false;
  return true;
}

}  // namespace

TEST_CASE("two ranks on 127.0.0.1 train exactly like one process on the same global batches") {
  const fs::path dir = gancraft::test::fresh_dir("dist/equivalence");
  REQUIRE(run_single({"--out", dir.string(), "--steps", "12"}) == 0);
  REQUIRE(run_ranks(2, {"--out", dir.string(), "--steps", "12"}) == 0);

  const auto single = load_weights(dir / "weights-single.pt");
  const auto rank0 = load_weights(dir / "weights-rank0.pt");
  const auto rank1 = load_weights(dir / "weights-rank1.pt");
  // The ranks average their gradients, so they hold the very same weights ...
  CHECK(identical(rank0, rank1));
  // ... which are the single process's up to the order of floating-point sums.
  CHECK(max_abs_diff(rank0, single) <= 1e-5);
  // Training moved the weights (the comparison is not between two untouched models).
  const fs::path untrained = gancraft::test::fresh_dir("dist/equivalence-untrained");
  REQUIRE(run_single({"--out", untrained.string(), "--steps", "0"}) == 0);
  CHECK(max_abs_diff(load_weights(untrained / "weights-single.pt"), single) > 1e-3);

  // Only rank 0 logged, and it logged the losses of the whole batch (averaged over ranks).
  CHECK(fs::exists(dir / "metrics-rank0.jsonl"));
  CHECK_FALSE(fs::exists(dir / "metrics-rank1.jsonl"));
  auto last_line = [](const fs::path& f) {
    std::ifstream in(f);
    std::string line, last;
    while (std::getline(in, line)) last = line;
    return nlohmann::json::parse(last);
  };
  const auto one = last_line(dir / "metrics-single.jsonl");
  const auto two = last_line(dir / "metrics-rank0.jsonl");
  CHECK(two["step"] == one["step"]);
  CHECK(std::abs(two["d_loss"].get<double>() - one["d_loss"].get<double>()) <= 1e-5);
  CHECK(std::abs(two["g_loss"].get<double>() - one["g_loss"].get<double>()) <= 1e-5);
}

TEST_CASE("2 ranks equal one process also with a gradient penalty or small buckets and agree with BatchNorm") {
  const fs::path dir = gancraft::test::fresh_dir("dist/variants");
  SECTION("WGAN-GP: the interpolation weights are drawn for the whole batch, as one process does") {
    // Without that, each rank would draw B/2 weights (the same ones on both ranks) and the
    // training stream would advance by B/2 instead of B, so the noise would differ too.
    REQUIRE(run_single({"--out", (dir / "gp").string(), "--steps", "12", "--loss", "wgan-gp"}) == 0);
    REQUIRE(run_ranks(2, {"--out", (dir / "gp").string(), "--steps", "12", "--loss", "wgan-gp"}) == 0);
    const auto rank0 = load_weights(dir / "gp" / "weights-rank0.pt");
    CHECK(identical(rank0, load_weights(dir / "gp" / "weights-rank1.pt")));
    CHECK(max_abs_diff(rank0, load_weights(dir / "gp" / "weights-single.pt")) <= 1e-5);
  }
  SECTION("buckets of 64 bytes: every tensor split across many messages") {
    REQUIRE(run_single({"--out", (dir / "buckets").string(), "--steps", "12"}) == 0);
    REQUIRE(run_ranks(2, {"--out", (dir / "buckets").string(), "--steps", "12", "--bucket-bytes", "64"}) == 0);
    const auto rank0 = load_weights(dir / "buckets" / "weights-rank0.pt");
    CHECK(identical(rank0, load_weights(dir / "buckets" / "weights-rank1.pt")));
    CHECK(max_abs_diff(rank0, load_weights(dir / "buckets" / "weights-single.pt")) <= 1e-5);
  }
  SECTION("BatchNorm in G: running statistics averaged, so the ranks hold the same buffers") {
    REQUIRE(run_ranks(2, {"--out", (dir / "bn").string(), "--steps", "8", "--batchnorm", "1"}) == 0);
    CHECK(identical(load_weights(dir / "bn" / "weights-rank0.pt"), load_weights(dir / "bn" / "weights-rank1.pt")));
    // The check has teeth: each rank's own statistics differ (its half of every batch).
    REQUIRE(run_ranks(2, {"--out", (dir / "bn-own").string(), "--steps", "8", "--batchnorm", "1",
                          "--average-buffers", "0"}) == 0);
    CHECK_FALSE(identical(load_weights(dir / "bn-own" / "weights-rank0.pt"),
                          load_weights(dir / "bn-own" / "weights-rank1.pt")));
  }
}

TEST_CASE("ranks that do not start from the same state stop with an error naming both values") {
  const fs::path dir = gancraft::test::fresh_dir("dist/mismatch");
  SECTION("one rank did not read the checkpoint") {
    REQUIRE(run_single({"--out", (dir / "first").string(), "--steps", "6", "--checkpoints",
                        (dir / "ckpt").string()}) == 0);
    CHECK(run_ranks(2, {"--out", (dir / "resume").string(), "--steps", "12", "--resume",
                        (dir / "ckpt").string(), "--resume-rank", "0"}, true) != 0);
    for (const char* rank : {"rank0", "rank1"}) {
      const std::string message = gancraft::test::read_bytes(dir / "resume" / (std::string("error-") + rank + ".txt"));
      INFO(rank << ": " << message);
      CHECK(message.find("rank 1 is at step 0, rank 0 at 6; every rank must read the checkpoint") !=
            std::string::npos);
    }
  }
  SECTION("another seed on one rank") {
    CHECK(run_ranks(2, {"--out", (dir / "seed").string(), "--steps", "4", "--seed-rank", "1"}, true) != 0);
    const std::string message = gancraft::test::read_bytes(dir / "seed" / "error-rank0.txt");
    INFO(message);
    CHECK(message.find("rank 1's training random stream differs from rank 0's") != std::string::npos);
    CHECK(message.find("same TrainerOptions::seed") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "seed" / "weights-rank0.pt"));
  }
}

TEST_CASE("a stop signal to one rank stops all ranks after the same step and rank 0 checkpoints it") {
  const fs::path dir = gancraft::test::fresh_dir("dist/signal");
  // Rank 1 alone gets SIGTERM at step 5 (as when the signals of a launcher land one step apart).
  REQUIRE(run_ranks(2, {"--out", dir.string(), "--steps", "1000", "--checkpoints", (dir / "ckpt").string(),
                        "--die-rank", "1", "--die-at", "5", "--die-signal", "TERM"}) == 0);
  const std::string end0 = gancraft::test::read_bytes(dir / "end-rank0.txt");
  const std::string end1 = gancraft::test::read_bytes(dir / "end-rank1.txt");
  INFO(end0 << end1);
  CHECK(end0 == end1);
  CHECK(end0.find(" interrupted") != std::string::npos);
  const int64_t step = std::stoll(end0);
  CHECK(step >= 5);
  CHECK(step < 1000);
  CHECK(fs::is_directory(dir / "ckpt" / gancraft::detail::step_dir_name(step)));
  CHECK(identical(load_weights(dir / "weights-rank0.pt"), load_weights(dir / "weights-rank1.pt")));
}

TEST_CASE("a checkpoint written by 2 ranks resumes on 2 bit for bit, on 1, and one written by 1 resumes on 2") {
  const fs::path dir = gancraft::test::fresh_dir("dist/resume");
  // Reference: one process, 12 steps straight, checkpoints at 6 and 12.
  REQUIRE(run_single({"--out", (dir / "straight").string(), "--steps", "12", "--checkpoints",
                      (dir / "straight-ckpt").string()}) == 0);
  const auto straight = load_weights(dir / "straight" / "weights-single.pt");

  SECTION("2 ranks, then 1") {
    REQUIRE(run_ranks(2, {"--out", (dir / "a").string(), "--steps", "6", "--checkpoints",
                          (dir / "a-ckpt").string()}) == 0);
    CHECK(fs::is_directory(dir / "a-ckpt" / "step-000006"));
    REQUIRE(run_single({"--out", (dir / "a").string(), "--steps", "12", "--resume",
                        (dir / "a-ckpt").string()}) == 0);
    CHECK(max_abs_diff(load_weights(dir / "a" / "weights-single.pt"), straight) <= 1e-5);
  }
  SECTION("2 ranks, then 2 ranks: the same bits as 2 ranks straight") {
    REQUIRE(run_ranks(2, {"--out", (dir / "c-straight").string(), "--steps", "12"}) == 0);
    REQUIRE(run_ranks(2, {"--out", (dir / "c").string(), "--steps", "6", "--checkpoints",
                          (dir / "c-ckpt").string()}) == 0);
    REQUIRE(run_ranks(2, {"--out", (dir / "c").string(), "--steps", "12", "--resume",
                          (dir / "c-ckpt").string()}) == 0);
    CHECK(identical(load_weights(dir / "c" / "weights-rank0.pt"),
                    load_weights(dir / "c-straight" / "weights-rank0.pt")));
  }
  SECTION("1, then 2 ranks") {
    REQUIRE(run_ranks(2, {"--out", (dir / "b").string(), "--steps", "12", "--resume",
                          (dir / "straight-ckpt" / "step-000006").string()}) == 0);
    const auto rank0 = load_weights(dir / "b" / "weights-rank0.pt");
    CHECK(identical(rank0, load_weights(dir / "b" / "weights-rank1.pt")));
    CHECK(max_abs_diff(rank0, straight) <= 1e-5);
  }
}

TEST_CASE("a model written outside gancraft (two discriminators) trains on 2 ranks like 1 process and resumes on 2 bit for bit") {
  const fs::path dir = gancraft::test::fresh_dir("dist/two-critics");
  const std::vector<std::string> model{"--model", "two-critics"};
  auto args = [&](std::vector<std::string> more) {
    more.insert(more.end(), model.begin(), model.end());
    return more;
  };
  REQUIRE(run_single(args({"--out", (dir / "one").string(), "--steps", "12"})) == 0);
  REQUIRE(run_ranks(2, args({"--out", (dir / "straight").string(), "--steps", "12"})) == 0);
  const auto single = load_weights(dir / "one" / "weights-single.pt");
  const auto rank0 = load_weights(dir / "straight" / "weights-rank0.pt");
  REQUIRE(single.size() == rank0.size());
  CHECK(identical(rank0, load_weights(dir / "straight" / "weights-rank1.pt")));
  CHECK(max_abs_diff(rank0, single) <= 1e-5);
  const fs::path untrained = gancraft::test::fresh_dir("dist/two-critics-untrained");
  REQUIRE(run_single(args({"--out", untrained.string(), "--steps", "0"})) == 0);
  CHECK(max_abs_diff(load_weights(untrained / "weights-single.pt"), single) > 1e-3);

  // 6 steps on 2 ranks, checkpointed; resumed on 2 ranks to 12: the straight run's bits.
  REQUIRE(run_ranks(2, args({"--out", (dir / "part").string(), "--steps", "6", "--checkpoints",
                             (dir / "part-ckpt").string()})) == 0);
  REQUIRE(fs::exists(dir / "part-ckpt" / "step-000006" / "d2_optimizer.pt"));
  REQUIRE(run_ranks(2, args({"--out", (dir / "part").string(), "--steps", "12", "--resume",
                             (dir / "part-ckpt").string()})) == 0);
  CHECK(identical(load_weights(dir / "part" / "weights-rank0.pt"), rank0));
  CHECK(identical(load_weights(dir / "part" / "weights-rank1.pt"), rank0));

  // With BatchNorm in G the ranks' running statistics are averaged after the step's last
  // forward pass: both ranks end with the same weights and buffers.
  REQUIRE(run_ranks(2, args({"--out", (dir / "bn").string(), "--steps", "12", "--batchnorm", "1"})) == 0);
  const auto bn0 = load_weights(dir / "bn" / "weights-rank0.pt");
  CHECK(bn0.size() > rank0.size());  // the BatchNorm parameters and buffers are there
  CHECK(identical(bn0, load_weights(dir / "bn" / "weights-rank1.pt")));
}

TEST_CASE("pix2pix (a translation model, paired data) trains on 2 ranks like 1 process and resumes on 2 bit for bit") {
  const fs::path dir = gancraft::test::fresh_dir("dist/pix2pix");
  const std::vector<std::string> model{"--model", "pix2pix"};
  auto args = [&](std::vector<std::string> more) {
    more.insert(more.end(), model.begin(), model.end());
    return more;
  };
  REQUIRE(run_single(args({"--out", (dir / "one").string(), "--steps", "8"})) == 0);
  REQUIRE(run_ranks(2, args({"--out", (dir / "straight").string(), "--steps", "8"})) == 0);
  const auto single = load_weights(dir / "one" / "weights-single.pt");
  const auto rank0 = load_weights(dir / "straight" / "weights-rank0.pt");
  REQUIRE(single.size() == rank0.size());
  CHECK(identical(rank0, load_weights(dir / "straight" / "weights-rank1.pt")));
  CHECK(max_abs_diff(rank0, single) <= 1e-5);
  const fs::path untrained = gancraft::test::fresh_dir("dist/pix2pix-untrained");
  REQUIRE(run_single(args({"--out", untrained.string(), "--steps", "0"})) == 0);
  CHECK(max_abs_diff(load_weights(untrained / "weights-single.pt"), single) > 1e-3);
  REQUIRE(run_ranks(2, args({"--out", (dir / "part").string(), "--steps", "6", "--checkpoints",
                             (dir / "part-ckpt").string()})) == 0);
  REQUIRE(fs::exists(dir / "part-ckpt" / "step-000006" / "discriminator_optimizer.pt"));
  REQUIRE(run_ranks(2, args({"--out", (dir / "part").string(), "--steps", "8", "--resume",
                             (dir / "part-ckpt").string()})) == 0);
  CHECK(identical(load_weights(dir / "part" / "weights-rank0.pt"), rank0));
}

TEST_CASE("when a rank dies or stops answering, the others exit with a CommunicationError instead of hanging") {
  const std::string signal = GENERATE(as<std::string>{}, "KILL", "STOP");
  const fs::path dir = gancraft::test::fresh_dir("dist/failure-" + signal);
  gt::LaunchOptions o;
  o.nproc = 2;
  o.master_port = gancraft::test::free_port();
  o.timeout_s = 3;  // a frozen peer is given up after 3 s
  const std::vector<std::string> command{GANCRAFT_DIST_WORKER, "--dp", "1", "--out", dir.string(),
                                         "--steps", "1000", "--die-rank", "1", "--die-at", "3",
                                         "--die-signal", signal};
  // Started directly, not through launch(), which would stop rank 0 itself.
  const pid_t rank0 = gt::spawn(command, gt::rank_environment(o, 0));
  const pid_t rank1 = gt::spawn(command, gt::rank_environment(o, 1));
  const int status0 = gancraft::test::wait_bounded(rank0);
  ::kill(-rank1, SIGKILL);  // a stopped rank 1 stays stopped until killed
  ::waitpid(rank1, nullptr, 0);

  REQUIRE(status0 != -1);  // rank 0 ended by itself
  CHECK(WIFEXITED(status0));
  CHECK(WEXITSTATUS(status0) == gd::kCommunicationErrorExitCode);
  const std::string message = gancraft::test::read_bytes(dir / "error-rank0.txt");
  INFO(message);
  CHECK(message.find("rank 0 of 2") != std::string::npos);
  CHECK(message.find("failed") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "weights-rank0.pt"));
}

TEST_CASE("ProcessGroupOptions and DataParallel check their inputs") {
  CHECK_THROWS_AS(gd::ProcessGroupOptions(2, 2).validate(), gancraft::OptionError);
  CHECK_THROWS_AS(gd::ProcessGroupOptions(0, 1).master_port(0).validate(), gancraft::OptionError);
  CHECK_NOTHROW(gd::ProcessGroupOptions(1, 2).validate());
  CHECK_THROWS_AS(gd::DataParallel(gd::ProcessGroup(), gd::DataParallelOptions().bucket_bytes(0)),
                  gancraft::OptionError);
  // A job of one: no c10d, no communication; the policy is the inner policy.
  const gd::ProcessGroup alone = gd::init_process_group(gd::ProcessGroupOptions(0, 1));
  CHECK_FALSE(alone.distributed());
  CHECK(alone.backend() == "none");
  CHECK(gd::DataParallel(alone).shard().count == 1);
}

TEST_CASE("buckets pack consecutive tensors of one dtype up to the byte limit") {
  const std::vector<torch::Tensor> t{torch::zeros({10}), torch::zeros({10}), torch::zeros({30}),
                                     torch::zeros({5}, torch::kDouble), torch::zeros({1})};
  const auto b = gd::detail::buckets(t, 100);  // 40 + 40 bytes fit, 120 alone, then a dtype change
  REQUIRE(b.size() == 4);
  CHECK(b[0] == std::pair<size_t, size_t>{0, 2});
  CHECK(b[1] == std::pair<size_t, size_t>{2, 3});
  CHECK(b[2] == std::pair<size_t, size_t>{3, 4});
  CHECK(b[3] == std::pair<size_t, size_t>{4, 5});
  // flatten and unflatten are inverse
  std::vector<torch::Tensor> x{torch::arange(6.).reshape({2, 3}), torch::arange(4.)};
  std::vector<torch::Tensor> y{torch::zeros({2, 3}), torch::zeros({4})};
  gd::detail::unflatten(gd::detail::flatten(x, {0, 2}), y, {0, 2});
  CHECK(torch::equal(x[0], y[0]));
  CHECK(torch::equal(x[1], y[1]));
}
