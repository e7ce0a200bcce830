#!/usr/bin/env python3
"""Prints the mixture table (mean ± standard error over seeds) from run_table.sh's results.

usage: summarize.py RESULTS_DIR [ITERATIONS] [--best]

--best prints only the name of the best method other than the baseline: the most modes captured
(mean over seeds, summed over both datasets), then the higher high-quality fraction.
"""
import json
import math
import pathlib
import sys

args = [a for a in sys.argv[1:] if a != "--best"]
root = pathlib.Path(args[0])
iterations = int(args[1]) if len(args) > 1 else None
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


order = ["gan", "pacgan4", "wgan-gp", "hinge-sn", "ns-r1", "gan-lr-decay"]
if "--best" in sys.argv:
    def score(method):
        runs = [cells.get((d, method), []) for d in ["ring", "grid"]]
        if not all(runs):
            return (-1.0, -1.0)
        return (sum(mean_se([r["modes"] for r in rs])[0] for rs in runs),
                sum(mean_se([r["hq_fraction"] for r in rs])[0] for rs in runs))
    print(max(order[1:], key=score))
    sys.exit(0)

print("| dataset | method | seeds | modes | high quality (%) | reverse KL | ms/step |")
print("|---|---|---:|---:|---:|---:|---:|")
for dataset in ["ring", "grid"]:
    for method in order:
        rs = cells.get((dataset, method))
        if not rs:
            continue
        print(f"| {dataset} | `{method}` | {len(rs)} | {fmt([r['modes'] for r in rs], digits=1)} | "
              f"{fmt([r['hq_fraction'] for r in rs], 100, 1)} | {fmt([r['reverse_kl'] for r in rs], digits=2)} | "
              f"{fmt([r['ms_per_step'] for r in rs], digits=0)} |")
