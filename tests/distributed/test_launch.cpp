// `gancraft launch`: the rank environment, failure handling (which rank it blames, signals,
// its own death), and `gancraft train` under it.
#include "spawn.hpp"

#include "../support/test_support.hpp"

#include "../support/catch.hpp"

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace gt = gancraft::tools;

TEST_CASE("gancraft launch blames a rank that failed otherwise over one that lost its peer") {
  gt::LaunchOptions o;
  o.nproc = 2;
  o.master_port = gancraft::test::free_port();
  SECTION("the communication error is seen first") {
    // Rank 0 exits with the communication-error code at once; rank 1, the cause, is killed a
    // moment later, within the settle period (generous here; it ends when both have exited).
    o.settle_s = 120;
    o.command = {"sh", "-c", "if [ \"$RANK\" = 1 ]; then sleep 0.3; kill -9 $$; fi; exit 3"};
    std::ostringstream err;
    CHECK(gt::launch(o, err) == 128 + 9);
    INFO(err.str());
    CHECK(err.str().find("rank 1 (local rank 1") != std::string::npos);
    CHECK(err.str().find("was killed by signal SIGKILL (9)") != std::string::npos);
    CHECK(err.str().find("rank 0 also exited, with code 3 (communication with another rank failed)") !=
          std::string::npos);
  }
  SECTION("only communication errors: the first is named once the others have exited") {
    o.command = {"sh", "-c", "exit 3"};
    std::ostringstream err;
    CHECK(gt::launch(o, err) == 3);
    INFO(err.str());
    CHECK(err.str().find("exited with code 3") != std::string::npos);
  }
#ifdef GANCRAFT_DIST_WORKER
  SECTION("real ranks: rank 1 is killed during training, rank 0 fails to communicate") {
    const std::filesystem::path dir = gancraft::test::fresh_dir("launch/blame");
    o.timeout_s = 60;
    o.command = {GANCRAFT_DIST_WORKER, "--dp", "1", "--out", dir.string(), "--steps", "1000",
                 "--die-rank", "1", "--die-at", "3", "--die-signal", "KILL"};
    std::ostringstream err;
    CHECK(gt::launch(o, err) == 128 + 9);
    INFO(err.str());
    CHECK(err.str().find("rank 1 (local rank 1") != std::string::npos);
    CHECK(err.str().find("was killed by signal SIGKILL (9)") != std::string::npos);
  }
#endif
}

#ifdef GANCRAFT_CLI  // defined when the tool is built (GANCRAFT_BUILD_TOOLS)

#include <nlohmann/json.hpp>

#include <set>

namespace fs = std::filesystem;
using gancraft::test::shell;

