#pragma once
/// @file gancraft/io/optimizer_state.hpp
/// Optimizer state in a form that outlives a LibTorch upgrade.
///
/// LibTorch's own optimizer archives key each parameter's state by a string that changed
/// between versions (1.13 writes hex addresses that 2.x parses with `std::stoull`, so a 1.13
/// Adam's moments load as empty on 2.x without an error). gancraft stores instead:
/// - a JSON description: the optimizer's kind, each parameter group's hyper-parameters and
///   size, and each parameter's step count;
/// - the state tensors by name, `group<G>.param<I>.<field>` (`exp_avg`, `square_avg`,
///   `momentum_buffer`, ...), in a `torch.save`-format dictionary (`detail::state_dict_bytes`),
///   which every LibTorch and Python's `torch.load` read.
/// Adam, RMSprop and SGD (the kinds `OptimizerOptions` builds) are supported.

#include <gancraft/detail/torch_compat.hpp>
#include <gancraft/error.hpp>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace gancraft::io {

/// An optimizer's state, portable across LibTorch versions (see the file comment).
struct PortableOptimizerState {
  /// Kind, per-group hyper-parameters and sizes, per-parameter step counts.
  nlohmann::json description;
  /// Every state tensor, named `group<G>.param<I>.<field>`, on the CPU.
  std::map<std::string, torch::Tensor> tensors;
};

}  // namespace gancraft::io

namespace gancraft::detail {

inline std::string state_tensor_name(size_t group, size_t param, const char* field) {
  return "group" + std::to_string(group) + ".param" + std::to_string(param) + "." + field;
}

/// Calls `fn(adam)`, `fn(rmsprop)` or `fn(sgd)` on the optimizer's concrete type;
/// `OptionError` for any other optimizer.
template <class Fn>
decltype(auto) visit_optimizer(torch::optim::Optimizer& opt, Fn&& fn) {
  if (auto* a = dynamic_cast<torch::optim::Adam*>(&opt)) return fn(*a);
  if (auto* r = dynamic_cast<torch::optim::RMSprop*>(&opt)) return fn(*r);
  if (auto* s = dynamic_cast<torch::optim::SGD*>(&opt)) return fn(*s);
  throw OptionError(
      "checkpoint: only Adam, RMSprop and SGD optimizers can be saved in gancraft's portable "
      "format (OptimizerOptions builds these)");
}

inline nlohmann::json group_options(const torch::optim::AdamOptions& o) {
  return {{"lr", o.lr()},
          {"betas", {std::get<0>(o.betas()), std::get<1>(o.betas())}},
          {"eps", o.eps()},
          {"weight_decay", o.weight_decay()},
          {"amsgrad", o.amsgrad()}};
}
inline nlohmann::json group_options(const torch::optim::RMSpropOptions& o) {
  return {{"lr", o.lr()},           {"alpha", o.alpha()},       {"eps", o.eps()},
          {"weight_decay", o.weight_decay()}, {"momentum", o.momentum()}, {"centered", o.centered()}};
}
inline nlohmann::json group_options(const torch::optim::SGDOptions& o) {
  return {{"lr", o.lr()},
          {"momentum", o.momentum()},
          {"dampening", o.dampening()},
          {"weight_decay", o.weight_decay()},
          {"nesterov", o.nesterov()}};
}

inline void set_group_options(torch::optim::AdamOptions& o, const nlohmann::json& j) {
  o.lr(j.at("lr").get<double>());
  o.betas({j.at("betas").at(0).get<double>(), j.at("betas").at(1).get<double>()});
  o.eps(j.at("eps").get<double>());
  o.weight_decay(j.at("weight_decay").get<double>());
  o.amsgrad(j.at("amsgrad").get<bool>());
}
inline void set_group_options(torch::optim::RMSpropOptions& o, const nlohmann::json& j) {
  o.lr(j.at("lr").get<double>());
  o.alpha(j.at("alpha").get<double>());
  o.eps(j.at("eps").get<double>());
  o.weight_decay(j.at("weight_decay").get<double>());
  o.momentum(j.at("momentum").get<double>());
  o.centered(j.at("centered").get<bool>());
}
inline void set_group_options(torch::optim::SGDOptions& o, const nlohmann::json& j) {
  o.lr(j.at("lr").get<double>());
  o.momentum(j.at("momentum").get<double>());
  o.dampening(j.at("dampening").get<double>());
  o.weight_decay(j.at("weight_decay").get<double>());
  o.nesterov(j.at("nesterov").get<bool>());
}

/// Per kind: its name, options and state types, and the state's tensor fields by name.
template <class Optimizer>
struct OptimizerTraits;
template <>
struct OptimizerTraits<torch::optim::Adam> {
  using Options = torch::optim::AdamOptions;
  using State = torch::optim::AdamParamState;
  static constexpr const char* kind = "adam";
  static constexpr bool has_step = true;
  static std::vector<std::pair<const char*, torch::Tensor*>> fields(State& s) {
    return {{"exp_avg", &s.exp_avg()}, {"exp_avg_sq", &s.exp_avg_sq()}, {"max_exp_avg_sq", &s.max_exp_avg_sq()}};
  }
};
template <>
struct OptimizerTraits<torch::optim::RMSprop> {
  using Options = torch::optim::RMSpropOptions;
  using State = torch::optim::RMSpropParamState;
  static constexpr const char* kind = "rmsprop";
  static constexpr bool has_step = true;
  static std::vector<std::pair<const char*, torch::Tensor*>> fields(State& s) {
    return {{"square_avg", &s.square_avg()}, {"momentum_buffer", &s.momentum_buffer()}, {"grad_avg", &s.grad_avg()}};
  }
};
template <>
struct OptimizerTraits<torch::optim::SGD> {
  using Options = torch::optim::SGDOptions;
  using State = torch::optim::SGDParamState;
  static constexpr const char* kind = "sgd";
  static constexpr bool has_step = false;
  static std::vector<std::pair<const char*, torch::Tensor*>> fields(State& s) {
    return {{"momentum_buffer", &s.momentum_buffer()}};
  }
};

}  // namespace gancraft::detail

