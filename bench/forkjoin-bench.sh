#!/usr/bin/env bash
# The fork-join figures of issue 10, measured side by side in one run on
# this machine and printed as figure, target, ratio, PASS/MISS (a benchmark,
# never a test: nothing fails on a MISS):
#   - skynet size 1,000,000 (fanout 10), 2 workers: workstealing <= 1.2x tbb,
#     and <= 40 ns per leaf per worker (wall x workers / size)
#   - pfib n=32 (its default cutoff): workstealing 2 workers >= 1.85x its 1
#     worker, and its 1 worker <= 1.15x sequential (the cost of spawning)
#   - nqueens n=12, matmul n=512: workstealing <= 1.2x min(openmp, tbb)
#   - skynet under conlab's tbb vs the same tree on oneTBB directly
#     (bench/tbb-skynet.cpp): the framework's cost <= 5%
# Every cell: median wall of 5 repetitions after 1 warm-up, pinned compact.
# A loaded machine stretches walls (the load average is printed first); the
# per-leaf figure is also given from CPU time (user+sys / size), which load
# hardly changes.
# Usage: bench/forkjoin-bench.sh [BUILD_DIR]     (builds it first; Release or
#        RelWithDebInfo).  CONLAB_PLUGIN_PATH may add plugin directories.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
cmake --build "$build" -j2 >/dev/null
conlab=$build/conlab
out=$(mktemp -d /tmp/conlab-fjbench.XXXXXX)
trap 'rm -rf "$out"' EXIT

cat >"$out/forkjoin-bench.yaml" <<'YAML'
experiment: forkjoin-bench
repeat: 5
warmup: 1
timeout: 300s
pinning: compact
strategies:
  - sequential
  - workstealing: { workers: 1 }
  - workstealing: { workers: 2 }
  - openmp: { workers: 2 }
  - tbb: { workers: 2 }
workloads:
  - skynet: { tasks: 1, size: 1000000, fanout: 10 }
  - pfib: { tasks: 1, n: 32 }
  - nqueens: { tasks: 1, n: 12 }
  - matmul: { tasks: 1, n: 512 }
YAML
"$conlab" run "$out/forkjoin-bench.yaml" -o "$out/run" -q || true
standalone=$("$build/bench/tbb-skynet" 1000000 10 2 5)

python3 - "$out/run/summary.csv" "$standalone" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
def wall(strategy, workload):
    for r in rows:
        if r["strategy_label"] == strategy and r["workload"] == workload:
            if r["status"] == "ok" and r["wall_median_s"]:
                return float(r["wall_median_s"])
    return None
ws1, ws2 = "workstealing(workers=1)", "workstealing(workers=2)"
omp, tbb = "openmp(workers=2)", "tbb(workers=2)"
lines = []
def line(figure, target, ratio, ok):
    verdict = "n/a" if ratio is None else ("PASS" if ok(ratio) else "MISS")
    shown = "-" if ratio is None else "%.3f" % ratio
    lines.append("  %-58s %-12s %8s  %s" % (figure, target, shown, verdict))
def cpu(strategy, workload):
    for r in rows:
        if r["strategy_label"] == strategy and r["workload"] == workload:
            if r["status"] == "ok" and r["user_mean_s"]:
                return float(r["user_mean_s"]) + float(r["sys_mean_s"])
    return None
def ratio(a, b):
    return None if a is None or b is None else a / b
print("conlab fork-join benchmark (median wall of 5 repetitions, pinned compact; "
      "load average %s)" % open("/proc/loadavg").read().split()[0])
for s in ("sequential", ws1, ws2, omp, tbb):
    cells = ["%s %s" % (w, "%.1f ms (cpu %.1f)" % (wall(s, w) * 1e3, cpu(s, w) * 1e3)
                        if wall(s, w) else "-")
             for w in ("skynet", "pfib", "nqueens", "matmul")]
    print("  %-26s %s" % (s, " | ".join(cells)))
print("  %-58s %-12s %8s  %s" % ("figure", "target", "ratio", "verdict"))
line("skynet 1M, 2w: workstealing / tbb", "<= 1.2", ratio(wall(ws2, "skynet"), wall(tbb, "skynet")), lambda r: r <= 1.2)
w = wall(ws2, "skynet")
ns = None if w is None else w * 2 / 1e6 * 1e9
line("skynet 1M, 2w: workstealing ns per leaf per worker", "<= 40 ns", ns, lambda r: r <= 40)
c = cpu(ws2, "skynet")
line("  the same from CPU time: (user+sys) / size", "<= 40 ns", None if c is None else c / 1e6 * 1e9, lambda r: r <= 40)
line("pfib 32: workstealing 1w / 2w (speedup)", ">= 1.85", ratio(wall(ws1, "pfib"), wall(ws2, "pfib")), lambda r: r >= 1.85)
line("pfib 32: workstealing 1w / sequential", "<= 1.15", ratio(wall(ws1, "pfib"), wall("sequential", "pfib")), lambda r: r <= 1.15)
for wl in ("nqueens", "matmul"):
    best = [x for x in (wall(omp, wl), wall(tbb, wl)) if x is not None]
    line("%s, 2w: workstealing / min(openmp, tbb)" % wl, "<= 1.2", ratio(wall(ws2, wl), min(best) if best else None), lambda r: r <= 1.2)
parts = sys.argv[2].split()
alone = float(parts[1]) if len(parts) > 2 and parts[2] == "ok" else None
line("skynet 1M, 2w: conlab tbb / standalone oneTBB (%s)" % ("%.1f ms" % (alone * 1e3) if alone else "-"),
     "<= 1.05", ratio(wall(tbb, "skynet"), alone), lambda r: r <= 1.05)
print("\n".join(lines))
PY
