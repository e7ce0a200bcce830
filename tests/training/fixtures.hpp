#pragma once
// Small modules and comparison helpers shared by the training tests.
#include <gancraft/detail/torch_compat.hpp>
#include <gancraft/gan.hpp>

#include <cmath>
#include <vector>

namespace fixtures {
namespace gc = gancraft;

/// A small generator with BatchNorm, so that mode handling matters.
struct BnGenImpl : torch::nn::Module {
  torch::nn::Linear a{nullptr}, b{nullptr};
  torch::nn::BatchNorm1d bn{nullptr};
  BnGenImpl() {
    a = register_module("a", torch::nn::Linear(4, 16));
    bn = register_module("bn", torch::nn::BatchNorm1d(16));
    b = register_module("b", torch::nn::Linear(16, 2));
  }
  torch::Tensor forward(torch::Tensor z) { return b(torch::relu(bn(a(z)))); }
};
TORCH_MODULE(BnGen);

struct CriticImpl : torch::nn::Module {
  torch::nn::Sequential net{nullptr};
  CriticImpl() {
    net = register_module("net", torch::nn::Sequential(torch::nn::Linear(2, 16),
                                                       torch::nn::LeakyReLU(),
                                                       torch::nn::Linear(16, 1)));
  }
  torch::Tensor forward(torch::Tensor x) { return net->forward(x); }
};
TORCH_MODULE(Critic);

/// A critic with dropout: its masks come from LibTorch's global generator.
struct DropCriticImpl : torch::nn::Module {
  torch::nn::Sequential net{nullptr};
  DropCriticImpl() {
    net = register_module("net", torch::nn::Sequential(torch::nn::Linear(2, 16),
                                                       torch::nn::LeakyReLU(),
                                                       torch::nn::Dropout(0.3),
                                                       torch::nn::Linear(16, 1)));
  }
  torch::Tensor forward(torch::Tensor x) { return net->forward(x); }
};
TORCH_MODULE(DropCritic);

inline torch::Tensor ring_data() {
  auto gen = gc::make_generator(123);
  torch::Tensor angle = torch::rand({512}, gen) * 6.283185307179586;
  return torch::stack({angle.cos(), angle.sin()}, 1);
}

inline gc::TrainerOptions small(int64_t steps) {
  return gc::TrainerOptions().latent_dim(4).batch_size(32).steps(steps).seed(5);
}

inline std::vector<torch::Tensor> state_of(torch::nn::Module& m) {
  std::vector<torch::Tensor> out;
  for (auto& p : m.parameters()) out.push_back(p.detach().clone());
  for (auto& b : m.buffers()) out.push_back(b.detach().clone());
  return out;
}

/// Adam's moments and step counts, in parameter order.
inline std::vector<torch::Tensor> adam_state(torch::optim::Optimizer& opt) {
  std::vector<torch::Tensor> out;
  for (auto& p : opt.param_groups()[0].params()) {
    auto& st = static_cast<torch::optim::AdamParamState&>(
        *opt.state().at(gancraft::detail::optimizer_state_key(opt, p)));
    out.push_back(st.exp_avg());
    out.push_back(st.exp_avg_sq());
    out.push_back(torch::tensor(st.step()));
  }
  return out;
}

inline bool identical(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!torch::equal(a[i], b[i])) return false;
  return true;
}

/// Poisons one generator weight at a chosen step, as a blow-up would.
struct Poison {
  int64_t at;
  bool done = false;  // once: a rolled-back run passes step `at` again
  int64_t interval() const { return 0; }
  void on_step_end(const gc::StepReport& r, gc::TrainingContext& ctx) {
    if (r.step != at || done) return;
    done = true;
    torch::NoGradGuard g;
    ctx.generator_module().parameters()[0].view(-1)[0] = std::nan("");
  }
};

}  // namespace fixtures
