#!/usr/bin/env bash
# Builds the API reference with Doxygen (docs/Doxyfile) into build/apidocs/html/ and prints the
# path of its index.html. Installs Debian's doxygen first if it is missing (idempotent).
# Exits non-zero on any Doxygen warning (undocumented public entity, bad @param, broken reference,
# ...), after printing them all; the log is build/apidocs/warnings.log.
# Usage: scripts/apidocs.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# --- doxygen (idempotent: installs only when missing) -------------------------------------
if ! command -v doxygen >/dev/null; then
  if [[ $(id -u) -eq 0 ]]; then sudo=(); else sudo=(sudo); fi
  echo "apidocs.sh: installing doxygen"
  "${sudo[@]}" apt-get update -q -o DPkg::Lock::Timeout=600
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends \
    -o DPkg::Lock::Timeout=600 doxygen
fi

# --- run ----------------------------------------------------------------------------------
out=build/apidocs
log=$out/warnings.log
rm -rf "$out/html"
mkdir -p "$out"   # doxygen opens WARN_LOGFILE before it creates OUTPUT_DIRECTORY
: >"$log"
GANCRAFT_VERSION=$(sed -n 's/^#define GANCRAFT_VERSION_STRING "\(.*\)"$/\1/p' include/gancraft/version.hpp)
export GANCRAFT_VERSION
echo "apidocs.sh: doxygen $(doxygen --version), gancraft ${GANCRAFT_VERSION:-(version unknown)}"

status=0
doxygen docs/Doxyfile || status=$?
# FAIL_ON_WARNINGS makes doxygen exit non-zero on a warning; the log check also catches a doxygen
# that ignores it, and warnings that come without a non-zero exit.
if [[ -s $log ]]; then
  count=$(grep -c . "$log" || true)
  cat "$log" >&2
  echo "apidocs.sh: FAILED: $count line(s) of Doxygen warnings (see $log)" >&2
  exit 1
fi
if ((status != 0)); then
  echo "apidocs.sh: FAILED: doxygen exited with status $status" >&2
  exit "$status"
fi
index=$out/html/index.html
if [[ ! -f $index ]]; then
  echo "apidocs.sh: FAILED: doxygen produced no $index" >&2
  exit 1
fi
echo "apidocs.sh: OK, no warnings"
echo "$(pwd)/$index"