namespace gancraft::io {

/// The portable form of `opt`'s state (tensors copied to the CPU). `OptionError` for an
/// optimizer other than Adam, RMSprop or SGD.
inline PortableOptimizerState portable_state(torch::optim::Optimizer& opt) {
  return detail::visit_optimizer(opt, [](auto& o) {
    using Traits = detail::OptimizerTraits<std::decay_t<decltype(o)>>;
    PortableOptimizerState out;
    out.description = {{"format", "gancraft-optimizer"}, {"format_version", 1}, {"kind", Traits::kind}};
    nlohmann::json groups = nlohmann::json::array(), states = nlohmann::json::array();
    for (size_t g = 0; g < o.param_groups().size(); ++g) {
      auto& group = o.param_groups()[g];
      nlohmann::json j = detail::group_options(static_cast<typename Traits::Options&>(group.options()));
      j["params"] = group.params().size();
      groups.push_back(std::move(j));
      for (size_t i = 0; i < group.params().size(); ++i) {
        auto it = o.state().find(gancraft::detail::optimizer_state_key(o, group.params()[i]));
        if (it == o.state().end()) continue;  // never stepped
        auto& st = static_cast<typename Traits::State&>(*it->second);
        nlohmann::json s = {{"group", g}, {"param", i}};
        if constexpr (Traits::has_step) s["step"] = st.step();
        nlohmann::json names = nlohmann::json::array();
        for (auto& [field, tensor] : Traits::fields(st)) {
          if (!tensor->defined()) continue;
          out.tensors[detail::state_tensor_name(g, i, field)] = tensor->detach().cpu().clone();
          names.push_back(field);
        }
        s["tensors"] = std::move(names);
        states.push_back(std::move(s));
      }
    }
    out.description["groups"] = std::move(groups);
    out.description["state"] = std::move(states);
    return out;
  });
}

/// Checks `saved` against `opt` and returns the action that restores it; nothing changes
/// until that is called, so a caller restoring several objects can check them all first.
/// `OptionError` naming `source` when the state belongs to another optimizer kind or model;
/// `IoError` when it is malformed.
inline std::function<void()> prepare_restore(torch::optim::Optimizer& opt, const PortableOptimizerState& saved,
                                             const std::string& source) {
  const nlohmann::json& d = saved.description;
  auto field = [&](const nlohmann::json& j, const char* key) -> const nlohmann::json& {
    GANCRAFT_CHECK(j.is_object() && j.contains(key), IoError, source, ": optimizer state has no \"", key, "\"");
    return j.at(key);
  };
  GANCRAFT_CHECK(field(d, "format") == "gancraft-optimizer" && field(d, "format_version") == 1, IoError,
                 source, ": not a gancraft optimizer state of format version 1");
  // A wrong JSON type or a tensor that cannot be converted is a damaged file (IoError, which
  // resume skips); a mismatch with this optimizer stays an OptionError.
  try {
  return detail::visit_optimizer(opt, [&](auto& o) -> std::function<void()> {
    using Traits = detail::OptimizerTraits<std::decay_t<decltype(o)>>;
    using State = typename Traits::State;
    const std::string kind = field(d, "kind").template get<std::string>();
    GANCRAFT_CHECK(kind == Traits::kind, OptionError, source, ": holds the state of a '", kind,
                   "' optimizer, but this one is '", Traits::kind, "'");
    const nlohmann::json& groups = field(d, "groups");
    GANCRAFT_CHECK(groups.is_array() && groups.size() == o.param_groups().size(), OptionError, source,
                   ": ", groups.size(), " parameter groups, but the optimizer has ", o.param_groups().size());
    for (size_t g = 0; g < groups.size(); ++g)
      GANCRAFT_CHECK(field(groups[g], "params") == o.param_groups()[g].params().size(), OptionError, source,
                     ": parameter group ", g, " holds ", groups[g].at("params").dump(),
                     " parameters, but the optimizer's holds ", o.param_groups()[g].params().size(),
                     "; the model was built with other options than the checkpoint's");
    // Build every new state before touching the optimizer.
    std::vector<std::pair<torch::Tensor, std::shared_ptr<State>>> restored;
    for (const auto& s : field(d, "state")) {
      const size_t g = field(s, "group").template get<size_t>(), i = field(s, "param").template get<size_t>();
      GANCRAFT_CHECK(g < groups.size() && i < o.param_groups()[g].params().size(), OptionError, source,
                     ": state for parameter ", i, " of group ", g, ", which the optimizer does not have");
      const torch::Tensor& p = o.param_groups()[g].params()[i];
      auto st = std::make_shared<State>();
      if constexpr (Traits::has_step) st->step(field(s, "step").template get<int64_t>());
      std::map<std::string, torch::Tensor*> slots;
      for (auto& [name, slot] : Traits::fields(*st)) slots[name] = slot;
      for (const auto& name_json : field(s, "tensors")) {
        const std::string name = name_json.template get<std::string>();
        GANCRAFT_CHECK(slots.count(name), IoError, source, ": unknown ", kind, " state '", name, "'");
        const std::string key = detail::state_tensor_name(g, i, name.c_str());
        auto t = saved.tensors.find(key);
        GANCRAFT_CHECK(t != saved.tensors.end(), IoError, source, ": tensor '", key, "' is missing");
        GANCRAFT_CHECK(t->second.sizes() == p.sizes(), OptionError, source, ": '", key, "' has shape ",
                       t->second.sizes(), " but parameter ", i, " of group ", g, " has shape ", p.sizes(),
                       "; the model was built with other options than the checkpoint's");
        *slots[name] = t->second.to(p.options()).clone();
      }
      restored.emplace_back(p, std::move(st));
    }
    for (size_t g = 0; g < groups.size(); ++g) {  // a dry run on copies, to throw before applying
      auto copy = static_cast<typename Traits::Options&>(o.param_groups()[g].options());
      try {
        detail::set_group_options(copy, groups[g]);
      } catch (const nlohmann::json::exception& e) {
        throw IoError(detail::str(source, ": malformed options of parameter group ", g, ": ", e.what()));
      }
    }
    // Everything is valid: the action only assigns.
    return [&o, groups, restored = std::move(restored)] {
      o.state().clear();
      for (size_t g = 0; g < groups.size(); ++g)
        detail::set_group_options(static_cast<typename Traits::Options&>(o.param_groups()[g].options()), groups[g]);
      for (const auto& [p, st] : restored)
        o.state()[gancraft::detail::optimizer_state_key(o, p)] = std::make_unique<State>(*st);
    };
  });
  } catch (const Error&) {
    throw;
  } catch (const nlohmann::json::exception& e) {
    throw IoError(detail::str(source, ": malformed optimizer state: ", e.what()));
  } catch (const c10::Error& e) {
    throw IoError(detail::str(source, ": optimizer state cannot be restored: ",
                              std::string(e.what_without_backtrace()).substr(0, 300)));
  }
}

/// Restores `opt` from its portable form, all or nothing (see `prepare_restore`).
inline void restore_portable_state(torch::optim::Optimizer& opt, const PortableOptimizerState& saved,
                                   const std::string& source) {
  prepare_restore(opt, saved, source)();
}

}  // namespace gancraft::io
