#pragma once
/// @file gancraft/distributed/process_group_options.hpp
/// Where a process sits in a data-parallel job, and how it reaches the others.

#include <gancraft/error.hpp>

#include <torch/arg.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace gancraft::distributed {

/// Which c10d process group carries the collectives.
enum class Backend {
  /// NCCL when gancraft was compiled with its NCCL code (`GANCRAFT_DISTRIBUTED_NCCL`) and CUDA is available, else Gloo.
  Auto,
  /// Gloo: CPU tensors, TCP between processes (the only backend of a CPU-only LibTorch).
  Gloo,
  /// NCCL: CUDA tensors; needs a build configured with `-DGANCRAFT_DISTRIBUTED_NCCL=ON`.
  NCCL,
};

namespace detail {

/// The value of environment variable `name`, or nothing when it is unset or empty.
inline const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : nullptr;
}

/// Parses environment variable `name` as a whole number; `OptionError` naming it otherwise.
inline int64_t env_integer(const char* name, const char* value) {
  try {
    size_t used = 0;
    const long long v = std::stoll(value, &used);
    if (used == std::string(value).size()) return v;
  } catch (const std::exception&) {
  }
  throw OptionError(::gancraft::detail::str("environment variable ", name,
                                            " must be an integer, got '", value, "'"));
}

}  // namespace detail

/// Options of `init_process_group`: this process's rank, the job's size and the rendezvous.
///
/// The rendezvous is c10d's `TCPStore`: rank 0 listens on `master_addr:master_port`, the other
/// ranks connect to it, and the process group exchanges its addresses through it.
/// @code
/// auto options = gc::distributed::ProcessGroupOptions(/*rank=*/1, /*world_size=*/2)
///                    .master_port(29600).timeout(std::chrono::seconds(30));
/// auto same_from_torchrun = gc::distributed::ProcessGroupOptions::from_environment();
/// @endcode
struct ProcessGroupOptions {
  /// One process of `world_size`; `rank` in `[0, world_size)`.
  ProcessGroupOptions(int64_t rank, int64_t world_size) : rank_(rank), world_size_(world_size) {}

  /// This process's index in the job; rank 0 hosts the rendezvous and writes the outputs.
  TORCH_ARG(int64_t, rank);
  /// The number of processes in the job.
  TORCH_ARG(int64_t, world_size);
  /// This process's index on its machine (the CUDA device to use, with NCCL).
  TORCH_ARG(int64_t, local_rank) = 0;
  /// Address of rank 0's machine: every rank connects there.
  TORCH_ARG(std::string, master_addr) = "127.0.0.1";
  /// Port of the rendezvous on rank 0's machine (torchrun's default).
  TORCH_ARG(int64_t, master_port) = 29500;
  /// How long the rendezvous and each collective may wait for the other ranks before the
  /// process gives up with `CommunicationError` (a dead peer is usually noticed at once, by its
  /// closed connection; the timeout bounds the rest). PyTorch's default, 30 minutes.
  TORCH_ARG(std::chrono::milliseconds, timeout) = std::chrono::minutes(30);
  /// The c10d backend.
  TORCH_ARG(Backend, backend) = Backend::Auto;

  // TORCH_ARG leaves the access at private.
 public:
  /// Reads the variables `torchrun` and `gancraft launch` set: `RANK`, `WORLD_SIZE`,
  /// `LOCAL_RANK` (default 0), `MASTER_ADDR` (default 127.0.0.1), `MASTER_PORT` (default
  /// 29500) and gancraft's `GANCRAFT_DIST_TIMEOUT` (seconds, default 1800). Without
  /// `WORLD_SIZE` the process is alone: rank 0 of 1. `OptionError` names a malformed variable,
  /// or `RANK` missing when `WORLD_SIZE` is set.
  static ProcessGroupOptions from_environment() {
    using detail::env;
    using detail::env_integer;
    const char* world = env("WORLD_SIZE");
    if (world == nullptr) return ProcessGroupOptions(0, 1);
    const char* rank = env("RANK");
    GANCRAFT_CHECK(rank != nullptr, OptionError,
                   "environment variable WORLD_SIZE is set but RANK is not; start the ranks "
                   "with `gancraft launch` or torchrun");
    ProcessGroupOptions o(env_integer("RANK", rank), env_integer("WORLD_SIZE", world));
    if (const char* v = env("LOCAL_RANK")) o.local_rank(env_integer("LOCAL_RANK", v));
    if (const char* v = env("MASTER_ADDR")) o.master_addr(v);
    if (const char* v = env("MASTER_PORT")) o.master_port(env_integer("MASTER_PORT", v));
    if (const char* v = env("GANCRAFT_DIST_TIMEOUT"))
      o.timeout(std::chrono::seconds(env_integer("GANCRAFT_DIST_TIMEOUT", v)));
    o.validate();
    return o;
  }

  /// Throws `OptionError` naming the first invalid option.
  void validate() const {
    GANCRAFT_CHECK(world_size() >= 1, OptionError,
                   "ProcessGroupOptions::world_size must be >= 1, got ", world_size());
    GANCRAFT_CHECK(rank() >= 0 && rank() < world_size(), OptionError,
                   "ProcessGroupOptions::rank must be in [0, world_size = ", world_size(),
                   "), got ", rank());
    GANCRAFT_CHECK(local_rank() >= 0, OptionError,
                   "ProcessGroupOptions::local_rank must be >= 0, got ", local_rank());
    GANCRAFT_CHECK(master_port() > 0 && master_port() < 65536, OptionError,
                   "ProcessGroupOptions::master_port must be in [1, 65535], got ", master_port());
    GANCRAFT_CHECK(!master_addr().empty(), OptionError,
                   "ProcessGroupOptions::master_addr must not be empty");
    GANCRAFT_CHECK(timeout().count() > 0, OptionError,
                   "ProcessGroupOptions::timeout must be > 0, got ", timeout().count(), " ms");
  }
};

}  // namespace gancraft::distributed
