#!/usr/bin/env python3
"""Medians of a scripts/bench.sh results file, and the targets of docs/performance.md.

    bench/summarize.py build-bench/results/bench-….jsonl
"""
import collections
import json
import statistics
import sys


def main(path):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    groups = collections.defaultdict(list)
    for r in rows:
        if r["bench"] in ("dcgan", "mlp", "tiny", "sgemm"):
            key = (r["bench"], r["impl"], r["threads"], r.get("blas_build", ""))
            groups[key].append(r)

    def med(key, field):
        values = [r[field] for r in groups.get(key, []) if field in r]
        return statistics.median(values) if values else float("nan")

    loads = [r for r in rows if r["bench"] == "machine"]
    print("load average (1 min) before/after: "
          + " / ".join(str(r.get("load_before", r.get("load_after"))) for r in loads))
    for r in rows:
        if r["bench"] == "setup":
            print(f"side-by-side runs ('main' below) use BLAS build: {r.get('main_blas_build')}")
    print()
    print("| bench | impl | threads | BLAS build | runs | steps/s | ms/step | GFLOP/s | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for key in sorted(groups):
        bench, impl, threads, build = key
        print(f"| {bench} | {impl} | {threads} | {build or 'main'} | {len(groups[key])} | "
              f"{med(key, 'steps_per_s'):.4g} | {med(key, 'ms_per_step'):.4g} | "
              f"{med(key, 'gflops'):.4g} | {med(key, 'peak_rss_mb'):.0f} |")
    print()

    def ratio(a, b):
        return med(a, "steps_per_s") / med(b, "steps_per_s")

    checks = []
    for model, py_target in (("dcgan", 1.05), ("mlp", 1.1), ("tiny", 2.5)):
        g = (model, "gancraft", 1, "")
        checks.append((f"{model}: gancraft / hand-written (1 thread)", ratio(g, (model, "handwritten", 1, "")), 0.98))
        checks.append((f"{model}: gancraft / Python (1 thread)", ratio(g, (model, "python", 1, "")), py_target))
    checks.append(("dcgan: gancraft / hand-written (2 threads)", ratio(("dcgan", "gancraft", 2, ""), ("dcgan", "handwritten", 2, "")), 0.98))
    checks.append(("dcgan: gancraft / Python (2 threads)", ratio(("dcgan", "gancraft", 2, ""), ("dcgan", "python", 2, "")), 1.05))
    checks.append(("dcgan gancraft: 2 threads / 1 thread", ratio(("dcgan", "gancraft", 2, ""), ("dcgan", "gancraft", 1, "")), 1.6))
    for t in (1, 2):
        checks.append((f"dcgan gancraft GFLOP/s / sgemm GFLOP/s ({t} thread{'s' if t > 1 else ''})",
                       med(("dcgan", "gancraft", t, ""), "gflops") / med(("sgemm", "blas", t, ""), "gflops"), 0.5))
    compile_rows = collections.defaultdict(list)
    for r in rows:
        if r["bench"] == "compile":
            compile_rows[r["impl"]].append(r["seconds"])
    if compile_rows:
        g, t = statistics.median(compile_rows["with_gancraft"]), statistics.median(compile_rows["torch_only"])
        print(f"compile time (no PCH, median of {len(compile_rows['torch_only'])}): "
              f"gancraft {g:.1f} s, torch/torch.h only {t:.1f} s")
        checks.append(("compile time: gancraft / torch.h only (at most)", g / t, 1.3))
    for r in rows:
        if r["bench"] == "verify":
            print(f"verify {r['model']}: {r['bit_identical']}/{r['tensors']} tensors bit-identical after "
                  f"{r['steps']} steps (max |diff| {r['max_abs_diff']})")
    print()
    print("| check | measured | target | |")
    print("|---|---|---|---|")
    for name, value, target in checks:
        ok = value <= target if "at most" in name else value >= target
        print(f"| {name} | {value:.3f} | {'≤' if 'at most' in name else '≥'} {target} | {'met' if ok else 'MISSED'} |")


if __name__ == "__main__":
    main(sys.argv[1])
