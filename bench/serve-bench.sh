#!/usr/bin/env bash
# serve-bench.sh — is `conlab serve` fast enough not to be the bottleneck?
#
# Starts `conlab serve --port 0`, runs wrk with many concurrent connections,
# each asking for a delayed answer, and prints p50/p99 latency and requests/s
# next to the ideal (p99 within 10 ms of the delay).  Builds nothing.
#
# usage: bench/serve-bench.sh [CONLAB] [-- EXTRA SERVE ARGS]
#   CONLAB        the conlab binary (default: conlab on PATH, else ./build/conlab)
# environment:
#   CONNECTIONS=2000  DURATION=10s  DELAY=100ms  THREADS=2 (wrk's)  PATH_=/bytes/100
# example:
#   bench/serve-bench.sh build/conlab
#   CONNECTIONS=4000 bench/serve-bench.sh build/conlab -- --threads pool
set -euo pipefail

conlab=${1:-}
[[ $# -gt 0 ]] && shift
[[ ${1:-} == -- ]] && shift
if [[ -z $conlab ]]; then
    conlab=$(command -v conlab || echo ./build/conlab)
fi
[[ -x $conlab ]] || { echo "serve-bench: no conlab binary at '$conlab'" >&2; exit 2; }
command -v wrk >/dev/null || { echo "serve-bench: needs wrk (apt-get install -y wrk)" >&2; exit 2; }

connections=${CONNECTIONS:-2000}
duration=${DURATION:-10s}
delay=${DELAY:-100ms}
wrk_threads=${THREADS:-2}
path=${PATH_:-/bytes/100}

# wrk and the server each hold one fd per connection.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if (( $(ulimit -n) < connections + 64 )); then
    echo "serve-bench: ulimit -n is $(ulimit -n), too low for $connections connections" >&2
    exit 2
fi

tmp=$(mktemp -d)
server=
cleanup() {
    if [[ -n $server ]] && kill -0 "$server" 2>/dev/null; then
        kill -TERM "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

mkfifo "$tmp/url"
"$conlab" serve --port 0 --quiet "$@" >"$tmp/url" &
server=$!
# The first line is the URL; give the server 5 s to print it.
if ! read -r -t 5 url <"$tmp/url"; then
    echo "serve-bench: the server printed no URL" >&2
    exit 1
fi
# Other load on the machine skews the tail; say how idle it was just before.
cpu_idle() { # percent idle over one second, from /proc/stat
    local a b
    read -r -a a </proc/stat; sleep 1; read -r -a b </proc/stat
    awk -v t0="$(IFS=+; echo $((${a[*]:1})))" -v t1="$(IFS=+; echo $((${b[*]:1})))" \
        -v i0="${a[4]}" -v i1="${b[4]}" 'BEGIN { printf "%d", 100 * (i1 - i0) / (t1 - t0) }'
}
idle=$(cpu_idle)
target="$url$path?delay=$delay"
echo "server: $conlab serve $* at $url (pid $server)"
echo "load:   wrk -t$wrk_threads -c$connections -d$duration --latency '$target'"

wrk -t"$wrk_threads" -c"$connections" -d"$duration" --latency "$target" | tee "$tmp/wrk.txt"

# wrk prints "50%  100.52ms" lines and "Requests/sec: 19876.12".
to_ms() { # 100.52ms | 1.20s | 950.00us -> milliseconds
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) { sub(/us$/, "", v); print v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v); print v + 0 }
        else if (v ~ /m$/) { sub(/m$/, "", v); print v * 60000 }
        else { sub(/s$/, "", v); print v * 1000 } }'
}
p50=$(awk '$1 == "50%" { print $2 }' "$tmp/wrk.txt")
p99=$(awk '$1 == "99%" { print $2 }' "$tmp/wrk.txt")
rps=$(awk '$1 == "Requests/sec:" { print $2 }' "$tmp/wrk.txt")
errors=$(grep -E "Socket errors|Non-2xx" "$tmp/wrk.txt" || true)
stats=$(curl -s --max-time 2 "$url/stats" 2>/dev/null || echo "(no curl)")
delay_ms=$(to_ms "$delay")
p99_ms=$(to_ms "$p99")
ideal_rps=$(awk -v c="$connections" -v d="$delay_ms" 'BEGIN { printf "%.0f", c * 1000 / d }')

echo
echo "summary: p50 $p50  p99 $p99  requests/s $rps  (ideal about $ideal_rps)"
[[ -n $errors ]] && echo "errors:  $errors"
echo "server:  $stats"
echo "machine: ${idle}% idle in the second before the run$( ((idle < 90)) && echo " (busy: expect a worse tail)")"
if awk -v p="$p99_ms" -v d="$delay_ms" 'BEGIN { exit !(p <= d + 10) }'; then
    echo "verdict: ok, p99 is within 10 ms of the $delay delay"
else
    echo "verdict: SLOW, p99 is more than 10 ms over the $delay delay"
    exit 1
fi
