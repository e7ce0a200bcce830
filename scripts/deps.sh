#!/usr/bin/env bash
# Installs the Debian packages gancraft needs (only those missing), then checks that libtorch
# runs on the multithreaded OpenBLAS rather than the slow reference BLAS. Idempotent.
set -euo pipefail

packages=(
  build-essential cmake g++ libtorch-dev catch2 nlohmann-json3-dev libopenblas0-openmp
  libpng-dev zlib1g-dev libjpeg-dev libopenblas0-pthread dataset-fashion-mnist
  python3-torch python3-numpy python3-scipy libgloo-dev chromium doxygen
)

if [[ $(id -u) -eq 0 ]]; then sudo=(); else sudo=(sudo); fi
export DEBIAN_FRONTEND=noninteractive

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ $status == installed ]] || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  "${sudo[@]}" apt-get update -q -o DPkg::Lock::Timeout=600
  "${sudo[@]}" apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 "${missing[@]}"
else
  echo "deps: all ${#packages[@]} packages installed"
fi

# --- BLAS: libtorch_cpu links libblas.so.3, which Debian's alternatives system resolves. ---
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
libdir=/usr/lib/$arch
alternative=libblas.so.3-$arch
openblas=$libdir/openblas-pthread/libblas.so.3
if [[ ! -e $openblas ]]; then
  echo "BLAS: ERROR: $openblas is missing (libopenblas0-pthread not installed?)" >&2
  exit 1
fi
current=$(update-alternatives --query "$alternative" | sed -n 's/^Value: //p')
if [[ $current != "$openblas" ]]; then
  echo "BLAS: $alternative points at '${current:-nothing}'; setting it to $openblas"
  "${sudo[@]}" update-alternatives --set "$alternative" "$openblas"
fi

# What the dynamic loader really gives libtorch_cpu, followed through the alternative's links.
torch_cpu=$libdir/libtorch_cpu.so
loaded=$(ldd "$torch_cpu" | awk '$1 == "libblas.so.3" { print $3 }')
if [[ -z $loaded ]]; then
  echo "BLAS: ERROR: $torch_cpu does not load libblas.so.3 (ldd found none)" >&2
  exit 1
fi
resolved=$(readlink -f "$loaded")
case $resolved in
  */openblas-pthread/*) echo "BLAS: OpenBLAS (pthread) $resolved" ;;
  */openblas-openmp/*) echo "BLAS: OpenBLAS (openmp) $resolved" ;;
  */openblas-serial/*) echo "BLAS: OpenBLAS (serial) $resolved" ;;
  */blas/*)
    echo "BLAS: ERROR: libtorch_cpu loads the reference BLAS ($resolved): matrix products will be" \
      "10-50x slower. Run: update-alternatives --set $alternative $openblas" >&2
    exit 1 ;;
  *) echo "BLAS: unrecognised $resolved (via $loaded)" ;;
esac
