#pragma once
/// @file gancraft/training/batch_source.hpp
/// Shuffled, epoch-aware batches of real data drawn with the trainer's generator.

#include <gancraft/error.hpp>
#include <gancraft/core/batch_shard.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <utility>

namespace gancraft::detail {

/// Where the trainer is in its pass over the data; lives in the trainer (and its checkpoints)
/// so that the order survives between `fit` calls and across a resume.
struct DataOrder {
  torch::Tensor order;    ///< permutation of the current pass; undefined between passes
  int64_t position = 0;   ///< samples already served from `order`
  int64_t completed = 0;  ///< passes finished
};

/// Serves batches of `batch` samples from `size` samples in a fresh random order each pass.
/// The trailing `size % batch` samples of each permutation are skipped (drop-last), so every
/// batch has the same shape. With a `shard`, only that part of each batch is fetched; the
/// order and the position advance by whole batches, as without one.
class BatchSource {
 public:
  /// `fetch(indices)` returns the samples at the given int64 CPU indices, stacked, as `data`,
  /// and their labels as `target` (undefined for unlabelled data).
  using Fetch = std::function<torch::data::Example<>(const torch::Tensor&)>;

  BatchSource(int64_t size, int64_t batch, Fetch fetch, BatchShard shard = {})
      : size_(size), batch_(batch), fetch_(std::move(fetch)), shard_(shard) {
    GANCRAFT_CHECK(size > 0, ShapeError, "the real data is empty");
    GANCRAFT_CHECK(batch <= size, ShapeError, "TrainerOptions::batch_size (", batch,
                   ") exceeds the number of real samples (", size, ")");
  }

  int64_t size() const { return size_; }                         ///< samples
  int64_t batches_per_epoch() const { return size_ / batch_; }  ///< full batches per pass

  /// The next batch; draws a new permutation from `gen` at the start of each pass.
  torch::data::Example<> next(DataOrder& state, at::Generator& gen) const {
    if (!state.order.defined()) {
      state.order = torch::randperm(size_, gen, torch::kLong);
      state.position = 0;
    }
    GANCRAFT_CHECK(state.order.numel() == size_, ShapeError, "the restored data order covers ",
                   state.order.numel(), " samples but the real data has ", size_);
    torch::Tensor indices = state.order.narrow(0, state.position, batch_);
    if (shard_.count > 1) {
      const int64_t part = batch_ / shard_.count;
      indices = indices.narrow(0, shard_.index * part, part);
    }
    state.position += batch_;
    if (state.position + batch_ > size_) {  // the pass is over once no full batch is left
      state.order = torch::Tensor();
      state.position = 0;
      ++state.completed;
    }
    return fetch_(indices);
  }

 private:
  int64_t size_;
  int64_t batch_;
  Fetch fetch_;
  BatchShard shard_;
};

/// Batches of the rows of `data` (`[N, ...]`, on the device) and, when defined, of `targets`.
inline BatchSource tensor_batches(const torch::Tensor& data, const torch::Tensor& targets, int64_t batch,
                                  BatchShard shard) {
  return BatchSource(
      data.size(0), batch,
      [data, targets](const torch::Tensor& i) {
        const torch::Tensor at = i.to(data.device());
        return torch::data::Example<>{data.index_select(0, at), targets.defined() ? targets.index_select(0, at) : targets};
      },
      shard);
}

}  // namespace gancraft::detail
