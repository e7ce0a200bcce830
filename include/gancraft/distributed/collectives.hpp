#pragma once
/// @file gancraft/distributed/collectives.hpp
/// Bucketed collectives over many tensors: a few large messages instead of one per tensor.

#include <gancraft/distributed/process_group.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace gancraft::distributed {
namespace detail {

/// Consecutive runs of `tensors` that share dtype and device and together hold at most
/// `bucket_bytes` (a tensor larger than that is a bucket of its own), as index ranges.
inline std::vector<std::pair<size_t, size_t>> buckets(const std::vector<torch::Tensor>& tensors,
                                                      int64_t bucket_bytes) {
  std::vector<std::pair<size_t, size_t>> out;
  size_t begin = 0;
  int64_t bytes = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const int64_t size = tensors[i].numel() * static_cast<int64_t>(tensors[i].element_size());
    const bool fits = i > begin && tensors[i].scalar_type() == tensors[begin].scalar_type() &&
                      tensors[i].device() == tensors[begin].device() && bytes + size <= bucket_bytes;
    if (i > begin && !fits) {
      out.emplace_back(begin, i);
      begin = i;
      bytes = 0;
    }
    bytes += size;
  }
  if (begin < tensors.size()) out.emplace_back(begin, tensors.size());
  return out;
}

/// One flat tensor holding the tensors `[range.first, range.second)`.
inline torch::Tensor flatten(const std::vector<torch::Tensor>& tensors, std::pair<size_t, size_t> range) {
  std::vector<torch::Tensor> flat;
  flat.reserve(range.second - range.first);
  for (size_t i = range.first; i < range.second; ++i) flat.push_back(tensors[i].reshape({-1}));
  return torch::cat(flat);
}

/// Copies the flat tensor back into the tensors it was made from.
inline void unflatten(const torch::Tensor& flat, const std::vector<torch::Tensor>& tensors,
                      std::pair<size_t, size_t> range) {
  torch::NoGradGuard no_grad;
  int64_t offset = 0;
  for (size_t i = range.first; i < range.second; ++i) {
    const int64_t n = tensors[i].numel();
    tensors[i].copy_(flat.narrow(0, offset, n).view_as(tensors[i]));
    offset += n;
  }
}

inline void check_bucket_bytes(int64_t bucket_bytes) {
  GANCRAFT_CHECK(bucket_bytes > 0, OptionError, "bucket size must be > 0 bytes, got ", bucket_bytes);
}

}  // namespace detail

/// Replaces every tensor by its mean over all ranks, in place. Tensors are packed into flat
/// buckets of up to `bucket_bytes` (grouped by dtype and device); all buckets are sent before
/// the first is waited for, so Gloo works on them while the rest is packed. Every rank must
/// pass tensors of the same shapes in the same order. Floating-point tensors only.
/// Throws `CommunicationError` (naming `what`) when a rank fails or the timeout passes.
inline void all_reduce_mean(const ProcessGroup& group, const std::vector<torch::Tensor>& tensors,
                            const std::string& what, int64_t bucket_bytes = 25LL << 20) {
  detail::check_bucket_bytes(bucket_bytes);
  if (!group.distributed() || tensors.empty()) return;
  torch::NoGradGuard no_grad;
  for (const auto& t : tensors)
    GANCRAFT_CHECK(t.is_floating_point(), OptionError, "all_reduce_mean (", what,
                   "): tensors must be floating point, got ", t.dtype());
  const auto ranges = detail::buckets(tensors, bucket_bytes);
  std::vector<std::vector<torch::Tensor>> flats(ranges.size());
  std::vector<c10::intrusive_ptr<c10d::Work>> works;
  detail::communicate(group.options(), "all-reduce of " + what, [&] {
    for (size_t b = 0; b < ranges.size(); ++b) {
      flats[b] = {detail::flatten(tensors, ranges[b])};
      works.push_back(group.c10d().allreduce(flats[b]));
    }
    for (auto& w : works) w->wait();
  });
  const double scale = 1.0 / static_cast<double>(group.world_size());
  for (size_t b = 0; b < ranges.size(); ++b) {
    flats[b][0].mul_(scale);
    detail::unflatten(flats[b][0], tensors, ranges[b]);
  }
}

/// Overwrites every tensor with rank `root`'s, in place, in flat buckets of up to
/// `bucket_bytes`. Every rank must pass tensors of the same shapes in the same order.
/// Throws `CommunicationError` (naming `what`) when a rank fails or the timeout passes.
inline void broadcast(const ProcessGroup& group, const std::vector<torch::Tensor>& tensors,
                      const std::string& what, int64_t root = 0, int64_t bucket_bytes = 25LL << 20) {
  detail::check_bucket_bytes(bucket_bytes);
  GANCRAFT_CHECK(root >= 0 && root < group.world_size(), OptionError, "broadcast (", what,
                 "): root must be in [0, ", group.world_size(), "), got ", root);
  if (!group.distributed() || tensors.empty()) return;
  torch::NoGradGuard no_grad;
  const auto ranges = detail::buckets(tensors, bucket_bytes);
  std::vector<std::vector<torch::Tensor>> flats(ranges.size());
  std::vector<c10::intrusive_ptr<c10d::Work>> works;
  c10d::BroadcastOptions bo;
  bo.rootRank = root;
  detail::communicate(group.options(), "broadcast of " + what, [&] {
    for (size_t b = 0; b < ranges.size(); ++b) {
      flats[b] = {detail::flatten(tensors, ranges[b])};
      works.push_back(group.c10d().broadcast(flats[b], bo));
    }
    for (auto& w : works) w->wait();
  });
  if (group.rank() == root) return;  // its tensors are what was sent
  for (size_t b = 0; b < ranges.size(); ++b) detail::unflatten(flats[b][0], tensors, ranges[b]);
}

}  // namespace gancraft::distributed
