# Sourced, not run: the LibTorch source every script builds against, and deterministic,
# non-oversubscribing thread defaults for tests and demos.
#
# GANCRAFT_LIBTORCH chooses the LibTorch (docs/getting-started.md):
#   wheel   (default) the C++ SDK inside PyTorch's CPU wheel, torch==2.13.0, installed by
#           scripts/deps.sh into the virtual environment $GANCRAFT_VENV (default .venv/)
#   system  Debian's libtorch-dev (1.13 on Debian 12, 2.6 on Debian 13) with python3-torch
#   DIR     a LibTorch of your own: an unpacked official zip, or any prefix holding
#           share/cmake/Torch (a wheel's torch.utils.cmake_prefix_path); GANCRAFT_PYTHON may
#           name a Python whose torch is the same build, for the Python-side tests
# Each source builds in its own directory unless GANCRAFT_BUILD_DIR is set.

gancraft_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
gancraft_venv=${GANCRAFT_VENV:-$gancraft_root/.venv}

gancraft_thread_env() {
  export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
  export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
  export MKL_NUM_THREADS=${MKL_NUM_THREADS:-1}
}

# wheel, system or custom; exits on anything else.
gancraft_libtorch_kind() {
  case ${GANCRAFT_LIBTORCH:-wheel} in
    wheel | system) echo "${GANCRAFT_LIBTORCH:-wheel}" ;;
    /*)
      [[ -d $GANCRAFT_LIBTORCH ]] || {
        echo "GANCRAFT_LIBTORCH=$GANCRAFT_LIBTORCH: no such directory" >&2
        return 2
      }
      echo custom ;;
    *)
      echo "GANCRAFT_LIBTORCH='$GANCRAFT_LIBTORCH': expected wheel, system or an absolute path" >&2
      return 2 ;;
  esac
}

# The Python whose torch is the LibTorch being built against (for the Python-side checks).
gancraft_python() {
  if [[ -n ${GANCRAFT_PYTHON:-} ]]; then echo "$GANCRAFT_PYTHON"; return; fi
  case $(gancraft_libtorch_kind) in
    system) echo /usr/bin/python3 ;;
    *) echo "$gancraft_venv/bin/python" ;;
  esac
}

# The build directory of this source.
gancraft_build_dir() {
  if [[ -n ${GANCRAFT_BUILD_DIR:-} ]]; then echo "$GANCRAFT_BUILD_DIR"; return; fi
  case $(gancraft_libtorch_kind) in
    wheel) echo build ;;
    system) echo build-system ;;
    custom) echo build-custom ;;
  esac
}

# CMake arguments that select the LibTorch (an array named by $1 receives them).
gancraft_cmake_args() {
  local -n _args=$1
  local kind prefix
  kind=$(gancraft_libtorch_kind)
  case $kind in
    wheel)
      prefix=$("$gancraft_venv/bin/python" -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null) || {
        echo "gancraft: the wheel's torch is missing from $gancraft_venv (run scripts/deps.sh)" >&2
        return 1
      } ;;
    system) prefix=/usr ;;
    custom) prefix=$GANCRAFT_LIBTORCH ;;
  esac
  # Torch_DIR is set outright: a build directory configured for another source is switched
  # over instead of keeping the LibTorch its cache remembers.
  local config
  for config in "$prefix/Torch" "$prefix/share/cmake/Torch" "$prefix/lib/cmake/Torch" \
    "$prefix/lib/$(gcc -print-multiarch 2>/dev/null)/cmake/Torch"; do
    if [[ -f $config/TorchConfig.cmake ]]; then
      _args=("-DCMAKE_PREFIX_PATH=$prefix" "-DTorch_DIR=$config" "-DGANCRAFT_PYTHON=$(gancraft_python)")
      return 0
    fi
  done
  echo "gancraft: no TorchConfig.cmake under $prefix (GANCRAFT_LIBTORCH=${GANCRAFT_LIBTORCH:-wheel})" >&2
  return 1
}
