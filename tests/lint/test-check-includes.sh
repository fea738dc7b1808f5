#!/usr/bin/env bash
# test-check-includes.sh — scripts/check-includes.sh on tiny trees made here:
# a clean one passes; a missing header, a two-file cycle and a three-file
# cycle through headers each fail, named; bad usage exits 2.
#   tests/lint/test-check-includes.sh [SCRIPT]
set -uo pipefail
script=${1:-"$(cd "$(dirname "$0")/../.." && pwd)/scripts/check-includes.sh"}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-includes.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failed=0

# expect NAME WANT_RC WANT_TEXT... -- ARGS: runs the script on ARGS; its exit
# status must be WANT_RC and its output must contain every WANT_TEXT line.
expect() {
    local name=$1 want_rc=$2 out rc
    shift 2
    local wants=()
    while [[ $1 != -- ]]; do wants+=("$1"); shift; done
    shift
    out=$(bash "$script" "$@" 2>&1)
    rc=$?
    local ok=1
    [[ $rc -eq $want_rc ]] || ok=0
    for w in "${wants[@]}"; do
        grep -qxF -- "$w" <<<"$out" || ok=0
    done
    if [[ $ok -eq 1 ]]; then
        echo "ok   $name"
    else
        echo "FAIL $name: exit $rc (want $want_rc), output:"
        sed 's/^/     /' <<<"$out"
        failed=1
    fi
}

# file PATH LINE...: writes PATH (under $tmp) with the given lines
file() {
    local path=$tmp/$1
    shift
    mkdir -p "$(dirname "$path")"
    printf '%s\n' "$@" >"$path"
}

# clean: self-includes, a header chain, <...> includes, a generated header
file clean/a.h '#include "b.h"'
file clean/a.c '#include "a.h"' '#include <nosuch.h>' '#  include "config.h" /* gen */'
file clean/b.h '#include <stdio.h>'
file clean/b.c '#include "b.h"' '#include "c.h"'
file clean/c.h '/* no includes */'
file gen/config.h '#define X 1'
expect clean 0 "check-includes: 5 files, 3 include edges between them, no cycle, no missing header" \
    -- "$tmp/clean" "$tmp/gen"

# the same tree without the generated-header dir: config.h is missing
expect missing 1 'missing header: a.c:3 includes "config.h" (not in the sources or a generated-header dir)' \
    "check-includes: 0 include cycle(s), 1 missing header(s)" -- "$tmp/clean"

# results.c includes resume.h and resume.c includes results.h
file two/results.h '/* results */'
file two/results.c '#include "results.h"' '' '#include "resume.h"'
file two/resume.h '/* resume */'
file two/resume.c '#include "resume.h"' '#include "results.h"'
expect two-file-cycle 1 "include cycle: results -> resume -> results" \
    '    results.c:3: #include "resume.h"' '    resume.c:2: #include "results.h"' \
    "check-includes: 1 include cycle(s), 0 missing header(s)" -- "$tmp/two"

# x.h -> y.h -> z.h -> x.h, headers only, plus an acyclic bystander w
file three/x.h '#include "y.h"'
file three/y.h '#include "z.h"'
file three/z.h '#include "x.h"'
file three/w.c '#include "x.h"' '#include "z.h"'
expect three-file-cycle 1 "include cycle: x -> y -> z -> x" '    z.h:1: #include "x.h"' \
    "check-includes: 1 include cycle(s), 0 missing header(s)" -- "$tmp/three"

expect not-a-dir 2 "check-includes: $tmp/nosuch: not a directory" -- "$tmp/nosuch"

exit $failed
