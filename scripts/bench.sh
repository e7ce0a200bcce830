#!/usr/bin/env bash
# Runs gancraft's performance benchmarks side by side (docs/performance.md): the GAN training step
# of the DCGAN, the PacGAN MLP and the tiny 1-D GAN in gancraft's Trainer, a hand-written
# LibTorch loop and the same loop in Python; the BLAS's sgemm rate; 1 and 2 threads; BLAS
# builds; compile time. Implementations alternate within each repetition; medians are reported.
#
#   scripts/bench.sh [--reps R] [--blas-build B] [--no-blas] [--no-compile] [--out FILE.jsonl] [--smoke]
#
# LibTorch: GANCRAFT_LIBTORCH=wheel (default: PyTorch 2.13.0's wheel, with its own MKL and
# oneDNN; the Python side is the same wheel) or system (Debian's libtorch-dev with
# python3-torch). On the system LibTorch the side-by-side runs use BLAS build B (default
# openblas-openmp, the fastest there; "system" for the libblas.so.3 alternative), the same for
# C++ and Python, and --no-blas skips the comparison of Debian's BLAS builds; the wheel has none.
#
# --smoke runs every program for a few steps only: checks the script, measures nothing.
#
# Works on a fresh clone: installs what is missing (scripts/deps.sh) and builds the bench targets
# in build-bench-<wheel|system|custom>/ (or $GANCRAFT_BENCH_BUILD_DIR). Take timings on a quiet machine: the script prints the load average.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
# shellcheck source=scripts/env.sh
source scripts/env.sh
kind=$(gancraft_libtorch_kind)

reps=3
blas=1
compile=1
out=
smoke=0
main_build=openblas-openmp
while (($#)); do
  case $1 in
    --reps) reps=$2; shift 2 ;;
    --no-blas) blas=0; shift ;;
    --no-compile) compile=0; shift ;;
    --out) out=$2; shift 2 ;;
    --smoke) smoke=1; shift ;;
    --blas-build) main_build=$2; shift 2 ;;
    *) echo "bench.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

scripts/deps.sh >/dev/null
build=${GANCRAFT_BENCH_BUILD_DIR:-$root/build-bench-$kind}
torch_args=()
gancraft_cmake_args torch_args
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGANCRAFT_CHECK_HEADERS=OFF \
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON "${torch_args[@]}" >/dev/null
cmake --build "$build" --target bench_gan_step bench_sgemm -j"$(nproc)" >/dev/null
bin=$build/bench
python=$(gancraft_python)  # the same LibTorch build as the C++ benches
if [[ $kind != system ]]; then
  blas=0 main_build=bundled  # the wheel's LibTorch brings MKL: Debian's BLAS builds do not apply
fi
mkdir -p "$build/results"
out=${out:-$build/results/bench-$(date -u +%Y%m%dT%H%M%SZ).jsonl}
: >"$out"

arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
libdir=/usr/lib/$arch

# OpenBLAS 0.3.21 does not know CPUs newer than its release (e.g. Sapphire Rapids) and falls back
# to its Prescott (SSE3) kernels, 4-5x slower than its AVX-512 ones. Name the core for it when
# the CPU has AVX-512 and the caller has not chosen; docs/performance.md shows the difference.
if [[ -z ${OPENBLAS_CORETYPE:-} ]] && grep -qw avx512f /proc/cpuinfo; then
  export OPENBLAS_CORETYPE=SkylakeX
fi

note() { echo "$*" >&2; }
main_env=()
if [[ $main_build != system && $main_build != bundled ]]; then
  if [[ -e $libdir/$main_build/libblas.so.3 ]]; then
    main_env=(env LD_LIBRARY_PATH=$libdir/$main_build)
  else
    echo "bench.sh: $libdir/$main_build/libblas.so.3 missing; using the system BLAS" >&2
    main_build=system
  fi
fi
record() {  # record KEY=VALUE... -- command...: runs it, adds the keys to each JSON line it prints
  local extra=()
  while [[ $1 != -- ]]; do extra+=("$1"); shift; done
  shift
  "$@" | "$python" -c '
import json, sys
extra = dict(kv.split("=", 1) for kv in sys.argv[1:])
for line in sys.stdin:
    line = line.strip()
    if line.startswith("{"):
        row = json.loads(line); row.update(extra); print(json.dumps(row), flush=True)
' "${extra[@]}" | tee -a "$out" >&2
}
with_threads() {  # with_threads N command...: the environment of "N threads" (N LibTorch + N BLAS)
  local n=$1; shift
  OMP_NUM_THREADS=$n OPENBLAS_NUM_THREADS=$n BLIS_NUM_THREADS=$n MKL_NUM_THREADS=$n "$@"
}

note "bench: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
load=$(cut -d' ' -f1 /proc/loadavg)
if awk "BEGIN { exit !($load >= 0.5) }"; then
  note "bench: WARNING: load average $load >= 0.5: another process is busy; 2-thread timings will be off"
fi
note "bench: OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}; side-by-side BLAS: $main_build; results in $out"
record main_blas_build=$main_build libtorch="$kind" -- echo '{"bench": "setup", "impl": "-"}'
record load_before="$(cut -d' ' -f1 /proc/loadavg)" -- echo '{"bench": "machine", "impl": "-"}'

