#!/usr/bin/env bash
# Runs PacGAN's Table 1 setup (docs/benchmarks.md) for every method on ring and grid, then prints
# the table (summarize.py):
#   phase 1: 3 seeds of every method (PacGAN's five, and gan-lr-decay);
#   phase 2: seeds 4 and 5 of the baseline (gan) and of the best other method after phase 1
#            (most modes over both datasets, then the higher high-quality fraction), unless BEST
#            names one.
#
#   bench/mixture/run_table.sh [ITERATIONS=5000] [BEST=auto] [OUT=bench/mixture/results]
#
# Resumable: a cell whose results.json exists is skipped, so the table can be filled across
# sessions (commit OUT). Cooperative: start it N times to use N cores; each cell is claimed with
# a lock directory (OUT/…/*.lock; stale ones from a killed run must be removed by hand), and
# phase 2 starts once phase 1 is complete.
# Needs build/bench/mixture/mixture (cmake --build build --target bench_mixture).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
iterations="${1:-5000}"
best="${2:-auto}"
out="${3:-$root/bench/mixture/results}"
exe="${MIXTURE:-$root/build/bench/mixture/mixture}"
[[ -x "$exe" ]] || { echo "run_table.sh: build $exe first (cmake --build build --target bench_mixture)" >&2; exit 2; }
# As scripts/bench.sh: OpenBLAS 0.3.21 takes this AVX-512 CPU for a Prescott (2-3x slower here).
if [[ -z ${OPENBLAS_CORETYPE:-} ]] && grep -qw avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX; fi

methods=(gan pacgan4 wgan-gp hinge-sn ns-r1 gan-lr-decay)
dir_of() { echo "$out/$1/$2/seed-$3-it-$iterations"; }
cell() {  # dataset method seed: runs it unless done or claimed by another worker
  local dir; dir=$(dir_of "$1" "$2" "$3")
  [[ -f "$dir/results.json" ]] && return 0
  mkdir -p "$(dirname "$dir")"
  mkdir "$dir.lock" 2>/dev/null || return 0
  "$exe" --dataset "$1" --method "$2" --seed "$3" --iterations "$iterations" --out "$dir"
  rmdir "$dir.lock"
}

for seed in 1 2 3; do
  for dataset in ring grid; do
    for method in "${methods[@]}"; do cell "$dataset" "$method" "$seed"; done
  done
done
# Wait for cells other workers are still running.
for seed in 1 2 3; do
  for dataset in ring grid; do
    for method in "${methods[@]}"; do
      while [[ ! -f $(dir_of "$dataset" "$method" "$seed")/results.json ]]; do sleep 5; done
    done
  done
done
if [[ $best == auto ]]; then best=$(python3 "$root/bench/mixture/summarize.py" "$out" "$iterations" --best); fi
echo "run_table.sh: best method after phase 1: $best" >&2
for seed in 4 5; do
  for dataset in ring grid; do
    for method in gan "$best"; do cell "$dataset" "$method" "$seed"; done
  done
done
python3 "$root/bench/mixture/summarize.py" "$out" "$iterations"
