#pragma once
/// @file gancraft/concepts/model.hpp

#include <gancraft/core/model_step.hpp>
#include <gancraft/core/networks.hpp>
#include <gancraft/core/step_losses.hpp>

#include <torch/torch.h>

#include <concepts>
#include <cstdint>

namespace gancraft {
namespace detail {
template <class M>
concept model_registers_networks = requires(M& m, Networks& n) { m.register_networks(n); };
template <class M>
concept model_trains = requires(M& m, ModelStep& s, const torch::data::Example<>& batch) {
  { m.train_step(s, batch) } -> std::convertible_to<StepLosses>;
};
/// `generate(z)`: the model can sample from latents (sample grids, `Evaluate`).
template <class M>
concept model_generates = requires(M& m, const torch::Tensor& z) {
  { m.generate(z) } -> std::convertible_to<torch::Tensor>;
};
/// `translate(x)`: the model maps source images to outputs (translation, super-resolution).
template <class M>
concept model_translates = requires(M& m, const torch::Tensor& x) {
  { m.translate(x) } -> std::convertible_to<torch::Tensor>;
};
/// `batches_per_step()`: real batches one step uses (1 when absent), for counting epochs.
template <class M>
concept model_counts_batches = requires(const M& m) {
  { m.batches_per_step() } -> std::convertible_to<int64_t>;
};
}  // namespace detail

/// A model of several named networks with its own update schedule, trained by `ModelTrainer`.
/// A type `M` models `Model` when it has
///  1. `void register_networks(gc::Networks&)`: adds each network by name with its
///     `NetworkOptions` (called once, by the trainer's constructor);
///  2. `gc::StepLosses train_step(gc::ModelStep& step, const torch::data::Example<>& batch)`:
///     one training step on a real batch (`batch.data`; `batch.target` holds `fit`'s targets:
///     labels, or the paired images of a translation task). It computes losses, calls
///     `step.zero_grad(name)`, `backward()` and `step.update(name)` for the networks it trains,
///     and returns the losses to report (`g_loss`, `d_loss`, and any others in `scalars`).
/// Optionally `torch::Tensor generate(const torch::Tensor& z)` (the sampling view: `sample`,
/// `SampleGrid`, `Evaluate`), `torch::Tensor translate(const torch::Tensor& source)` (the
/// translating view: `ModelTrainer::translate`) and `int64_t batches_per_step() const`.
/// @code
/// struct TwoCritics {
///   Gen g; Critic d1, d2;
///   void register_networks(gc::Networks& n) { n.add("generator", g).add("d1", d1).add("d2", d2); }
///   gc::StepLosses train_step(gc::ModelStep& s, const torch::data::Example<>& real);
///   torch::Tensor generate(const torch::Tensor& z) { return g->forward(z); }
/// };
/// @endcode
/// docs/architecture.md walks through a complete one.
template <class M>
concept Model = detail::model_registers_networks<M> && detail::model_trains<M>;

}  // namespace gancraft
