#pragma once
// The processes `gancraft train` runs on: one, or the ranks `gancraft launch` (or torchrun)
// started, in which case training is data-parallel and only rank 0 (the writer) writes the run.

#include <gancraft/gan.hpp>
#ifdef GANCRAFT_HAS_DISTRIBUTED  // linked with gancraft::distributed
#include <gancraft/distributed/data_parallel.hpp>
#include <gancraft/distributed/rank_zero_only.hpp>
#endif

#include <cstdlib>
#include <string>
#include <utility>

namespace gancraft::tools {

struct Job {
#ifdef GANCRAFT_HAS_DISTRIBUTED
  distributed::ProcessGroup group;
  bool writer() const { return group.is_rank_zero(); }
  auto policy() const { return distributed::DataParallel(group); }  ///< a `Trainer`'s policy
  /// A `ModelTrainer`'s policy: the same here; alone, `SingleProcess` (a `Trainer` takes
  /// `AlternatingPolicy` instead).
  auto model_policy() const { return distributed::DataParallel(group); }
  template <class H>
  auto on_writer(H hook) const { return distributed::RankZeroOnly(std::move(hook), group); }
#else
  bool writer() const { return true; }
  AlternatingPolicy policy() const { return {}; }   ///< a `Trainer`'s policy
  SingleProcess model_policy() const { return {}; }  ///< a `ModelTrainer`'s policy
  template <class H>
  H on_writer(H hook) const { return hook; }
#endif
};

/// Joins the job the environment describes (WORLD_SIZE and friends), or runs alone.
inline Job join_job() {
#ifdef GANCRAFT_HAS_DISTRIBUTED
  return {distributed::init_process_group(distributed::ProcessGroupOptions::from_environment())};
#else
  const char* world = std::getenv("WORLD_SIZE");
  GANCRAFT_CHECK(world == nullptr || std::string(world) == "1", OptionError,
                 "WORLD_SIZE is ", world, " but this gancraft was built without distributed training "
                 "(GANCRAFT_DISTRIBUTED=OFF)");
  return {};
#endif
}

}  // namespace gancraft::tools
