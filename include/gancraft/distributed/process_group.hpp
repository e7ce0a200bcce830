#pragma once
/// @file gancraft/distributed/process_group.hpp
/// A c10d process group (Gloo, or NCCL on CUDA builds) created from a `ProcessGroupOptions`.

#include <gancraft/distributed/process_group_options.hpp>
#include <gancraft/detail/exception_text.hpp>
#include <gancraft/error.hpp>

#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/torch.h>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

namespace gancraft::distributed {

/// Communication between ranks failed: a peer died, closed its connection, or did not answer
/// within `ProcessGroupOptions::timeout`.
class CommunicationError : public Error {
 public:
  using Error::Error;
};

/// The exit status with which `gancraft train` (and the tests' workers) end on a
/// `CommunicationError`. When a rank dies, the others usually fail with this status a moment
/// later; `gancraft launch` therefore blames a rank that failed otherwise when there is one.
/// Programs of your own run under the launcher can do the same:
/// @code
/// } catch (const gc::distributed::CommunicationError& e) {
///   std::cerr << e.what() << "\n";
///   return gc::distributed::kCommunicationErrorExitCode;
/// }
/// @endcode
inline constexpr int kCommunicationErrorExitCode = 3;

/// A handle on the process group of a data-parallel job; copies share the group.
///
/// A default-constructed `ProcessGroup` is a job of one process (rank 0 of 1) with no
/// communication at all: code written for several ranks runs unchanged in one.
/// @code
/// gc::distributed::ProcessGroup group =
///     gc::distributed::init_process_group(gc::distributed::ProcessGroupOptions::from_environment());
/// if (group.rank() == 0) std::cout << "training on " << group.world_size() << " processes\n";
/// @endcode
class ProcessGroup {
 public:
  /// A job of one process: rank 0 of 1, without c10d.
  ProcessGroup() = default;

  /// Wraps a c10d group whose rank and size `options` describe (`init_process_group` makes
  /// one; use this for a group created otherwise). `store`, if given, is kept alive with it.
  ProcessGroup(c10::intrusive_ptr<c10d::ProcessGroup> group, ProcessGroupOptions options,
               c10::intrusive_ptr<c10d::Store> store = {})
      : state_(std::make_shared<State>(State{std::move(store), std::move(group), std::move(options)})) {}

  /// The options the group was created with; rank 0 of 1 for a job of one.
  const ProcessGroupOptions& options() const {
    static const ProcessGroupOptions single(0, 1);
    return state_ ? state_->options : single;
  }
  int64_t rank() const { return options().rank(); }              ///< this process
  int64_t world_size() const { return options().world_size(); }  ///< processes in the job
  int64_t local_rank() const { return options().local_rank(); }  ///< this process on its machine
  bool is_rank_zero() const { return rank() == 0; }  ///< whether this process writes the outputs
  /// Whether there are other processes to talk to (false for a job of one).
  bool distributed() const { return state_ != nullptr && world_size() > 1; }
  /// "gloo", "nccl", or "none" for a job of one.
  std::string backend() const { return state_ ? state_->group->getBackendName() : "none"; }

  /// The underlying c10d group, for collectives gancraft does not wrap. Requires
  /// `distributed()`.
  c10d::ProcessGroup& c10d() const {
    GANCRAFT_CHECK(state_ != nullptr, OptionError,
                   "ProcessGroup::c10d: a job of one process has no c10d group");
    return *state_->group;
  }

  /// Waits until every rank reaches this call; `CommunicationError` if a rank is gone.
  void barrier(const char* what = "barrier") const;

