#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ (Debian's clang: 14 on Debian 12, 19 on Debian 13; any
# other with GANCRAFT_CLANG_VERSION; ASan + UBSan) into build-fuzz/ and runs each
# for a fixed time, then prints per-target executions and findings.
# Usage: scripts/fuzz.sh [seconds-per-target, default 60] [target ...]
#   targets: idx cifar png jpeg manifest config csv (default: all, one after the other)
# Exits non-zero if any target found a crash, sanitizer report, timeout, leak or OOM; the
# reproducer is then in build-fuzz/artifacts/<target>/ (re-run: build-fuzz/fuzz_<target> FILE).
# Environment: GANCRAFT_FUZZ_JOBS (build jobs, default nproc), GANCRAFT_FUZZ_ARGS (extra
# libFuzzer flags). See docs/robustness.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=${1:-60}
shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(idx cifar png jpeg manifest config csv)
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || { echo "fuzz.sh: seconds must be a positive integer, got '$seconds'" >&2; exit 2; }

# --- toolchain (idempotent: installs only what is missing) --------------------------------
sudo=""
[[ $(id -u) -eq 0 ]] || sudo=sudo
case $(cut -d. -f1 /etc/debian_version 2>/dev/null) in
  12) clang_default=14 ;;
  *) clang_default=19 ;;  # Debian 13 (trixie)
esac
llvm=${GANCRAFT_CLANG_VERSION:-$clang_default}
missing=()
command -v "clang++-$llvm" >/dev/null || missing+=("clang-$llvm")
compgen -G "/usr/lib/llvm-$llvm/lib/clang/*/lib/*/libclang_rt.fuzzer*.a" >/dev/null ||
  missing+=("libclang-rt-$llvm-dev")
command -v cmake >/dev/null || missing+=(cmake)
[[ -f /usr/include/png.h ]] || missing+=(libpng-dev)
[[ -f /usr/include/jpeglib.h ]] || missing+=(libjpeg62-turbo-dev)
[[ -f /usr/include/zlib.h ]] || missing+=(zlib1g-dev)
[[ -f /usr/include/nlohmann/json.hpp ]] || missing+=(nlohmann-json3-dev)
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "fuzz.sh: installing ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# --- build ----------------------------------------------------------------------------------
build=build-fuzz
cmake -S fuzz -B "$build" -DCMAKE_CXX_COMPILER="clang++-$llvm" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "${GANCRAFT_FUZZ_JOBS:-$(nproc)}"

# --- run ------------------------------------------------------------------------------------
summary=$build/summary.txt
: >"$summary"
status=0
for t in "${targets[@]}"; do
  exe=$build/fuzz_$t
  [[ -x $exe ]] || { echo "fuzz.sh: unknown target '$t'" >&2; exit 2; }
  corpus=$build/corpus/$t          # grows as the fuzzer finds new coverage
  artifacts=$build/artifacts/$t
  mkdir -p "$corpus" "$artifacts"
  log=$build/fuzz_$t.log
  echo "== fuzz_$t: ${seconds}s (log: $log)"
  rc=0
  # shellcheck disable=SC2086 # GANCRAFT_FUZZ_ARGS is a list of flags.
  "$exe" -max_total_time="$seconds" -print_final_stats=1 -timeout=25 -rss_limit_mb=2048 \
    -artifact_prefix="$artifacts/" ${GANCRAFT_FUZZ_ARGS:-} "$corpus" "fuzz/corpus/$t" \
    >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2 || true)
  findings=$(find "$artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
    -o -name 'oom-*' -o -name 'slow-unit-*' \) | wc -l)
  line="fuzz_$t: ${execs:-?} executions, coverage ${cov:-?} edges, corpus $(ls "$corpus" | wc -l) files, exit $rc, findings $findings"
  if [[ $rc -ne 0 || $findings -gt 0 ]]; then
    status=1
    line+=" -- FINDING: see $artifacts/ and $log"
    grep -m3 -E 'ERROR: (AddressSanitizer|libFuzzer|LeakSanitizer)|runtime error|SUMMARY' "$log" || true
  fi
  echo "$line" | tee -a "$summary"
done
echo "== summary ($summary)"
cat "$summary"
exit $status