namespace {

/// Waits until `file` exists; false after a minute (a broken test, not a speed check).
bool wait_for(const fs::path& file) {
  for (int i = 0; i < 3000 && !fs::exists(file); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return fs::exists(file);
}

/// Whether process `pid` has ended (gone, or a zombie nobody reaped yet).
bool ended(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const auto close = line.rfind(')');
  return close == std::string::npos || (close + 2 < line.size() && line[close + 2] == 'Z');
}

std::string launch_prefix() {
  return std::string(GANCRAFT_CLI) + " launch --nproc 2 --master-port " +
         std::to_string(gancraft::test::free_port()) + " ";
}

}  // namespace

TEST_CASE("gancraft launch starts each rank with the torchrun environment") {
  const fs::path dir = gancraft::test::fresh_dir("launch/env");
  const auto run = shell(launch_prefix() + "--timeout 7 -- sh -c 'echo \"$RANK $LOCAL_RANK $WORLD_SIZE "
                         "$MASTER_ADDR $GANCRAFT_DIST_TIMEOUT\" > " + dir.string() + "/rank-$RANK'",
                         dir / "log.txt");
  INFO(run.out);
  REQUIRE(run.rc == 0);
  CHECK(gancraft::test::read_bytes(dir / "rank-0") == "0 0 2 127.0.0.1 7\n");
  CHECK(gancraft::test::read_bytes(dir / "rank-1") == "1 1 2 127.0.0.1 7\n");

  const auto nodes = shell(std::string(GANCRAFT_CLI) + " launch --nproc 2 --nnodes 3 --node-rank 2 "
                           "--master-addr 10.0.0.1 -- sh -c 'echo \"$RANK $LOCAL_RANK $WORLD_SIZE $MASTER_ADDR\" > " +
                           dir.string() + "/node2-$LOCAL_RANK'", dir / "log2.txt");
  REQUIRE(nodes.rc == 0);
  CHECK(gancraft::test::read_bytes(dir / "node2-0") == "4 0 6 10.0.0.1\n");
  CHECK(gancraft::test::read_bytes(dir / "node2-1") == "5 1 6 10.0.0.1\n");
}

TEST_CASE("gancraft launch stops the other ranks and names the one that failed") {
  const fs::path dir = gancraft::test::fresh_dir("launch/failure");
  SECTION("an exit code") {
    // Rank 0 would sleep for ten minutes: the launcher must stop it.
    const auto run = shell(launch_prefix() + "-- sh -c 'if [ \"$RANK\" = 1 ]; then exit 3; fi; exec sleep 600'",
                           dir / "exit.txt");
    INFO(run.out);
    CHECK(run.rc == 3);
    CHECK(run.out.find("rank 1 (local rank 1") != std::string::npos);
    CHECK(run.out.find("exited with code 3; stopping rank 0") != std::string::npos);
  }
  SECTION("a signal") {
    const auto run = shell(launch_prefix() + "-- sh -c 'if [ \"$RANK\" = 0 ]; then kill -9 $$; fi; exec sleep 600'",
                           dir / "signal.txt");
    INFO(run.out);
    CHECK(run.rc == 128 + 9);
    CHECK(run.out.find("rank 0 (local rank 0") != std::string::npos);
    CHECK(run.out.find("was killed by signal SIGKILL (9)") != std::string::npos);
  }
  SECTION("bad arguments") {
    auto run = shell(std::string(GANCRAFT_CLI) + " launch --nproc 0 -- true", dir / "args1.txt");
    CHECK(run.rc == 1);
    CHECK(run.out.find("--nproc must be >= 1, got 0") != std::string::npos);
    run = shell(std::string(GANCRAFT_CLI) + " launch --nproc 2", dir / "args2.txt");
    CHECK(run.rc == 1);
    CHECK(run.out.find("no command; put it after --") != std::string::npos);
    run = shell(std::string(GANCRAFT_CLI) + " launch --nproc 2 --node-rank 1 -- true", dir / "args3.txt");
    CHECK(run.rc == 1);
    CHECK(run.out.find("--node-rank must be in [0, --nnodes = 1), got 1") != std::string::npos);
    // Several machines with the default loopback master: each would wait for itself.
    run = shell(std::string(GANCRAFT_CLI) + " launch --nproc 2 --nnodes 2 --node-rank 1 -- true", dir / "args4.txt");
    CHECK(run.rc == 1);
    CHECK(run.out.find("--nnodes 2 needs --master-addr set to the address of rank 0's machine") != std::string::npos);
  }
}

TEST_CASE("gancraft launch passes SIGHUP on as SIGTERM, which gancraft train handles") {
  const fs::path dir = gancraft::test::fresh_dir("launch/sighup");
  const std::string d = dir.string();
  const pid_t launcher = gt::spawn(
      {GANCRAFT_CLI, "launch", "--nproc", "2", "--master-port", std::to_string(gancraft::test::free_port()), "--",
       "sh", "-c",
       "trap 'echo TERM > " + d + "/got-$RANK; exit 0' TERM; trap 'echo HUP > " + d + "/got-$RANK; exit 0' HUP; "
       "touch " + d + "/ready-$RANK; while :; do sleep 1; done"},
      {});
  REQUIRE(wait_for(dir / "ready-0"));
  REQUIRE(wait_for(dir / "ready-1"));
  ::kill(launcher, SIGHUP);
  const int status = gancraft::test::wait_bounded(launcher);
  REQUIRE(status != -1);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 128 + SIGHUP);
  CHECK(gancraft::test::read_bytes(dir / "got-0") == "TERM\n");
  CHECK(gancraft::test::read_bytes(dir / "got-1") == "TERM\n");
}