 private:
  struct State {
    c10::intrusive_ptr<c10d::Store> store;
    c10::intrusive_ptr<c10d::ProcessGroup> group;
    ProcessGroupOptions options;
  };
  std::shared_ptr<State> state_;
};

namespace detail {


/// Runs `fn` (which talks to other ranks) and turns any failure into a `CommunicationError`
/// that says which rank failed doing what, and what probably happened.
template <class Fn>
decltype(auto) communicate(const ProcessGroupOptions& o, const std::string& what, Fn&& fn) {
  try {
    return fn();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw CommunicationError(::gancraft::detail::str(
        "rank ", o.rank(), " of ", o.world_size(), ": ", what, " failed: ", ::gancraft::detail::short_what(e),
        " (another rank has probably exited, or did not answer within the timeout of ",
        std::chrono::duration<double>(o.timeout()).count(), " s)"));
  }
}

/// True for addresses that name this machine only.
inline bool is_loopback(const std::string& addr) {
  return addr == "localhost" || addr.rfind("127.", 0) == 0 || addr == "::1";
}

inline c10::intrusive_ptr<c10d::ProcessGroup> make_gloo(const c10::intrusive_ptr<c10d::Store>& store,
                                                        const ProcessGroupOptions& o) {
  auto options = c10d::ProcessGroupGloo::Options::create(o.timeout());
  // As PyTorch: GLOO_SOCKET_IFNAME picks the interface; a loopback master means a one-machine
  // job, so the loopback device (a machine whose hostname does not resolve still works);
  // otherwise the address this machine's hostname resolves to.
  if (const char* ifname = env("GLOO_SOCKET_IFNAME"))
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
  else if (is_loopback(o.master_addr()))
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
  else
    options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  return c10::make_intrusive<c10d::ProcessGroupGloo>(store, static_cast<int>(o.rank()),
                                                     static_cast<int>(o.world_size()), options);
}

}  // namespace detail

inline void ProcessGroup::barrier(const char* what) const {
  if (!distributed()) return;
  detail::communicate(state_->options, what, [&] { state_->group->barrier()->wait(); });
}

/// Joins the job `options` describes: rank 0 starts c10d's `TCPStore` on
/// `master_addr:master_port`, the others connect to it, and all create the process group.
/// Returns when every rank has joined. A job of one returns a `ProcessGroup` without c10d.
/// Throws `OptionError` for invalid options (or NCCL without a build or device for it) and
/// `CommunicationError` when the rendezvous fails or times out.
inline ProcessGroup init_process_group(const ProcessGroupOptions& options) {
  options.validate();
  if (options.world_size() == 1) return ProcessGroup();
  Backend backend = options.backend();
#ifdef USE_C10D_NCCL
  if (backend == Backend::Auto) backend = torch::cuda::is_available() ? Backend::NCCL : Backend::Gloo;
#else
  if (backend == Backend::Auto) backend = Backend::Gloo;
  GANCRAFT_CHECK(backend != Backend::NCCL, OptionError,
                 "ProcessGroupOptions::backend is NCCL but gancraft was compiled without "
                 "USE_C10D_NCCL (configure with -DGANCRAFT_DISTRIBUTED_NCCL=ON on a CUDA build)");
#endif
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroup> group;
  detail::communicate(options, "rendezvous at " + options.master_addr() + ":" +
                                   std::to_string(options.master_port()),
                      [&] {
                        c10d::TCPStoreOptions so;
                        so.port = static_cast<std::uint16_t>(options.master_port());
                        so.isServer = options.rank() == 0;
                        so.numWorkers = static_cast<std::size_t>(options.world_size());
                        so.waitWorkers = true;
                        so.timeout = options.timeout();
                        store = c10::make_intrusive<c10d::TCPStore>(options.master_addr(), so);
#ifdef USE_C10D_NCCL
                        if (backend == Backend::NCCL) {
                          auto nccl = c10d::ProcessGroupNCCL::Options::create();
                          nccl->timeout = options.timeout();
                          group = c10::make_intrusive<c10d::ProcessGroupNCCL>(
                              store, static_cast<int>(options.rank()),
                              static_cast<int>(options.world_size()), nccl);
                          return;
                        }
#endif
                        group = detail::make_gloo(store, options);
                      });
  ProcessGroup out(std::move(group), options, std::move(store));
  // Every rank has connected once this returns, so later failures are failures of a peer.
  out.barrier("the first barrier after the rendezvous");
  return out;
}

}  // namespace gancraft::distributed
