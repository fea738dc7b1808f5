#!/usr/bin/env bash
# check-includes.sh — the #include "..." graph of the host's sources, checked.
#
#   scripts/check-includes.sh [SRC_DIR [GEN_DIR...]]
#
# SRC_DIR holds the .c and .h files; a GEN_DIR holds generated headers
# (config.h is written by cmake into the build tree's host/).  With no
# arguments: host/ and build/host/ of this checkout.  x.c, x.h and x_internal.h
# (the private header x.c shares with its siblings) are one node "x"; an edge x -> y means
# x.c or x.h includes "y.h".  Fails (exit 1), naming what it found, when
#   - a file includes a "..." header that is neither in SRC_DIR nor in a
#     GEN_DIR, or
#   - the graph has a cycle, e.g. results.c includes resume.h and resume.c
#     includes results.h: printed as "results -> resume -> results", with
#     the line that makes each edge.
# Angle-bracket includes (<...>) are not looked at.  Exit 0: no cycle, nothing
# missing.  Exit 2: bad usage.  Registered with ctest as lint/includes.
set -euo pipefail

if [[ $# -eq 0 ]]; then
    root=$(cd "$(dirname "$0")/.." && pwd)
    set -- "$root/host" "$root/build/host"
fi
src=$1
shift
if [[ ! -d $src ]]; then
    echo "check-includes: $src: not a directory" >&2
    exit 2
fi
gen=("$@")

shopt -s nullglob
files=("$src"/*.c "$src"/*.h)
if [[ ${#files[@]} -eq 0 ]]; then
    echo "check-includes: $src: no .c or .h files" >&2
    exit 2
fi

# One line per include: FILE<TAB>LINE<TAB>HEADER<TAB>FOUND (1 or 0).
edges=$(
    { grep -nH '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "${files[@]}" || true; } |
        sed 's/^\(.*\):\([0-9]*\):[^"]*"\([^"]*\)".*/\1\t\2\t\3/' |
        while IFS=$'\t' read -r f line hdr; do
            found=0
            for d in "$src" "${gen[@]}"; do
                [[ -f $d/$hdr ]] && found=1 && break
            done
            printf '%s\t%s\t%s\t%s\n' "${f##*/}" "$line" "$hdr" "$found"
        done
)

printf '%s\n' "$edges" | awk -F'\t' -v nfiles="${#files[@]}" '
function node(file) { sub(/\.[ch]$/, "", file); sub(/_internal$/, "", file); return file }

# The shortest path from a to b (breadth first, neighbours in name order) as
# "a -> ... -> b", or "" when b cannot be reached from a.
function path(a, b,    queue, head, tail, prev, v, i, w, p) {
    split("", prev)
    head = tail = 1
    queue[1] = a
    prev[a] = ""
    while (head <= tail) {
        v = queue[head++]
        for (i = 1; i <= nadj[v]; i++) {
            w = adj[v, i]
            if (w in prev)
                continue
            prev[w] = v
            if (w == b) {
                for (p = b; w != a; ) {
                    w = prev[w]
                    p = w " -> " p
                }
                return p
            }
            queue[++tail] = w
        }
    }
    return ""
}

# Insertion sort of adj[v, 1..nadj[v]].
function sort_adj(v,    i, j, t) {
    for (i = 2; i <= nadj[v]; i++)
        for (j = i; j > 1 && adj[v, j - 1] > adj[v, j]; j--) {
            t = adj[v, j]; adj[v, j] = adj[v, j - 1]; adj[v, j - 1] = t
        }
}

# A cycle "a -> b -> ... -> a" rotated to start at its smallest node, so one
# cycle found through each of its edges is reported once.
function canonical(cyc,    n, part, i, best, s) {
    n = split(cyc, part, / -> /) - 1
    best = 1
    for (i = 2; i <= n; i++)
        if (part[i] < part[best])
            best = i
    s = part[best]
    for (i = 1; i <= n; i++)
        s = s " -> " part[(best + i - 1) % n + 1]
    return s
}

NF < 4 { next }
{
    from = node($1); to = node($3)
    if ($4 == 0) {
        printf "missing header: %s:%s includes \"%s\" (not in the sources or a generated-header dir)\n", $1, $2, $3
        nmissing++
        next
    }
    if (from == to || (from, to) in why)
        next
    why[from, to] = $1 ":" $2 ": #include \"" $3 "\""
    adj[from, ++nadj[from]] = to
    edge[++nedges] = from SUBSEP to
}
END {
    for (v in nadj)
        sort_adj(v)
    # every edge a -> b closed by the shortest path b -> ... -> a is a cycle
    for (e = 1; e <= nedges; e++) {
        split(edge[e], ab, SUBSEP)
        back = path(ab[2], ab[1])
        if (back == "")
            continue
        cyc = canonical(ab[1] " -> " back)
        if (cyc in seen)
            continue
        seen[cyc] = 1
        found[++ncycles] = cyc
    }
    # in name order: stable output
    for (i = 2; i <= ncycles; i++)
        for (j = i; j > 1 && found[j - 1] > found[j]; j--) {
            t = found[j]; found[j] = found[j - 1]; found[j - 1] = t
        }
    for (i = 1; i <= ncycles; i++) {
        printf "include cycle: %s\n", found[i]
        n = split(found[i], part, / -> /)
        for (j = 1; j < n; j++)
            printf "    %s\n", why[part[j], part[j + 1]]
    }
    if (nmissing || ncycles) {
        printf "check-includes: %d include cycle(s), %d missing header(s)\n", ncycles, nmissing
        exit 1
    }
    printf "check-includes: %d files, %d include edges between them, no cycle, no missing header\n", nfiles, nedges
}'
