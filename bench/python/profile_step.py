#!/usr/bin/env python3
"""Where one training step's time goes, operator by operator (LibTorch's profiler over the same
loop as gan_step.py; the C++ loops run the same LibTorch kernels). docs/performance.md quotes it.

    .venv/bin/python bench/python/profile_step.py --model dcgan [--threads N] [--steps S]
"""
import argparse

import torch
from torch.profiler import ProfilerActivity, profile

from gan_step import make_step, set_blas_threads


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="dcgan", choices=["dcgan", "mlp", "tiny"])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--rows", type=int, default=25)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    set_blas_threads(args.threads)
    torch.manual_seed(1)
    step = make_step(args.model)
    for _ in range(2):
        step()
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        for _ in range(args.steps):
            step()
    print(prof.key_averages(group_by_input_shape=True).table(sort_by="self_cpu_time_total", row_limit=args.rows))


if __name__ == "__main__":
    main()
