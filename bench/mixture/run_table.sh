#!/usr/bin/env bash
# Runs PacGAN's Table 1 setup for every method: 5 seeds for the baseline (gan) and the best
# method, 3 for the others, on ring and grid; then prints the table (summarize.py).
#
#   bench/mixture/run_table.sh [ITERATIONS=10000] [BEST=pacgan4] [OUT=bench/mixture/results]
#
# Resumable: a cell whose results.json exists is skipped, so the table can be filled across
# sessions (commit OUT). Needs build/bench/mixture/mixture (cmake --build build --target bench_mixture).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
iterations="${1:-10000}"
best="${2:-pacgan4}"
out="${3:-$root/bench/mixture/results}"
exe="${MIXTURE:-$root/build/bench/mixture/mixture}"
[[ -x "$exe" ]] || { echo "run_table.sh: build $exe first (cmake --build build --target bench_mixture)" >&2; exit 2; }
for dataset in ring grid; do
  for method in gan pacgan4 wgan-gp hinge-sn ns-r1; do
    seeds=3
    [[ $method == gan || $method == "$best" ]] && seeds=5
    for seed in $(seq 1 "$seeds"); do
      dir="$out/$dataset/$method/seed-$seed-it-$iterations"
      [[ -f "$dir/results.json" ]] && continue
      "$exe" --dataset "$dataset" --method "$method" --seed "$seed" --iterations "$iterations" --out "$dir"
    done
  done
done
python3 "$root/bench/mixture/summarize.py" "$out" "$iterations"
