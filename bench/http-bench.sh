#!/usr/bin/env bash
# HTTP figures (issue: http workload), measured in one run, printed, never asserted:
#   1. latency-bound: 10,000 GETs, 100 ms server delay (built-in server),
#      1,000 concurrent coroutines: requests/s (ideal 10,000)
#   2. throughput-bound: nginx serving the 10282-byte page, keep-alive,
#      100 connections: conlab's best strategy vs `wrk -c 100`, as a ratio
# Needs nginx and wrk (scripts/deps.sh installs them).
# Usage: bench/http-bench.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
conlab=$build/conlab
out=$(mktemp -d /tmp/conlab-httpbench.XXXXXX)
port=8097
cleanup() { bash "$here/scripts/nginx.sh" stop $port "$out/nginx" >/dev/null 2>&1 || true; rm -rf "$out"; }
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

cat > "$out/latency.yaml" <<YAML
experiment: http-latency
repeat: 3
warmup: 1
timeout: 120s
strategies: [{ coroutines: { concurrency: 1000 } }, { threads: { workers: 1000, stack_kib: 64 } }]
workloads:
  - http: { tasks: 10000, urls: ["builtin:/bytes/10282?delay=100ms"] }
YAML
"$conlab" run "$out/latency.yaml" -o "$out/latency" -q || true

bash "$here/scripts/nginx.sh" start $port "$out/nginx" >/dev/null
url="http://127.0.0.1:$port/10282.bin"
wrk_rps=$(wrk -t2 -c100 -d5s "$url" | awk '/Requests\/sec/ {print $2}')
cat > "$out/tput.yaml" <<YAML
experiment: http-throughput
repeat: 3
warmup: 1
timeout: 300s
pinning: compact
strategies:
  - coroutines: { concurrency: 100 }
  - threads: { workers: 100, stack_kib: 64 }
  - processes: { workers: 2 }
workloads:
  - http: { tasks: 200000, urls: ["$url"] }
YAML
"$conlab" run "$out/tput.yaml" -o "$out/tput" -q || true

python3 - "$out" "$wrk_rps" <<'PY'
import csv, os, sys
out, wrk = sys.argv[1], float(sys.argv[2])
def rows(name):
    with open(os.path.join(out, name, "summary.csv"), newline="") as f:
        return list(csv.DictReader(f))
print("conlab http benchmark")
print("  latency-bound: 10,000 GETs, 100 ms server delay, built-in server")
for r in rows("latency"):
    rps = int(r["tasks"]) / float(r["wall_median_s"])
    print(f"    {r['strategy_label']:<38} {rps:9.0f} req/s   p99 {float(r['lat_p99_median_s'])*1e3:6.1f} ms   status {r['status']}")
print(f"  throughput-bound: nginx, 10282-byte page, keep-alive, 100 connections")
print(f"    wrk -t2 -c100 -d5s                      {wrk:9.0f} req/s")
best = 0
for r in rows("tput"):
    rps = int(r["tasks"]) / float(r["wall_median_s"])
    best = max(best, rps)
    print(f"    conlab {r['strategy_label']:<31} {rps:9.0f} req/s   status {r['status']}")
print(f"    best conlab / wrk = {best / wrk:.2f}")
PY
