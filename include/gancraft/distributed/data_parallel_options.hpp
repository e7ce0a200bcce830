#pragma once
/// @file gancraft/distributed/data_parallel_options.hpp

#include <gancraft/error.hpp>

#include <torch/arg.h>

#include <cstdint>

namespace gancraft::distributed {

/// Options of `DataParallel`.
/// @code
/// auto policy = gc::distributed::DataParallel(
///     group, gc::distributed::DataParallelOptions().bucket_bytes(4 << 20));
/// @endcode
struct DataParallelOptions {
  /// Largest flat message, in bytes, that gradients, buffers and start-up weights are packed
  /// into (PyTorch's DistributedDataParallel uses 25 MiB buckets too). Larger: fewer messages;
  /// smaller: packing and sending overlap more.
  TORCH_ARG(int64_t, bucket_bytes) = 25LL << 20;
  /// The BatchNorm choice. Every rank normalises with the statistics of its own part of the
  /// batch (no synchronised BatchNorm); with this on, the floating-point buffers of G and D
  /// (BatchNorm running means and variances) are averaged across ranks after each generator
  /// update, in the same messages as G's gradients, so all ranks hold the same buffers and
  /// rank 0's checkpoints and samples use statistics of the whole batch. Off: each rank keeps
  /// its own running statistics, as DistributedDataParallel with `broadcast_buffers=False`.
  TORCH_ARG(bool, average_buffers) = true;
  /// Average the losses and scores reported to hooks across ranks on the steps a hook reads
  /// them, so the `StepReport`s of all ranks are equal (and equal a single process's, for
  /// losses that are means over the batch). Off: each rank reports its own part of the batch.
  TORCH_ARG(bool, average_losses) = true;

  // TORCH_ARG leaves the access at private.
 public:
  /// Throws `OptionError` naming the first invalid option.
  void validate() const {
    GANCRAFT_CHECK(bucket_bytes() > 0, OptionError,
                   "DataParallelOptions::bucket_bytes must be > 0, got ", bucket_bytes());
  }
};

}  // namespace gancraft::distributed
