#!/usr/bin/env python3
"""Prints the mixture table (mean ± standard error over seeds) from run_table.sh's results.

usage: summarize.py RESULTS_DIR [ITERATIONS]
"""
import json
import math
import pathlib
import sys

root = pathlib.Path(sys.argv[1])
iterations = int(sys.argv[2]) if len(sys.argv) > 2 else None
cells = {}
for f in sorted(root.glob("*/*/*/results.json")):
    r = json.loads(f.read_text())
    if iterations is not None and r["iterations"] != iterations:
        continue
    cells.setdefault((r["dataset"], r["method"]), []).append(r)


def mean_se(values):
    n = len(values)
    m = sum(values) / n
    if n < 2:
        return m, float("nan")
    var = sum((v - m) ** 2 for v in values) / (n - 1)
    return m, math.sqrt(var / n)


def fmt(values, scale=1.0, digits=2):
    values = [v * scale for v in values if v is not None and not math.isnan(v)]
    if not values:
        return "—"
    m, se = mean_se(values)
    return f"{m:.{digits}f} ± {se:.{digits}f}" if not math.isnan(se) else f"{m:.{digits}f}"


print("| dataset | method | seeds | modes | high quality (%) | reverse KL | ms/step |")
print("|---|---|---:|---:|---:|---:|---:|")
order = ["gan", "pacgan4", "wgan-gp", "hinge-sn", "ns-r1"]
for dataset in ["ring", "grid"]:
    for method in order:
        rs = cells.get((dataset, method))
        if not rs:
            continue
        print(f"| {dataset} | `{method}` | {len(rs)} | {fmt([r['modes'] for r in rs], digits=1)} | "
              f"{fmt([r['hq_fraction'] for r in rs], 100, 1)} | {fmt([r['reverse_kl'] for r in rs], digits=2)} | "
              f"{fmt([r['ms_per_step'] for r in rs], digits=0)} |")
