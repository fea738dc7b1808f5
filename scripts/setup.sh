#!/usr/bin/env bash
# One command from a fresh Debian 12 clone to a first result: installs what is
# missing, builds conlab (Release) into build/, and runs the default
# experiment (the seeds, built in; about a minute on 2 cores, no network).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF
cmake --build build -j"$(nproc)"
./build/conlab run
