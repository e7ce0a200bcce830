#pragma once
/// @file gancraft/detail/torch_compat.hpp
/// The few places where LibTorch 1.13 and 2.x differ in an API gancraft uses, in one header.
///
/// gancraft supports LibTorch 1.13 (Debian 12) through 2.x (Debian 13's 2.6, PyTorch wheels and
/// the official zip). Everything else is written once against the API both share.

#include <ATen/Version.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <sstream>
#include <string>
#include <type_traits>

/// True when the LibTorch being compiled against is at least `major.minor`.
#define GANCRAFT_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

namespace gancraft::detail {

/// The key of parameter `p` in `opt.state()`: the address of its TensorImpl, printed as a
/// string up to LibTorch 2.1 and the pointer itself since (the map's key type tells which).
template <class Optimizer>
auto optimizer_state_key(Optimizer& opt, const torch::Tensor& p) {
  using Key = typename std::decay_t<decltype(opt.state())>::key_type;
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream s;  // what LibTorch 1.13's c10::guts::to_string does
    s << p.unsafeGetTensorImpl();
    return s.str();
  } else {
    return static_cast<Key>(p.unsafeGetTensorImpl());
  }
}

/// One `KEY=value` of the build settings of the LibTorch this program runs with
/// (`at::show_config()`), or "" when they do not name it.
inline std::string torch_build_setting(const std::string& key) {
  static const std::string config = at::show_config();
  const std::string needle = key + "=";
  const auto at = config.find(needle);
  if (at == std::string::npos) return "";
  const auto begin = at + needle.size();
  const auto end = config.find_first_of(", \n", begin);
  return config.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

/// The version of the LibTorch this program runs with, which may differ from the headers'
/// `TORCH_VERSION` it was compiled against; the headers' when the build settings do not say.
inline std::string linked_torch_version() {
  const std::string v = torch_build_setting("TORCH_VERSION");
  return v.empty() ? std::string(TORCH_VERSION) : v;
}

}  // namespace gancraft::detail
