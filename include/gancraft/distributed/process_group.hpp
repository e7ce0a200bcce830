#pragma once
/// @file gancraft/distributed/process_group.hpp
/// A c10d process group (Gloo, or NCCL on CUDA builds) created from a `ProcessGroupOptions`.

#include <gancraft/distributed/process_group_options.hpp>
#include <gancraft/detail/exception_text.hpp>
#include <gancraft/detail/torch_compat.hpp>
#include <gancraft/error.hpp>

#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/torch.h>
#if GANCRAFT_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <future>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
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

/// Whether this machine's hostname resolves to a loopback address (or not at all), as it does
/// on many Debian installs (127.0.1.1 in /etc/hosts). Gloo would then advertise that address
/// to the other machines, which cannot reach it.
inline bool hostname_is_loopback() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return true;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(name, nullptr, &hints, &found) != 0 || found == nullptr) return true;
  bool loopback = true;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    const void* raw = a->ai_family == AF_INET ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr)
                                              : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr);
    if (::inet_ntop(a->ai_family, raw, text, sizeof text) && !is_loopback(text)) loopback = false;
  }
  ::freeaddrinfo(found);
  return loopback;
}

/// The local address of the route to `host:port`: what a UDP socket connected there reports
/// (connecting a UDP socket sends nothing). Nothing when `host` does not resolve or has no route.
inline std::optional<std::string> local_address_towards(const std::string& host, int64_t port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 || found == nullptr)
    return std::nullopt;
  std::optional<std::string> out;
  for (addrinfo* a = found; a != nullptr && !out; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    sockaddr_storage local{};
    socklen_t len = sizeof local;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) == 0) {
      char text[INET6_ADDRSTRLEN] = {};
      const void* raw = local.ss_family == AF_INET
                            ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&local)->sin_addr)
                            : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&local)->sin6_addr);
      if (::inet_ntop(local.ss_family, raw, text, sizeof text)) out = text;
    }
    ::close(fd);
  }
  ::freeaddrinfo(found);
  return out;
}

/// A `c10d::ProcessGroup` (a template, so that only the constructor this LibTorch has is
/// compiled): 2.x releases before the options were dropped take `ProcessGroup::Options`
/// (backend name and timeout) as a fourth argument.
template <class Group>
c10::intrusive_ptr<Group> make_c10d_group(const c10::intrusive_ptr<c10d::Store>& store, const ProcessGroupOptions& o,
                                          const std::string& backend_name) {
  const int rank = static_cast<int>(o.rank()), size = static_cast<int>(o.world_size());
  if constexpr (std::is_constructible_v<Group, const c10::intrusive_ptr<c10d::Store>&, int, int>) {
    (void)backend_name;
    return c10::make_intrusive<Group>(store, rank, size);
  } else {
    return c10::make_intrusive<Group>(store, rank, size,
                                      c10::make_intrusive<typename Group::Options>(backend_name, o.timeout()));
  }
}

/// The c10d group over one backend. LibTorch 1.13's `ProcessGroupGloo` is a `ProcessGroup`;
/// since 2.0 it is a `c10d::Backend`, which a `ProcessGroup` dispatches to per device type.
template <class Backend>
c10::intrusive_ptr<c10d::ProcessGroup> as_process_group(const c10::intrusive_ptr<c10d::Store>& store,
                                                        const ProcessGroupOptions& o,
                                                        c10::intrusive_ptr<Backend> backend,
                                                        [[maybe_unused]] c10::DeviceType device) {
#if GANCRAFT_TORCH_AT_LEAST(2, 0)
  auto group = make_c10d_group<c10d::ProcessGroup>(store, o, backend->getBackendName());
  const auto type = device == c10::DeviceType::CUDA ? c10d::ProcessGroup::BackendType::NCCL
                                                    : c10d::ProcessGroup::BackendType::GLOO;
  group->setBackend(device, type, backend);
  group->setDefaultBackend(type);
  return group;
#else
  (void)store;
  (void)o;
  return backend;
#endif
}

inline c10::intrusive_ptr<c10d::ProcessGroup> make_gloo(const c10::intrusive_ptr<c10d::Store>& store,
                                                        const ProcessGroupOptions& o) {
  auto options = c10d::ProcessGroupGloo::Options::create(o.timeout());
  // As PyTorch: GLOO_SOCKET_IFNAME picks the interface; a loopback master means a one-machine
  // job, so the loopback device (a machine whose hostname does not resolve still works);
  // otherwise the address this machine's hostname resolves to.
  // PyTorch stops there, so a machine whose hostname resolves to a loopback address (Debian's
  // 127.0.1.1) advertises it and the other machines cannot connect: then use the local address
  // of the route to the master instead, and say so.
  if (const char* ifname = env("GLOO_SOCKET_IFNAME")) {
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
  } else if (is_loopback(o.master_addr())) {
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
  } else if (hostname_is_loopback()) {
    const auto local = local_address_towards(o.master_addr(), o.master_port());
    if (!local)
      throw CommunicationError(::gancraft::detail::str(
          "rank ", o.rank(), ": this machine's hostname resolves to a loopback address and no route to "
          "MASTER_ADDR ", o.master_addr(), " was found; set GLOO_SOCKET_IFNAME to the interface the machines share"));
    std::cerr << "gancraft: rank " << o.rank() << ": this machine's hostname resolves to a loopback address; "
              << "using " << *local << ", the local address of the route to MASTER_ADDR " << o.master_addr()
              << " (set GLOO_SOCKET_IFNAME to choose the interface)\n";
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(*local));
  } else {
    options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  }
  auto gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(store, static_cast<int>(o.rank()),
                                                          static_cast<int>(o.world_size()), options);
  return as_process_group(store, o, std::move(gloo), c10::DeviceType::CPU);
}

}  // namespace detail

