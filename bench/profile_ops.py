#!/usr/bin/env python3
"""Sums LibTorch profiles (bench_gan_step --profile) per operator: self time in ms per step.

usage: profile_ops.py STEPS ONE.json [TWO.json] [--top N]

With two profiles (say 1 and 2 threads) it prints both and their ratio, so the operators that do
not scale stand out. Self time = an event's duration minus that of the events nested in it on the
same thread; an operator's parallel workers run inside it on other threads and are not counted.
"""
import collections
import json
import sys

args = [a for a in sys.argv[1:]]
top = 25
if "--top" in args:
    i = args.index("--top")
    top = int(args[i + 1])
    del args[i:i + 2]
steps = int(args[0])
files = args[1:]


def self_times(path):
    with open(path) as f:
        data = json.load(f)
    events = data["traceEvents"] if isinstance(data, dict) else data
    by_thread = collections.defaultdict(list)
    for e in events:
        if e.get("ph") == "X" and "dur" in e:
            by_thread[e.get("tid")].append((float(e["ts"]), float(e["dur"]), e["name"]))
    totals = collections.Counter()
    for evs in by_thread.values():
        evs.sort(key=lambda t: (t[0], -t[1]))
        stack = []  # [end, name, self]
        for ts, dur, name in evs:
            while stack and stack[-1][0] <= ts:
                end, n, own = stack.pop()
                totals[n] += own
            if stack:
                stack[-1][2] -= dur
            stack.append([ts + dur, name, dur])
        while stack:
            end, n, own = stack.pop()
            totals[n] += own
    return {k: v / 1000.0 / steps for k, v in totals.items()}  # µs → ms per step


profiles = [self_times(f) for f in files]
names = sorted(profiles[0], key=lambda n: -profiles[0][n])[:top]
head = "| operator | " + " | ".join(f"ms/step ({f})" for f in files) + (" | ratio |" if len(files) == 2 else " |")
print(head)
print("|---" * (len(files) + 1 + (len(files) == 2)) + "|")
for n in names:
    vals = [p.get(n, 0.0) for p in profiles]
    row = f"| {n} | " + " | ".join(f"{v:.2f}" for v in vals)
    if len(files) == 2:
        row += f" | {vals[0] / vals[1]:.2f}" if vals[1] > 0 else " | —"
    print(row + " |")
print("| total | " + " | ".join(f"{sum(p.values()):.1f}" for p in profiles) + (" | |" if len(files) == 2 else " |"))
