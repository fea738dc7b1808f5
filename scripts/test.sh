#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls exactly this):
#   1. installs what is missing (scripts/deps.sh),
#   2. builds with -Werror and runs every test (unit + end-to-end) via ctest,
#   3. builds with AddressSanitizer + UndefinedBehaviorSanitizer and runs
#      every test again,
#   4. builds with ThreadSanitizer and runs the threaded strategies' tests,
#   5. runs the end-to-end matrix once under valgrind (memcheck),
#      and the libFuzzer targets (clang) for 30 s each: the spec loader and
#      the run-directory readers (results.csv, summary.csv, run.yaml,
#      tasks.csv),
#   6. starts a one-node Slurm cluster on localhost (tests/slurm/cluster.sh),
#      runs the Slurm job-array test against it, stops it.
# Any failure or sanitizer report fails the script.  Build trees: build-test*.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh --test
jobs=$(nproc)

section() { printf '\n=== %s ===\n' "$*"; }

section "build (-Werror) and test"
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONLAB_WERROR=ON >/dev/null
cmake --build build-test -j"$jobs"
ctest --test-dir build-test --output-on-failure -j1 -LE "valgrind|slurm"

section "AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build-test-asan -DCMAKE_BUILD_TYPE=Debug -DCONLAB_WERROR=ON \
      -DCONLAB_SANITIZE=address,undefined >/dev/null
cmake --build build-test-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:handle_segv=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-test-asan --output-on-failure -j1 -LE "valgrind|slurm"

section "ThreadSanitizer (threaded strategies)"
cmake -S . -B build-test-tsan -DCMAKE_BUILD_TYPE=Debug -DCONLAB_WERROR=ON \
      -DCONLAB_SANITIZE=thread >/dev/null
cmake --build build-test-tsan -j"$jobs"
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
  ctest --test-dir build-test-tsan --output-on-failure -j1 -L tsan

section "valgrind (end-to-end, memcheck)"
ctest --test-dir build-test --output-on-failure -j1 -L valgrind

section "libFuzzer: the spec loader and the run-directory readers, 30 s each from the seed corpora"
CC=clang cmake -S . -B build-test-fuzz -DCMAKE_BUILD_TYPE=Debug -DCONLAB_FUZZ=ON >/dev/null
cmake --build build-test-fuzz -j"$jobs" --target fuzz-spec fuzz-rundir
ctest --test-dir build-test-fuzz --output-on-failure -j1 -L fuzz

section "Slurm: a one-node cluster on localhost, a job array end to end"
if [ "$(id -u)" -ne 0 ]; then
  echo "skipped: a test cluster needs root (CI runs as root)"
else
  slurm_dir=$(mktemp -d /tmp/conlab-slurm.XXXXXX)
  trap 'bash tests/slurm/cluster.sh stop "$slurm_dir" >/dev/null 2>&1 || true' EXIT
  bash tests/slurm/cluster.sh start "$slurm_dir"
  CONLAB_SLURM_CONF=$slurm_dir/slurm.conf \
    ctest --test-dir build-test --output-on-failure -j1 -L slurm
  bash tests/slurm/cluster.sh stop "$slurm_dir"
  trap - EXIT
  rm -rf "$slurm_dir"
fi

section "all test stages passed"
