#!/usr/bin/env bash
# Two `conlab run -o D` started at the same moment, N times (default 100),
# each pair into a fresh D (issue 14: one writer per run directory).  Each
# time exactly one must be refused (exit 2) and the other's rows must all be
# in D: every cell x repetition once, a summary row per cell, run.yaml
# complete.  Prints e.g. "100/100 refused, 0 rows lost" and exits 1 unless
# every pair was.  Not in ctest (it takes a minute or two).
# Usage: bench/dirlock-race.sh [BUILD_DIR] [N]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
n=${2:-100}
out=$(mktemp -d /tmp/conlab-race.XXXXXX)
trap 'rm -rf "$out"' EXIT

python3 - "$build/conlab" "$out" "$n" <<'PY'
import csv, os, subprocess, sys
conlab, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
cells, repeat = 2, 3
spec = os.path.join(out, "spec.yaml")
with open(spec, "w") as f:
    f.write("experiment: race\nrepeat: %d\nwarmup: 0\n"
            "strategies: [sequential, { threads: { workers: 2 } }]\n"
            "workloads: [{ sleep: { tasks: 2, seconds: 10ms } }]\n" % repeat)
refused = lost = bad = 0
for i in range(n):
    d = os.path.join(out, "D%d" % i)
    ps = [subprocess.Popen([conlab, "run", spec, "-o", d, "-q"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True) for _ in range(2)]
    rcs = []
    for p in ps:
        p.communicate(timeout=120)
        rcs.append(p.returncode)
    if sorted(rcs) == [0, 2]:
        refused += 1
    else:
        bad += 1
        print("pair %d: exit statuses %s" % (i, rcs), file=sys.stderr)
    try:
        with open(os.path.join(d, "results.csv"), newline="") as f:
            keys = {(r["cell"], r["repetition"]) for r in csv.DictReader(f) if r["status"] == "ok"}
        with open(os.path.join(d, "summary.csv"), newline="") as f:
            summ = len(list(csv.DictReader(f)))
        with open(os.path.join(d, "run.yaml")) as f:
            complete = "state: complete" in f.read()
    except FileNotFoundError:
        keys, summ, complete = set(), 0, False
    missing = cells * repeat - len(keys)
    if missing or summ != cells or not complete:
        print("pair %d: %d rows missing, %d summary rows, run.yaml %s" %
              (i, missing, summ, "complete" if complete else "not complete"), file=sys.stderr)
    lost += max(missing, 0)
print("%d/%d refused, %d rows lost" % (refused, n, lost))
sys.exit(0 if refused == n and lost == 0 and not bad else 1)
PY
