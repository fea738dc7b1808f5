#!/usr/bin/env bash
# Installs the Debian 12 packages conlab needs to build and test, if missing.
# Usage: scripts/deps.sh      (as root, or with sudo available)
set -euo pipefail

PKGS=(build-essential cmake pkg-config libyaml-dev libhwloc-dev hwloc
      libcmocka-dev libcurl4-openssl-dev libmicrohttpd-dev python3 valgrind clang wrk nginx-light)

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
