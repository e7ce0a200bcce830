#pragma once
/// @file gancraft/training/batch_source.hpp
/// Shuffled, epoch-aware batches of real data drawn with the trainer's generator.

#include <gancraft/error.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <utility>

namespace gancraft::detail {

/// Serves batches of `batch` samples from `size` samples in a fresh random order each epoch.
/// The trailing `size % batch` samples of each permutation are skipped (drop-last), so every
/// batch has the same shape.
class BatchSource {
 public:
  /// `fetch(indices)` returns the samples at the given int64 CPU indices, stacked.
  using Fetch = std::function<torch::Tensor(const torch::Tensor&)>;

  BatchSource(int64_t size, int64_t batch, Fetch fetch)
      : size_(size), batch_(batch), fetch_(std::move(fetch)) {
    GANCRAFT_CHECK(size > 0, ShapeError, "the real data is empty");
    GANCRAFT_CHECK(batch <= size, ShapeError, "TrainerOptions::batch_size (", batch,
                   ") exceeds the number of real samples (", size, ")");
  }

  int64_t batches_per_epoch() const { return size_ / batch_; }  ///< full batches per pass
  int64_t completed_epochs() const { return completed_; }        ///< passes finished so far

  /// The next batch; draws a new permutation from `gen` at the start of each pass.
  torch::Tensor next(at::Generator& gen) {
    if (!order_.defined()) {
      order_ = torch::randperm(size_, gen, torch::kLong);
      position_ = 0;
    }
    torch::Tensor indices = order_.narrow(0, position_, batch_);
    position_ += batch_;
    if (position_ + batch_ > size_) {  // the pass is over once no full batch is left
      order_ = torch::Tensor();
      ++completed_;
    }
    return fetch_(indices);
  }

 private:
  int64_t size_;
  int64_t batch_;
  Fetch fetch_;
  torch::Tensor order_;
  int64_t position_ = 0;
  int64_t completed_ = 0;
};

}  // namespace gancraft::detail
