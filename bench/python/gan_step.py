#!/usr/bin/env python3
"""The GAN training step of bench_gan_step, written the straightforward way in PyTorch.

    .venv/bin/python bench/python/gan_step.py --model dcgan|mlp|tiny [--threads N] [--steps S] [--warmup W]

Same networks, loss (non-saturating, BCE on logits), optimizers, batch sizes and order of random
draws as the C++ loops (docs/performance.md); prints one JSON line like them. Run it with the
Python whose torch is the LibTorch of the C++ benches (scripts/bench.sh does: the wheel's
.venv/bin/python, or Debian's /usr/bin/python3 with python3-torch).
"""
import argparse
import ctypes
import json
import resource
import time

import torch
import torch.nn as nn


def set_blas_threads(n):
    # The wheel's LibTorch carries MKL, whose threads follow torch.set_num_threads; loading the
    # system's libblas.so.3 there would only add a second BLAS to the process.
    if "BLAS_INFO=mkl" in torch.__config__.show():
        return
    # Debian's LibTorch loads libblas.so.3 privately; opening it again returns the same library.
    try:
        blas = ctypes.CDLL("libblas.so.3")
    except OSError:
        return
    for name in ("openblas_set_num_threads", "bli_thread_set_num_threads"):
        fn = getattr(blas, name, None)
        if fn is not None:
            fn(n)
            return


class Maxout(nn.Module):
    def __init__(self, inp, units, pieces):
        super().__init__()
        self.units, self.pieces = units, pieces
        self.linear = nn.Linear(inp, units * pieces)

    def forward(self, x):
        return self.linear(x).view(x.size(0), self.units, self.pieces).max(2)[0]


def dcgan():
    g = nn.Sequential(
        nn.ConvTranspose2d(100, 128, 7, 1, 0, bias=False), nn.BatchNorm2d(128), nn.ReLU(True),
        nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(True),
        nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh())
    d = nn.Sequential(
        nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(64, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(128, 1, 7, 1, 0))

    def init(m):  # DCGAN init
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)

    g.apply(init)
    d.apply(init)
    latent, batch = 100, 64
    gen = torch.Generator().manual_seed(2)
    data = torch.rand(64 * 50, 1, 28, 28, generator=gen) * 2 - 1
    return g, d, latent, batch, data, dict(lr=2e-4, betas=(0.5, 0.999)), (latent, 1, 1)


def mlp():
    layers, width = [], 2
    for _ in range(4):
        layers += [nn.Linear(width, 400, bias=False), nn.BatchNorm1d(400), nn.ReLU()]
        width = 400
    g = nn.Sequential(*layers, nn.Linear(400, 2))
    d = nn.Sequential(Maxout(2, 200, 5), Maxout(200, 200, 5), Maxout(200, 200, 5), nn.Linear(200, 1))
    gen = torch.Generator().manual_seed(2)
    data = torch.randn(100 * 100, 2, generator=gen)
    return g, d, 2, 100, data, dict(lr=1e-4, betas=(0.8, 0.999)), (2,)


def tiny():
    g = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1))
    d = nn.Sequential(nn.Linear(1, 32), nn.LeakyReLU(), nn.Linear(32, 1))
    gen = torch.Generator().manual_seed(2)
    data = torch.randn(128 * 100, 1, generator=gen) * 0.5 + 3.0
    return g, d, 8, 128, data, dict(lr=2e-4, betas=(0.5, 0.999)), (8,)


def make_step(model):
    """The models, optimizers and a `step()` closure of one training step of `model`."""
    netG, netD, latent, batch, data, adam, noise_shape = {"dcgan": dcgan, "mlp": mlp, "tiny": tiny}[model]()
    optG = torch.optim.Adam(netG.parameters(), **adam)
    optD = torch.optim.Adam(netD.parameters(), **adam)
    criterion = nn.BCEWithLogitsLoss()
    ones = torch.ones(batch)
    zeros = torch.zeros(batch)
    rng = torch.Generator().manual_seed(3)

    def batches():
        while True:
            order = torch.randperm(data.size(0), generator=rng)
            for i in range(0, data.size(0) - batch + 1, batch):
                yield data[order[i:i + batch]]

    real_batches = batches()

    def step():
        real = next(real_batches)
        # Discriminator: real batch, then fakes from fresh noise (no graph through G).
        with torch.no_grad():
            fake = netG(torch.randn(batch, *noise_shape, generator=rng))
        netD.zero_grad()
        err_d = criterion(netD(real).view(-1), ones) + criterion(netD(fake).view(-1), zeros)
        err_d.backward()
        optD.step()
        # Generator: fresh noise, non-saturating loss.
        netG.zero_grad()
        err_g = criterion(netD(netG(torch.randn(batch, *noise_shape, generator=rng))).view(-1), ones)
        err_g.backward()
        optG.step()

    netG.train()
    netD.train()
    return step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="dcgan", choices=["dcgan", "mlp", "tiny"])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    set_blas_threads(args.threads)
    torch.manual_seed(1)

    step = make_step(args.model)
    for _ in range(args.warmup):
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    seconds = time.perf_counter() - start
    print(json.dumps({
        "bench": args.model, "impl": "python",
        "steps_per_s": args.steps / seconds, "ms_per_step": 1000 * seconds / args.steps,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "threads": args.threads}), flush=True)


if __name__ == "__main__":
    main()