TEST_CASE("the ranks end when gancraft launch is killed") {
  const fs::path dir = gancraft::test::fresh_dir("launch/orphans");
  const std::string d = dir.string();
  const pid_t launcher = gt::spawn(
      {GANCRAFT_CLI, "launch", "--nproc", "2", "--master-port", std::to_string(gancraft::test::free_port()), "--",
       "sh", "-c", "echo $$ > " + d + "/pid-$RANK.tmp && mv " + d + "/pid-$RANK.tmp " + d + "/pid-$RANK; exec sleep 600"},
      {});
  REQUIRE(wait_for(dir / "pid-0"));
  REQUIRE(wait_for(dir / "pid-1"));
  std::vector<pid_t> ranks;
  for (const char* f : {"pid-0", "pid-1"}) ranks.push_back(std::stoi(gancraft::test::read_bytes(dir / f)));
  ::kill(launcher, SIGKILL);  // no chance to stop its ranks itself
  ::waitpid(launcher, nullptr, 0);
  for (const pid_t pid : ranks) {
    bool gone = false;
    for (int i = 0; i < 3000 && !(gone = ended(pid)); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(gone);
    if (!gone) ::kill(pid, SIGKILL);  // do not leave a broken test's processes behind
  }
}

TEST_CASE("gancraft train under gancraft launch: rank 0 writes the run, as one process would") {
  const fs::path dir = gancraft::test::fresh_dir("launch/train");
  {
    std::ofstream(dir / "ring.json") << R"({"model": {"kind": "mlp", "latent_dim": 4, "hidden": 32},
        "data": {"kind": "ring", "samples": 1000},
        "trainer": {"batch_size": 50, "steps": 40},
        "hooks": {"progress": false, "log_every": 5, "checkpoint_every": 20}})";
  }
  const std::string config = (dir / "ring.json").string();
  const auto two = shell(launch_prefix() + "--timeout 60 -- " + GANCRAFT_CLI + " train --config " + config +
                         " --out " + (dir / "two").string(), dir / "two.txt");
  INFO(two.out);
  REQUIRE(two.rc == 0);
  const auto one = shell(std::string(GANCRAFT_CLI) + " train --config " + config + " --out " +
                         (dir / "one").string(), dir / "one.txt");
  REQUIRE(one.rc == 0);

  // One "done" line: rank 1 prints and writes nothing.
  CHECK(two.out.find("done: 40 steps") != std::string::npos);
  CHECK(two.out.find("done: 40 steps") == two.out.rfind("done: 40 steps"));
  CHECK(fs::is_directory(dir / "two" / "checkpoints" / "step-000040"));
  // Each logged step once (two writers would repeat them), with the losses of one process.
  std::ifstream log1(dir / "one" / "metrics.jsonl"), log2(dir / "two" / "metrics.jsonl");
  std::string l1, l2;
  std::set<int64_t> steps;
  int lines = 0;
  while (std::getline(log2, l2)) {
    REQUIRE(std::getline(log1, l1));
    const auto a = nlohmann::json::parse(l1), b = nlohmann::json::parse(l2);
    CHECK(a["step"] == b["step"]);
    CHECK(std::abs(a["d_loss"].get<double>() - b["d_loss"].get<double>()) <= 1e-5);
    steps.insert(b["step"].get<int64_t>());
    ++lines;
  }
  CHECK(lines == 8);
  CHECK(steps.size() == 8);

  // Resuming the 2-rank run with 1 process continues it.
  const auto resumed = shell(std::string(GANCRAFT_CLI) + " train --out " + (dir / "two").string() +
                             " --resume --set trainer.steps=50", dir / "resume.txt");
  INFO(resumed.out);
  CHECK(resumed.rc == 0);
  CHECK(resumed.out.find("resumed from") != std::string::npos);
  CHECK(resumed.out.find("done: 50 steps") != std::string::npos);
}

#endif