# Steps per run: enough for about 2-5 s each on 2 cores.
declare -A steps=([dcgan]=12 [mlp]=60 [tiny]=3000)
declare -A warmup=([dcgan]=2 [mlp]=5 [tiny]=200)
if ((smoke)); then
  steps=([dcgan]=1 [mlp]=1 [tiny]=5)
  warmup=([dcgan]=1 [mlp]=1 [tiny]=1)
fi

for ((rep = 1; rep <= reps; ++rep)); do
  note "--- repetition $rep/$reps"
  for threads in 1 2; do
    record rep=$rep -- with_threads $threads "${main_env[@]}" "$bin/bench_sgemm" --threads $threads
  done
  for model in dcgan mlp tiny; do
    thread_counts=(1)
    [[ $model == dcgan ]] && thread_counts=(1 2)
    for threads in "${thread_counts[@]}"; do
      # Rotate the order each repetition so no implementation always runs first.
      impls=(gancraft handwritten python)
      impls=("${impls[@]:$(((rep - 1) % 3))}" "${impls[@]:0:$(((rep - 1) % 3))}")
      for impl in "${impls[@]}"; do
        args=(--model $model --threads $threads --steps "${steps[$model]}" --warmup "${warmup[$model]}")
        if [[ $impl == python ]]; then
          record rep=$rep -- with_threads $threads "${main_env[@]}" "$python" bench/python/gan_step.py "${args[@]}"
        else
          record rep=$rep -- with_threads $threads "${main_env[@]}" "$bin/bench_gan_step" --impl $impl "${args[@]}"
        fi
      done
    done
  done
  if ((blas)); then
    # The BLAS builds Debian ships, chosen per process with LD_LIBRARY_PATH (the system's
    # alternative is left alone): gancraft's DCGAN step and sgemm at 1 and 2 threads.
    for variant in openblas-pthread openblas-openmp blis-pthread blis-openmp; do
      [[ -e $libdir/$variant/libblas.so.3 ]] || { note "bench: $variant not installed, skipped"; continue; }
      for threads in 1 2; do
        record rep=$rep blas_build=$variant -- with_threads $threads env LD_LIBRARY_PATH=$libdir/$variant \
          "$bin/bench_gan_step" --impl gancraft --model dcgan --threads $threads --steps "${steps[dcgan]}" --warmup "${warmup[dcgan]}"
        record rep=$rep blas_build=$variant -- with_threads $threads env LD_LIBRARY_PATH=$libdir/$variant \
          "$bin/bench_sgemm" --threads $threads
      done
    done
    # 2 LibTorch threads over a 1-thread BLAS (TrainerOptions::blas_threads).
    for variant in openblas-pthread openblas-openmp; do
      record rep=$rep blas_build=$variant-blas1 -- with_threads 2 env LD_LIBRARY_PATH=$libdir/$variant OPENBLAS_NUM_THREADS=1 \
        "$bin/bench_gan_step" --impl gancraft --model dcgan --threads 2 --blas-threads 1 --steps "${steps[dcgan]}" --warmup "${warmup[dcgan]}"
    done
    # The fallback kernels OpenBLAS picks on its own for this CPU.
    for threads in 1 2; do
      record rep=$rep blas_build=openblas-pthread-autodetect -- with_threads $threads env -u OPENBLAS_CORETYPE \
        "$bin/bench_gan_step" --impl gancraft --model dcgan --threads $threads --steps "${steps[dcgan]}" --warmup "${warmup[dcgan]}"
      record rep=$rep blas_build=openblas-pthread-autodetect -- with_threads $threads env -u OPENBLAS_CORETYPE \
        "$bin/bench_sgemm" --threads $threads
    done
  fi
done

# Both loops from the same seeds must end with bit-identical weights (DCGAN, MLP, tiny).
record -- "$bin/bench_gan_step" --verify 1 --steps 5

if ((compile)); then
  # Compile time without a precompiled header, with the flags CMake gives the bench targets.
  cmd=$("$python" -c '
import json, shlex, sys
for e in json.load(open(sys.argv[1])):
    if e["file"].endswith("bench/gan_step.cpp"):
        args = shlex.split(e["command"])
        keep, skip = [], False
        for a in args:
            if skip: skip = False; continue
            if a == "-include" or a == "-o": skip = True; continue
            if a in ("-c", "-Winvalid-pch") or a.endswith("gan_step.cpp"): continue
            keep.append(a)
        print(shlex.join(keep))
' "$build/compile_commands.json")
  tmp=$(mktemp -d)
  for ((rep = 1; rep <= reps; ++rep)); do
    for probe in with_gancraft torch_only; do
      start=$EPOCHREALTIME
      $cmd -c bench/compile_time/$probe.cpp -o "$tmp/$probe.o"
      seconds=$(awk "BEGIN { print $EPOCHREALTIME - $start }")
      record rep=$rep -- echo "{\"bench\": \"compile\", \"impl\": \"$probe\", \"seconds\": $seconds}"
    done
  done
  rm -rf "$tmp"
fi

record load_after="$(cut -d' ' -f1 /proc/loadavg)" -- echo '{"bench": "machine", "impl": "-"}'
"$python" bench/summarize.py "$out"
