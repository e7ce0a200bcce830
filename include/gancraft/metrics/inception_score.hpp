#pragma once
/// @file gancraft/metrics/inception_score.hpp

#include <gancraft/error.hpp>

#include <torch/torch.h>

#include <cstdint>

namespace gancraft::metrics {

/// Mean and standard deviation over splits.
struct InceptionScore {
  double mean = 0;  ///< IS: the mean over splits
  double std = 0;   ///< population standard deviation over splits (as Salimans et al. report)
};

/// Inception Score (Salimans et al. 2016) from classifier logits [N, C] of generated samples:
/// exp(E_x KL(p(y|x) ‖ p(y))), with p(y) the mean prediction within each of `splits` equal
/// consecutive splits (10 in the paper, over 50,000 samples); samples beyond the last full
/// split are left out. Ranges from 1 to C. With Inception-v3's logits this is the standard IS;
/// with any other classifier it is only comparable with itself.
///
/// `OptionError` unless 1 <= splits <= N; `ShapeError` unless logits are [N, C].
inline InceptionScore inception_score(const torch::Tensor& logits, int64_t splits = 10) {
  GANCRAFT_CHECK(logits.defined() && logits.dim() == 2 && logits.size(1) >= 2, ShapeError,
                 "inception_score: logits must be [N, C] with C >= 2, got shape ",
                 logits.defined() ? logits.sizes() : torch::IntArrayRef{});
  GANCRAFT_CHECK(splits >= 1 && splits <= logits.size(0), OptionError,
                 "inception_score: splits must be in [1, N] for ", logits.size(0),
                 " samples, got ", splits);
  const torch::Tensor z = logits.detach().to(torch::kCPU, torch::kDouble);
  GANCRAFT_CHECK(torch::isfinite(z).all().item<bool>(), OptionError,
                 "inception_score: the logits contain NaN or Inf");
  const torch::Tensor log_p = torch::log_softmax(z, 1);
  const int64_t per_split = logits.size(0) / splits;
  torch::Tensor scores = torch::empty({splits}, torch::kDouble);
  for (int64_t s = 0; s < splits; ++s) {
    const torch::Tensor part = log_p.narrow(0, s * per_split, per_split);
    // log p(y) = log mean_x p(y|x), computed stably as logsumexp − log n.
    const torch::Tensor log_py = torch::logsumexp(part, 0) - std::log(static_cast<double>(per_split));
    const torch::Tensor kl = (part.exp() * (part - log_py.unsqueeze(0))).sum(1);
    scores[s] = kl.mean().exp().item<double>();
  }
  InceptionScore out;
  out.mean = scores.mean().item<double>();
  out.std = splits > 1 ? scores.std(/*unbiased=*/false).item<double>() : 0.0;
  return out;
}

}  // namespace gancraft::metrics
