#pragma once
// `gancraft launch`: starts the local ranks of a data-parallel job with the environment that
// torchrun sets (RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT), watches them, and
// stops the whole job when one fails. Torch-free: only POSIX process control.
//
//   gancraft launch --nproc N [--master-port P] [--nnodes K --node-rank R --master-addr A]
//                   [--timeout S] -- COMMAND [ARGS...]

#include <gancraft/error.hpp>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

namespace gancraft::tools {

/// The exit status of a rank that failed only because another did: a `CommunicationError`
/// (`gancraft::distributed::kCommunicationErrorExitCode`; this header does without LibTorch).
inline constexpr int kCommunicationErrorExitCode = 3;

/// True for addresses that name this machine only (as `gancraft::distributed`'s own check).
inline bool is_loopback(const std::string& addr) {
  return addr == "localhost" || addr.rfind("127.", 0) == 0 || addr == "::1";
}

/// What `gancraft launch` starts.
struct LaunchOptions {
  int64_t nproc = 1;                     ///< ranks on this machine
  int64_t nnodes = 1;                    ///< machines in the job
  int64_t node_rank = 0;                 ///< this machine, in [0, nnodes)
  std::string master_addr = "127.0.0.1"; ///< rank 0's machine
  int64_t master_port = 29500;           ///< rank 0's rendezvous port
  std::optional<int64_t> timeout_s;      ///< exported as GANCRAFT_DIST_TIMEOUT when set
  double grace_s = 5;                    ///< SIGTERM → SIGKILL delay when stopping the ranks
  /// After a rank fails with `communication_error_code`, how long to wait for another rank to
  /// fail otherwise (the likely cause) before blaming the first; ends early when all have exited.
  double settle_s = 2;
  /// The exit status of a rank that failed only because another did.
  int communication_error_code = kCommunicationErrorExitCode;
  std::vector<std::string> command;      ///< what each rank runs

