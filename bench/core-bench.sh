#!/usr/bin/env bash
# The core performance figures (issue: core), measured in one run on this
# machine and printed as figures, never asserted:
#   - framework overhead per task: noop x 1,000,000 under threads(2)
#   - 10,000 coroutines each waiting 100 ms: wall and peak RSS
#   - 1,000 threads each waiting 100 ms: wall
#   - fib under threads(2) and processes(2), pinned compact: speedup vs sequential
# Usage: bench/core-bench.sh [BUILD_DIR]   (a Release build is best)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
conlab=$build/conlab
out=$(mktemp -d /tmp/conlab-bench.XXXXXX)
trap 'rm -rf "$out"' EXIT

for spec in overhead overhead-wait fib-scaling; do
  "$conlab" run "$here/experiments/$spec.yaml" -o "$out/$spec" -q || true
done

python3 - "$out" <<'PY'
import csv, sys, os
out = sys.argv[1]
def summary(name):
    with open(os.path.join(out, name, "summary.csv"), newline="") as f:
        return list(csv.DictReader(f))
print("conlab core benchmark (median of 5 repetitions after 1 warm-up)")
for r in summary("overhead"):
    w, n, k = float(r["wall_median_s"]), int(r["tasks"]), int(r["workers"])
    print(f"  noop x {n:,} under {r['strategy_label']:<22} wall {w*1e3:8.2f} ms   "
          f"overhead {w*k/n*1e6:.3f} us/task/worker   status {r['status']}")
for r in summary("overhead-wait"):
    print(f"  {r['workload_label']:<34} {r['strategy_label']:<36} wall {float(r['wall_median_s'])*1e3:8.2f} ms"
          f"   peak RSS {int(r['max_rss_max_kib'])/1024:6.1f} MiB   status {r['status']}")
for r in summary("fib-scaling"):
    print(f"  fib {r['strategy_label']:<22} wall {float(r['wall_median_s'])*1e3:8.2f} ms   "
          f"speedup {float(r['speedup'] or 'nan'):.2f}x   status {r['status']}")
PY
