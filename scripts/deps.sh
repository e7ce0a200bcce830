#!/usr/bin/env bash
# Installs what gancraft needs, only what is missing (idempotent): Debian's packages, and for the
# default LibTorch source ("wheel") a virtual environment with PyTorch's CPU wheel. With
# GANCRAFT_LIBTORCH=system (Debian's libtorch-dev) it also checks that libtorch runs on the
# multithreaded OpenBLAS rather than the slow reference BLAS. See scripts/env.sh for the sources.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/env.sh
source scripts/env.sh
kind=$(gancraft_libtorch_kind)

# Both sources' packages are installed whichever is chosen, so that CI's second configuration
# and a switch of GANCRAFT_LIBTORCH need no other step. libgloo-dev gives the wheel's build
# Gloo's headers only (see cmake/gancraftDistributed.cmake); nothing links Debian's libgloo then.
packages=(
  build-essential cmake g++ catch2 nlohmann-json3-dev libopenblas0-openmp
  libpng-dev zlib1g-dev libjpeg-dev libopenblas0-pthread dataset-fashion-mnist
  libgloo-dev chromium doxygen python3-venv iproute2
  libtorch-dev python3-torch python3-numpy python3-scipy
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

# --- The wheel's virtual environment (PEP 668: never pip into a system Python). ---
# Recreated only when scripts/requirements-wheel.txt changes; its copy in the environment
# records what was installed.
requirements=scripts/requirements-wheel.txt
if [[ $kind == wheel ]] || [[ -d $gancraft_venv ]]; then
  if ! cmp -s "$requirements" "$gancraft_venv/gancraft-requirements.txt" ||
    ! "$gancraft_venv/bin/python" -c 'import torch' 2>/dev/null; then
    venv_python=
    # The torch==2.13.0 CPU wheel is built for CPython 3.11 (Debian 13's own python3 is 3.13).
    for candidate in ${GANCRAFT_VENV_PYTHON:-} python3.11 python3 /usr/bin/python3; do
      if command -v "$candidate" >/dev/null &&
        "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
        venv_python=$candidate
        break
      fi
    done
    if [[ -z $venv_python ]]; then
      echo "deps: ERROR: no CPython 3.11 found for the torch==2.13.0 wheel (tried python3.11," \
        "python3); set GANCRAFT_VENV_PYTHON, or build on Debian's LibTorch: GANCRAFT_LIBTORCH=system" >&2
      exit 1
    fi
    echo "deps: creating $gancraft_venv with $venv_python ($("$venv_python" --version))"
    rm -rf "$gancraft_venv"
    "$venv_python" -m venv "$gancraft_venv"
    "$gancraft_venv/bin/python" -m pip install -q --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$gancraft_venv/gancraft-requirements.txt"
  fi
  echo "deps: wheel: $("$gancraft_venv/bin/python" -c 'import torch; print("torch", torch.__version__)' 2>/dev/null)" \
    "in $gancraft_venv"
fi
[[ $kind == system ]] || exit 0

# --- Debian's LibTorch: a small environment with only tensorboard (any python3), whose event
# reader checks hooks::TensorBoard's files (the wheel's environment has it already). ---
tb_venv=.venv-tensorboard
if ! "$tb_venv/bin/python" -c 'import tensorboard' 2>/dev/null ||
  ! cmp -s scripts/requirements-tensorboard.txt "$tb_venv/gancraft-requirements.txt"; then
  echo "deps: creating $tb_venv ($(python3 --version))"
  rm -rf "$tb_venv"
  python3 -m venv "$tb_venv"
  "$tb_venv/bin/python" -m pip install -q --disable-pip-version-check -r scripts/requirements-tensorboard.txt
  cp scripts/requirements-tensorboard.txt "$tb_venv/gancraft-requirements.txt"
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