  /// Throws `OptionError` naming the first invalid option.
  void validate() const {
    GANCRAFT_CHECK(nproc >= 1, OptionError, "launch: --nproc must be >= 1, got ", nproc);
    GANCRAFT_CHECK(nnodes >= 1, OptionError, "launch: --nnodes must be >= 1, got ", nnodes);
    GANCRAFT_CHECK(node_rank >= 0 && node_rank < nnodes, OptionError,
                   "launch: --node-rank must be in [0, --nnodes = ", nnodes, "), got ", node_rank);
    GANCRAFT_CHECK(nnodes == 1 || !is_loopback(master_addr), OptionError, "launch: --nnodes ",
                   nnodes, " needs --master-addr set to the address of rank 0's machine (node rank "
                   "0), reachable from every machine; ", master_addr,
                   " would make each machine look for rank 0 on itself");
    GANCRAFT_CHECK(master_port > 0 && master_port < 65536, OptionError,
                   "launch: --master-port must be in [1, 65535], got ", master_port);
    GANCRAFT_CHECK(!timeout_s || *timeout_s > 0, OptionError,
                   "launch: --timeout must be > 0 seconds, got ", timeout_s.value_or(0));
    GANCRAFT_CHECK(!command.empty(), OptionError,
                   "launch: no command; put it after --, e.g. gancraft launch --nproc 2 -- "
                   "gancraft train --config FILE");
  }
};

namespace detail {

inline int64_t launch_integer(const std::string& name, const std::string& text) {
  try {
    size_t used = 0;
    const long long v = std::stoll(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  throw OptionError("launch: --" + name + " needs an integer, got '" + text + "'");
}

/// "SIGKILL" for 9, or "signal N".
inline std::string signal_name(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

inline volatile std::sig_atomic_t launch_signal = 0;
extern "C" inline void launch_on_signal(int sig) { launch_signal = sig; }

}  // namespace detail

/// Parses `argv[first..]`: options, then `--`, then the command.
inline LaunchOptions parse_launch_args(int argc, char** argv, int first) {
  LaunchOptions o;
  int i = first;
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") break;
    GANCRAFT_CHECK(a.rfind("--", 0) == 0, OptionError, "launch: unexpected argument '", a,
                   "'; put the command after --");
    std::string name = a.substr(2), value;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else {
      GANCRAFT_CHECK(i + 1 < argc, OptionError, "launch: ", a, " needs a value");
      value = argv[++i];
    }
    if (name == "nproc") o.nproc = detail::launch_integer(name, value);
    else if (name == "nnodes") o.nnodes = detail::launch_integer(name, value);
    else if (name == "node-rank") o.node_rank = detail::launch_integer(name, value);
    else if (name == "master-port") o.master_port = detail::launch_integer(name, value);
    else if (name == "master-addr") o.master_addr = value;
    else if (name == "timeout") o.timeout_s = detail::launch_integer(name, value);
    else throw OptionError("launch: unknown option --" + name);
  }
  for (++i; i < argc; ++i) o.command.emplace_back(argv[i]);
  o.validate();
  return o;
}

/// The variables rank `local_rank` of this machine gets, on top of the launcher's environment.
inline std::vector<std::pair<std::string, std::string>> rank_environment(const LaunchOptions& o,
                                                                        int64_t local_rank) {
  std::vector<std::pair<std::string, std::string>> env = {
      {"RANK", std::to_string(o.node_rank * o.nproc + local_rank)},
      {"LOCAL_RANK", std::to_string(local_rank)},
      {"WORLD_SIZE", std::to_string(o.nnodes * o.nproc)},
      {"LOCAL_WORLD_SIZE", std::to_string(o.nproc)},
      {"MASTER_ADDR", o.master_addr},
      {"MASTER_PORT", std::to_string(o.master_port)}};
  if (o.timeout_s) env.emplace_back("GANCRAFT_DIST_TIMEOUT", std::to_string(*o.timeout_s));
  return env;
}

/// Starts `command` (searched in PATH) in a process group of its own, with the launcher's
/// environment plus `extra`. Everything is prepared before fork(), so the child only execs.
/// The child gets SIGTERM when the thread that called `spawn` ends (PR_SET_PDEATHSIG), so a
/// launcher killed without the chance to stop its ranks does not leave them running; call it
/// from a thread that outlives the child (the launcher's main thread).
/// Throws `OptionError` when fork fails; a command that cannot be executed exits with 127.
inline pid_t spawn(const std::vector<std::string>& command,
                   const std::vector<std::pair<std::string, std::string>>& extra) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::string key = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& [k, v] : extra) replaced = replaced || k == key;
    if (!replaced) env_strings.push_back(entry);
  }
  for (const auto& [k, v] : extra) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp, args;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> command_copy = command;
  for (auto& s : command_copy) args.push_back(s.data());
  args.push_back(nullptr);

  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  GANCRAFT_CHECK(pid >= 0, OptionError, "launch: fork failed: ", std::strerror(errno));
  if (pid == 0) {
    ::setpgid(0, 0);  // the launcher signals each rank's whole process tree
    // Its own process group keeps a rank out of the terminal's Ctrl-C and of the signals to the
    // launcher's group, so it must hear of the launcher's death otherwise. The death signal is
    // kept across exec; the launcher may have died before prctl, hence the re-check.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(128 + SIGTERM);
    ::execvpe(args[0], args.data(), envp.data());
    const char msg[] = "gancraft launch: cannot execute the command\n";
    (void)!::write(2, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also here, so that the group exists before any kill()
  return pid;
}

/// How a process ended, as a shell reports it: the exit code, or 128 + the signal number.
inline int exit_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

/// "exited with code 3" or "was killed by signal SIGKILL (9)".
inline std::string describe_status(int status) {
  if (WIFSIGNALED(status))
    return "was killed by signal " + detail::signal_name(WTERMSIG(status)) + " (" +
           std::to_string(WTERMSIG(status)) + ")";
  return "exited with code " + std::to_string(exit_code(status));
}

/// Runs this machine's ranks of the job and waits for them. If one fails (non-zero exit or a
/// signal), says which on `err`, sends SIGTERM to the others, SIGKILL after `grace_s`, and
/// returns the failed rank's exit code (128 + signal for a signal). A rank that exits with
/// `communication_error_code` usually only lost a peer, so the launcher first waits up to
/// `settle_s` for a rank that failed otherwise (killed, crashed, another code) and blames
/// that one. With `forward_signals`, SIGINT and SIGTERM sent to the launcher are passed on to
/// every rank, SIGHUP as SIGTERM (which `gancraft train` handles), after which the launcher
/// waits for all of them and returns 128 + the signal it received. 0 when all succeed.
inline int launch(const LaunchOptions& options, std::ostream& err = std::cerr,
                  bool forward_signals = false) {
  options.validate();
  struct Rank {
    int64_t global = 0, local = 0;
    pid_t pid = -1;
    bool running = true;
    int status = 0;
  };
  std::vector<Rank> ranks;
  struct sigaction previous[3] {};
  const int forwarded[3] = {SIGINT, SIGTERM, SIGHUP};
  if (forward_signals) {
    detail::launch_signal = 0;
    struct sigaction action {};
    action.sa_handler = detail::launch_on_signal;
    sigemptyset(&action.sa_mask);
    for (int k = 0; k < 3; ++k) sigaction(forwarded[k], &action, &previous[k]);
  }
  auto signal_all = [&](int sig) {
    for (auto& r : ranks)
      if (r.running) ::kill(-r.pid, sig);
  };
  auto reap = [&](Rank& r, int flags) {
    int status = 0;
    const pid_t got = ::waitpid(r.pid, &status, flags);
    if (got == r.pid) {
      r.running = false;
      r.status = status;
      return true;
    }
    return false;
  };
  auto any_running = [&] {
    for (const auto& r : ranks)
      if (r.running) return true;
    return false;
  };
  // Stops the ranks still running: SIGTERM (or `sig`), then SIGKILL after the grace period.
  auto stop_all = [&](int sig) {
    signal_all(sig);
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(static_cast<int64_t>(options.grace_s * 1000));
    while (any_running() && std::chrono::steady_clock::now() < deadline) {
      for (auto& r : ranks)
        if (r.running) reap(r, WNOHANG);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    signal_all(SIGKILL);
    for (auto& r : ranks)
      if (r.running) reap(r, 0);
  };

  int rc = 0;
  try {
    for (int64_t local = 0; local < options.nproc; ++local) {
      Rank r;
      r.local = local;
      r.global = options.node_rank * options.nproc + local;
      r.pid = spawn(options.command, rank_environment(options, local));
      ranks.push_back(r);
    }
  } catch (...) {
    stop_all(SIGTERM);
    if (forward_signals)
      for (int k = 0; k < 3; ++k) sigaction(forwarded[k], &previous[k], nullptr);
    throw;
  }
  bool interrupted = false;
  std::vector<size_t> failed;  // indices into ranks, in the order they were seen to fail
  std::optional<std::chrono::steady_clock::time_point> settle_until;
  auto secondary = [&](const Rank& r) {
    return WIFEXITED(r.status) && WEXITSTATUS(r.status) == options.communication_error_code;
  };
  while (true) {
    if (forward_signals && detail::launch_signal != 0) {
      // The ranks decide what a signal means (gancraft train finishes its step and
      // checkpoints); from now on the launcher only waits, and passes on further signals.
      // SIGHUP becomes SIGTERM: programs that stop cleanly on a signal handle that one.
      const int sig = detail::launch_signal;
      detail::launch_signal = 0;
      const int passed = sig == SIGHUP ? SIGTERM : sig;
      err << "gancraft launch: received " << detail::signal_name(sig) << "; passing it on to the ranks"
          << (passed != sig ? " as " + detail::signal_name(passed) : std::string()) << "\n";
      signal_all(passed);
      if (!interrupted) rc = 128 + sig;
      interrupted = true;
    }
    // Reap every rank that has ended, not just the first: when one is killed, another fails
    // to communicate a moment later, and both may be waiting here.
    for (size_t i = 0; i < ranks.size(); ++i) {
      Rank& r = ranks[i];
      if (!r.running || !reap(r, WNOHANG) || interrupted) continue;
      if (WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0) continue;
      failed.push_back(i);
    }
    if (!interrupted && !failed.empty()) {
      size_t blamed = failed.front();
      for (size_t i : failed)
        if (!secondary(ranks[i])) {
          blamed = i;
          break;
        }
      const auto now = std::chrono::steady_clock::now();
      if (!settle_until)
        settle_until = now + std::chrono::milliseconds(static_cast<int64_t>(options.settle_s * 1000));
      if (!secondary(ranks[blamed]) || !any_running() || now >= *settle_until) {
        const Rank& r = ranks[blamed];
        err << "gancraft launch: rank " << r.global << " (local rank " << r.local << ", pid " << r.pid
            << ") " << describe_status(r.status);
        std::vector<int64_t> others;
        for (const auto& o : ranks)
          if (o.running) others.push_back(o.global);
        if (!others.empty()) {
          err << "; stopping rank" << (others.size() > 1 ? "s" : "");
          for (size_t k = 0; k < others.size(); ++k) err << (k ? ", " : " ") << others[k];
        }
        err << "\n";
        for (size_t i : failed)
          if (i != blamed && secondary(ranks[i]))
            err << "gancraft launch: rank " << ranks[i].global << " also exited, with code "
                << options.communication_error_code << " (communication with another rank failed)\n";
          else if (i != blamed)
            err << "gancraft launch: rank " << ranks[i].global << " also " << describe_status(ranks[i].status)
                << "\n";
        rc = exit_code(r.status);
        stop_all(SIGTERM);
        break;
      }
    }
    if (!any_running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (forward_signals)
    for (int k = 0; k < 3; ++k) sigaction(forwarded[k], &previous[k], nullptr);
  return rc;
}

/// `gancraft launch ...` (argv[1] is "launch").
inline int cmd_launch(int argc, char** argv) {
  for (int i = 2; i < argc && std::string(argv[i]) != "--"; ++i)
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      std::cout << "usage: gancraft launch --nproc N [--master-port P] [--nnodes K --node-rank R "
                   "--master-addr A] [--timeout S] -- COMMAND [ARGS...]\n"
                   "Starts N local ranks of COMMAND with RANK, LOCAL_RANK, WORLD_SIZE, "
                   "MASTER_ADDR, MASTER_PORT set (and GANCRAFT_DIST_TIMEOUT=S);\n"
                   "if one fails, stops the others and exits with its code. See docs/distributed.md.\n";
      return 0;
    }
  return launch(parse_launch_args(argc, argv, 2), std::cerr, /*forward_signals=*/true);
}

}  // namespace gancraft::tools
