#!/usr/bin/env python3
"""Writes feature test vectors and their metrics, computed independently of gancraft.

usage: reference_metrics.py OUTDIR

PSNR: 10 log10(R^2 / MSE) per image, averaged. SSIM: Wang et al. 2004's definition, as their
ssim_index.m computes it: a normalised 11x11 Gaussian window of sigma 1.5 applied with
scipy.signal.convolve2d(..., mode="valid") to each channel, K1 = 0.01, K2 = 0.03, the mean of
the map, then of the channels and images.
Fréchet distance: scipy.linalg.sqrtm of C_a C_b, real part (as pytorch-fid does).
KID, precision/recall, density/coverage, Inception Score: direct NumPy formulas on full
distance and kernel matrices. The C++ test reads the CSVs and compares (tests/metrics).
"""
import json
import sys

import numpy as np
import scipy.linalg
import scipy.signal

out = sys.argv[1]
rng = np.random.default_rng(20261126)
d = 16


def gaussian(n, shift, scale):
    mix = rng.normal(size=(d, d)) * scale
    return rng.normal(size=(n, d)) @ mix + shift


a = gaussian(400, 0.0, 0.5)
b = gaussian(400, 0.3, 0.6)
c = gaussian(600, -0.2, 0.4)
logits = rng.normal(size=(300, 10)) * 3.0


def save(name, x):
    np.savetxt(f"{out}/{name}.csv", x, delimiter=",", fmt="%.17g")


for name, x in [("a", a), ("b", b), ("c", c), ("logits", logits)]:
    save(name, x)


def fd(x, y):
    mu1, mu2 = x.mean(0), y.mean(0)
    s1, s2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def kid(x, y):
    m = x.shape[0]
    k = lambda u, v: (u @ v.T / x.shape[1] + 1) ** 3
    kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
    return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
                 - 2 * kxy.sum() / (m * m))


def dist(x, y):
    return np.sqrt(((x[:, None, :] - y[None, :, :]) ** 2).sum(-1))


def radii(x, k):
    return np.sort(dist(x, x), axis=1)[:, k]


def precision_recall(real, fake, k=3):
    rr, rf = radii(real, k), radii(fake, k)
    precision = (dist(fake, real) <= rr[None, :]).any(1).mean()
    recall = (dist(real, fake) <= rf[None, :]).any(1).mean()
    return float(precision), float(recall)


def density_coverage(real, fake, k=5):
    r = radii(real, k)
    inside = dist(fake, real) <= r[None, :]
    density = inside.sum() / (k * fake.shape[0])
    coverage = (dist(real, fake).min(1) <= r).mean()
    return float(density), float(coverage)


def inception_score(z, splits):
    z = z - z.max(1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    n = z.shape[0] // splits
    scores = []
    for s in range(splits):
        part = p[s * n:(s + 1) * n]
        py = part.mean(0, keepdims=True)
        scores.append(np.exp((part * (np.log(part) - np.log(py))).sum(1).mean()))
    return float(np.mean(scores)), float(np.std(scores))


def psnr(x, y, r):
    mse = ((x - y) ** 2).reshape(len(x), -1).mean(1)
    return float(np.mean(10 * np.log10(r * r / mse)))


def ssim(x, y, r, win=11, sigma=1.5):
    t = np.arange(win) - win // 2
    g = np.exp(-(t[:, None] ** 2 + t[None, :] ** 2) / (2 * sigma ** 2))
    g /= g.sum()
    c1, c2 = (0.01 * r) ** 2, (0.03 * r) ** 2
    per_image = []
    for xi, yi in zip(x, y):
        channels = []
        for a_, b_ in zip(xi, yi):
            f = lambda v: scipy.signal.convolve2d(v, g[::-1, ::-1], mode="valid")
            ma, mb = f(a_), f(b_)
            va, vb, cab = f(a_ * a_) - ma ** 2, f(b_ * b_) - mb ** 2, f(a_ * b_) - ma * mb
            m = ((2 * ma * mb + c1) * (2 * cab + c2)) / ((ma ** 2 + mb ** 2 + c1) * (va + vb + c2))
            channels.append(m.mean())
        per_image.append(np.mean(channels))
    return float(np.mean(per_image))


# Image pairs for PSNR and SSIM: 5 images of 3 x 20 x 24 in [-1, 1] (not square, to catch a
# transposed window), smooth enough for structure, and noisy, shifted copies of them.
yy, xx = np.mgrid[0:20, 0:24]
images = np.stack([np.stack([np.sin(xx / (2 + k + ch)) * np.cos(yy / (3 + k)) for ch in range(3)])
                   for k in range(5)]) * 0.8
noisy = np.clip(images + rng.normal(size=images.shape) * 0.15 + 0.05, -1, 1)
save("images_x", images.reshape(5, -1))
save("images_y", noisy.reshape(5, -1))

pr = precision_recall(a, b)
dc = density_coverage(a, b)
is_mean, is_std = inception_score(logits, 3)
json.dump({
    "fd_ab": fd(a, b), "fd_ac": fd(a, c), "fd_aa": fd(a, a),
    "kid_ab": kid(a, b),
    "precision_ab": pr[0], "recall_ab": pr[1],
    "density_ab": dc[0], "coverage_ab": dc[1],
    "is_mean": is_mean, "is_std": is_std,
    "psnr_xy": psnr(images, noisy, 2.0), "ssim_xy": ssim(images, noisy, 2.0),
    "ssim_xy_range1": ssim(images, noisy, 1.0),
}, open(f"{out}/expected.json", "w"), indent=1)