inline void ProcessGroup::barrier(const char* what) const {
  if (!distributed()) return;
  detail::communicate(state_->options, what, [&] { state_->group->barrier()->wait(); });
}

/// Joins the job `options` describes: rank 0 starts c10d's `TCPStore` on
/// `master_addr:master_port`, the others connect to it, and all create the process group.
/// Returns when every rank has joined. A job of one returns a `ProcessGroup` without c10d.
/// When the rendezvous misses its deadline, its helper thread is left inside c10d: end the
/// process then without running static destructors, after flushing what it wrote
/// (`std::_Exit(kCommunicationErrorExitCode)`, as `gancraft train` does), and do not retry on
/// the same port in the same process (rank 0's abandoned store may still hold it).
/// Throws `OptionError` for invalid options (or NCCL without a build or device for it) and
/// `CommunicationError` when the rendezvous fails or times out.
inline ProcessGroup init_process_group(const ProcessGroupOptions& options) {
  options.validate();
  if (options.world_size() == 1) return ProcessGroup();
  Backend backend = options.backend();
#if GANCRAFT_WITH_NCCL
  if (backend == Backend::Auto) backend = torch::cuda::is_available() ? Backend::NCCL : Backend::Gloo;
#else
  if (backend == Backend::Auto) backend = Backend::Gloo;
  GANCRAFT_CHECK(backend != Backend::NCCL, OptionError,
                 "ProcessGroupOptions::backend is NCCL but gancraft was compiled without its NCCL "
                 "code (configure with -DGANCRAFT_DISTRIBUTED_NCCL=ON on a CUDA build)");
#endif
  // The rendezvous runs on a helper thread under a deadline of its own: TCPStore and Gloo take
  // the timeout too, but a Gloo connect to a peer that has exited was seen to retry for minutes.
  // On the deadline the helper is left behind (it owns what it touches) and this rank reports
  // the failure, so that every rank ends within the timeout.
  struct Rendezvous {
    c10::intrusive_ptr<c10d::Store> store;
    c10::intrusive_ptr<c10d::ProcessGroup> group;
    std::promise<void> done;
  };
  auto rdv = std::make_shared<Rendezvous>();
  std::future<void> finished = rdv->done.get_future();
  const std::string what = "rendezvous at " + options.master_addr() + ":" + std::to_string(options.master_port());
  std::thread([rdv, options, backend, what] {
    try {
      detail::communicate(options, what, [&] {
        c10d::TCPStoreOptions so;
        so.port = static_cast<std::uint16_t>(options.master_port());
        so.isServer = options.rank() == 0;
        so.numWorkers = static_cast<std::size_t>(options.world_size());
        so.waitWorkers = true;
        so.timeout = options.timeout();
        rdv->store = c10::make_intrusive<c10d::TCPStore>(options.master_addr(), so);
#if GANCRAFT_WITH_NCCL
        if (backend == Backend::NCCL) {
          auto nccl = c10d::ProcessGroupNCCL::Options::create();
          nccl->timeout = options.timeout();
          rdv->group = detail::as_process_group(
              rdv->store, options,
              c10::make_intrusive<c10d::ProcessGroupNCCL>(rdv->store, static_cast<int>(options.rank()),
                                                          static_cast<int>(options.world_size()), nccl),
              c10::DeviceType::CUDA);
          return;
        }
#else
        (void)backend;
#endif
        rdv->group = detail::make_gloo(rdv->store, options);
      });
      rdv->done.set_value();
    } catch (...) {
      rdv->done.set_exception(std::current_exception());
    }
  }).detach();
  if (finished.wait_for(options.timeout()) == std::future_status::timeout)
    throw CommunicationError(::gancraft::detail::str(
        "rank ", options.rank(), " of ", options.world_size(), ": ", what, " did not complete within the timeout of ",
        std::chrono::duration<double>(options.timeout()).count(),
        " s (another rank has probably exited, or cannot reach this one)"));
  finished.get();  // rethrows the rendezvous's CommunicationError
  c10::intrusive_ptr<c10d::Store> store = rdv->store;
  c10::intrusive_ptr<c10d::ProcessGroup> group = rdv->group;
  ProcessGroup out(std::move(group), options, std::move(store));
  // Every rank has connected once this returns, so later failures are failures of a peer.
  out.barrier("the first barrier after the rendezvous");
  return out;
}

}  // namespace gancraft::distributed
