#!/usr/bin/env bash
# Installs the Debian 12 packages conlab needs, if missing.
# Usage: scripts/deps.sh          what building and running conlab needs
#        scripts/deps.sh --test   and what the whole test suite needs too
# (as root, or with sudo available)
set -euo pipefail

PKGS=(build-essential cmake pkg-config libyaml-dev libjson-c-dev libhwloc-dev hwloc
      libcurl4-openssl-dev libmicrohttpd-dev libssl-dev libgsl-dev
      g++ libtbb-dev liburing-dev ca-certificates)
if [ "${1:-}" = "--test" ]; then
  # cmocka: unit tests; python3: end-to-end tests; valgrind, clang: memcheck
  # and the fuzzer; wrk, nginx: the http tests and benchmarks; slurm-wlm,
  # munge: the one-node Slurm test; chromium: renders report.html in a test
  PKGS+=(libcmocka-dev python3 valgrind clang libclang-rt-14-dev wrk nginx-light slurm-wlm munge chromium)
fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#PKGS[@]} packages present"
  exit 0
fi
echo "deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
