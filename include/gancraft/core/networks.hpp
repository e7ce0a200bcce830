#pragma once
/// @file gancraft/core/networks.hpp

#include <gancraft/core/network_options.hpp>
#include <gancraft/error.hpp>

#include <torch/torch.h>

#include <concepts>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace gancraft {

/// The list a `Model` fills in `register_networks`: each network by name, with how it is
/// trained. The trainer moves them to the device, builds their optimizers and checkpoints them
/// under these names (`<name>.pt`, `<name>_optimizer.*`).
class Networks {
 public:
  /// One registered network.
  struct Entry {
    std::string name;                            ///< its checkpoint name
    std::shared_ptr<torch::nn::Module> module;   ///< shared with the model
    NetworkOptions options;                      ///< how it is trained
  };

  /// Registers `network` (a `TORCH_MODULE` holder or a `std::shared_ptr` to a module, which the
  /// model keeps using) as `name`: lower-case letters, digits and '_', unique. `OptionError`
  /// otherwise.
  template <class M>
    requires std::derived_from<std::remove_cvref_t<decltype(*std::declval<M&>())>, torch::nn::Module>
  Networks& add(const std::string& name, M& network, NetworkOptions options = {}) {
    for (const auto& e : entries_)
      GANCRAFT_CHECK(e.name != name, OptionError, "register_networks: the name '", name, "' is used twice");
    std::shared_ptr<torch::nn::Module> module;
    if constexpr (requires { network.ptr(); }) module = network.ptr();
    else module = network;
    GANCRAFT_CHECK(module != nullptr, OptionError, "register_networks: network '", name, "' is empty");
    entries_.push_back({name, std::move(module), std::move(options)});
    return *this;
  }

  const std::vector<Entry>& entries() const { return entries_; }  ///< in registration order

 private:
  std::vector<Entry> entries_;
};

}  // namespace gancraft
