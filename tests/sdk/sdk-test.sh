#!/usr/bin/env bash
# sdk-test.sh — the plugin SDK end to end, as someone outside conlab's tree
# meets it:
#   1. `cmake --install BUILD --prefix T` lays out bin, plugins, header,
#      CMake package, pkg-config file, specs, man page; the installed conlab
#      finds its own plugins with no environment variable;
#   2. examples/thread-per-task builds against the INSTALLED SDK with
#      find_package(conlab) and runs (CONLAB_PLUGIN_PATH), every cell ok;
#   3. the same plugin built with a plain `cc $(pkg-config --cflags conlab)`;
#   4. `conlab new strategy` / `conlab new workload` folders build as
#      generated and run green; `conlab new` refuses what it must;
#   5. plugins built against the frozen ABI 1.0 header (tests/sdk/frozen)
#      and the frozen 1.1 header (tests/sdk/frozen11: spawning, counters)
#      load and run in today's conlab;
#   6. the package version rules (SameMajorVersion);
#   7. conlab_add_plugin(... INSTALL) puts a plugin where the installed
#      conlab finds it by name.
#
# usage: sdk-test.sh SOURCE_DIR BUILD_DIR [CMAKE [CC]]
# (tests/sdk/CMakeLists.txt passes them.)  Needs bash, python3, pkg-config.
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 SOURCE_DIR BUILD_DIR [CMAKE [CC]]" >&2
    exit 2
fi
src=$(realpath "$1")
build=$(realpath "$2")
cmake=${3:-cmake}
cc=${4:-cc}

tmp=$(realpath "$(mktemp -d "${TMPDIR:-/tmp}/conlab-sdk.XXXXXX")")
trap 'rm -rf "$tmp"' EXIT
T=$tmp/prefix
unset CONLAB_PLUGIN_PATH CONLAB_PLUGIN_VERBOSE PKG_CONFIG_LIBDIR

step() { printf '\n=== %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
ok() { printf 'ok   %s\n' "$*"; }

# expect_status WANT CMD...: run CMD, require its exit status to be WANT.
expect_status() {
    local want=$1 got=0
    shift
    "$@" >"$tmp/out" 2>&1 || got=$?
    if [ "$got" != "$want" ]; then
        cat "$tmp/out" >&2
        fail "exit status $got, want $want: $*"
    fi
}

# all_ok SUMMARY_CSV N: the summary has N cells and every one is ok.
all_ok() {
    python3 - "$1" "$2" <<'EOF'
import csv, sys
path, want = sys.argv[1], int(sys.argv[2])
with open(path, newline="") as f:
    rows = list(csv.DictReader(f))
bad = ["%s: %s (%s)" % (r["cell"], r["status"], r.get("detail", ""))
       for r in rows if r["status"] != "ok"]
if len(rows) != want or bad:
    print("%s: %d cells (want %d); not ok: %s" % (path, len(rows), want,
          "; ".join(bad) or "none"), file=sys.stderr)
    sys.exit(1)
EOF
}

# run_spec NAME CELLS SPEC [VAR=VALUE...]: the installed conlab runs SPEC
# (with the environment given), exit status 0, CELLS cells all ok.
run_spec() {
    local name=$1 cells=$2 spec=$3
    shift 3
    local out=$tmp/results/$name
    if ! env "$@" "$T/bin/conlab" run "$spec" -o "$out" -q >"$tmp/run.log" 2>&1; then
        cat "$tmp/run.log" >&2
        [ -f "$out/summary.csv" ] && cat "$out/summary.csv" >&2
        fail "conlab run $spec"
    fi
    all_ok "$out/summary.csv" "$cells" || fail "conlab run $spec: cells not ok"
    ok "conlab run $(basename "$spec"): $cells cells ok"
}

# build_against_sdk SRC BUILD WHAT [CMAKE_ARG...]: configure SRC into BUILD
# with $cc, check that find_package(conlab) found the installed SDK in $T,
# and build; WHAT names the project in a failure.
build_against_sdk() {
    local from=$1 into=$2 what=$3
    shift 3
    "$cmake" -S "$from" -B "$into" -DCMAKE_C_COMPILER="$cc" "$@" >"$tmp/cfg.log" 2>&1 ||
        { cat "$tmp/cfg.log" >&2; fail "configure $what"; }
    local found
    found=$(sed -n 's/^conlab_DIR:[A-Z]*=//p' "$into/CMakeCache.txt")
    [ "$(realpath "$found")" = "$(realpath "$T/$libdir/cmake/conlab")" ] ||
        fail "$what: find_package(conlab) found $found, not the installed $T/$libdir/cmake/conlab"
    "$cmake" --build "$into" >"$tmp/build.log" 2>&1 ||
        { cat "$tmp/build.log" >&2; fail "build $what"; }
}

# exports_only_entry SO: the plugin's only exported function is the entry,
# and it needs no library beyond libc (and the loader).
check_so() {
    local so=$1 syms needed
    syms=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TtWi]$/ {print $3}' | sort -u)
    [ "$syms" = "conlab_plugin_entry" ] ||
        fail "$so exports [$syms], want only conlab_plugin_entry (hidden visibility)"
    needed=$(readelf -d "$so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
    if echo "$needed" | grep -Eiq 'yaml|hwloc|curl|microhttpd|conlab'; then
        fail "$so needs [$needed]: a plugin must not link conlab's libraries"
    fi
}

libdir=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:[A-Z]*=//p' "$build/CMakeCache.txt")
[ -n "$libdir" ] || fail "no CMAKE_INSTALL_LIBDIR in $build/CMakeCache.txt"

# ---------------------------------------------------------------------------
step "1. install into a fresh prefix"
"$cmake" --install "$build" --prefix "$T" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log" >&2; fail "cmake --install"; }
for f in bin/conlab include/conlab/conlab_plugin.h \
         "$libdir/cmake/conlab/conlabConfig.cmake" \
         "$libdir/cmake/conlab/conlabConfigVersion.cmake" \
         "$libdir/cmake/conlab/conlabTargets.cmake" \
         "$libdir/cmake/conlab/conlabPlugin.cmake" \
         "$libdir/pkgconfig/conlab.pc" \
         share/conlab/experiments/seeds.yaml share/man/man1/conlab.1 \
         share/doc/conlab/writing-a-strategy.md \
         share/doc/conlab/writing-a-workload.md \
         share/doc/conlab/examples/thread-per-task/thread-per-task.c; do
    [ -f "$T/$f" ] || fail "not installed: $f"
done
for p in strategy_sequential strategy_threads strategy_processes \
         strategy_coroutines strategy_gil workload_sleep workload_fib \
         workload_noop; do
    [ -f "$T/$libdir/conlab/plugins/$p.so" ] || fail "not installed: $p.so"
done
if ls "$T/$libdir/conlab/plugins" | grep -Eq 'bad-|loses|garbage'; then
    fail "test plugins were installed"
fi
cmp -s "$src/include/conlab/conlab_plugin.h" "$T/include/conlab/conlab_plugin.h" ||
    fail "installed header differs from include/"
if grep -Eil 'yaml|hwloc|curl|microhttpd' "$T/$libdir/cmake/conlab/"* \
        "$T/$libdir/pkgconfig/conlab.pc"; then
    fail "the SDK's CMake package or conlab.pc mentions a library: it must need only libc"
fi
ok "layout under $T"

# The installed binary finds its plugins next to itself, no variable.
CONLAB_PLUGIN_VERBOSE=1 "$T/bin/conlab" list sequential sleep >"$tmp/list" 2>&1 ||
    { cat "$tmp/list" >&2; fail "installed conlab list"; }
grep -Eq "file: $T/(bin/\.\./)?$libdir/conlab/plugins/strategy_sequential\.so" "$tmp/list" ||
    { cat "$tmp/list" >&2; fail "installed conlab did not load its own strategy_sequential.so"; }
ok "installed conlab finds $T/$libdir/conlab/plugins by itself"
"$T/bin/conlab" validate "$T"/share/conlab/experiments/*.yaml >"$tmp/validate" 2>&1 ||
    { cat "$tmp/validate" >&2; fail "installed specs do not validate"; }
ok "installed specs validate with the installed plugins"
if command -v groff >/dev/null; then
    groff -man -ww -z "$T/share/man/man1/conlab.1" >"$tmp/groff" 2>&1 || true
    [ ! -s "$tmp/groff" ] || { cat "$tmp/groff" >&2; fail "conlab.1: groff warnings"; }
    ok "conlab.1 formats without warnings"
fi

# ---------------------------------------------------------------------------
step "2. examples/thread-per-task against the installed SDK (CMake)"
ex=$tmp/thread-per-task
build_against_sdk "$src/examples/thread-per-task" "$ex" examples/thread-per-task \
    -DCMAKE_PREFIX_PATH="$T"
check_so "$ex/strategy_thread-per-task.so"
ok "built $ex/strategy_thread-per-task.so (exports only the entry)"
CONLAB_PLUGIN_PATH=$ex "$T/bin/conlab" list thread-per-task >"$tmp/list" 2>&1 ||
    { cat "$tmp/list" >&2; fail "conlab list thread-per-task"; }
grep -q 'max_inflight' "$tmp/list" || fail "conlab list thread-per-task: no max_inflight"
run_spec example 15 "$src/examples/thread-per-task/thread-per-task.yaml" \
    CONLAB_PLUGIN_PATH="$ex"

# ---------------------------------------------------------------------------
step "3. the same plugin with pkg-config and a plain cc"
export PKG_CONFIG_PATH=$T/$libdir/pkgconfig
read -r -a cflags <<<"$(pkg-config --cflags conlab)"
[ "${#cflags[@]}" = 1 ] && [ "$(realpath "${cflags[0]#-I}")" = "$(realpath "$T/include")" ] ||
    fail "pkg-config --cflags conlab: '${cflags[*]}', want -I$T/include"
[ -z "$(pkg-config --libs conlab)" ] || fail "pkg-config --libs conlab is not empty"
plugindir=$(pkg-config --variable=plugindir conlab)
[ "$(realpath "$plugindir")" = "$(realpath "$T/$libdir/conlab/plugins")" ] ||
    fail "plugindir=$plugindir, want $T/$libdir/conlab/plugins"
mkdir -p "$tmp/pc"
"$cc" -O2 -Wall -Wextra -Werror -pthread "${cflags[@]}" -shared -fPIC -fvisibility=hidden \
    -o "$tmp/pc/strategy_thread-per-task.so" "$src/examples/thread-per-task/thread-per-task.c"
check_so "$tmp/pc/strategy_thread-per-task.so"
cat >"$tmp/pc.yaml" <<'EOF'
experiment: pkg-config
repeat: 1
warmup: 0
strategies:
  - thread-per-task: { max_inflight: [0, 3] }
workloads:
  - sleep: { tasks: 20, seconds: 2ms }
  - noop:  { tasks: 200 }
EOF
run_spec pkg-config 4 "$tmp/pc.yaml" CONLAB_PLUGIN_PATH="$tmp/pc"
unset PKG_CONFIG_PATH

# ---------------------------------------------------------------------------
step "4. conlab new"
mkdir -p "$tmp/new"
cd "$tmp/new"
"$T/bin/conlab" new strategy my-strat >/dev/null
"$T/bin/conlab" new workload my_load loads >/dev/null
mkdir empty
"$T/bin/conlab" new strategy again empty >/dev/null
[ -f empty/again.c ] || fail "conlab new into an empty DIR wrote nothing"
for f in my-strat/my-strat.c my-strat/CMakeLists.txt my-strat/my-strat.yaml \
         my-strat/README.md loads/my_load.c loads/my_load.yaml; do
    [ -f "$f" ] || fail "conlab new did not write $f"
done
expect_status 2 "$T/bin/conlab" new strategy my-strat            # DIR not empty
grep -q 'not empty' "$tmp/out" || fail "conlab new: no 'not empty' message"
expect_status 2 "$T/bin/conlab" new strategy 9lives              # bad NAME
expect_status 2 "$T/bin/conlab" new strategy Upper
expect_status 2 "$T/bin/conlab" new strategy 'a b'
expect_status 2 "$T/bin/conlab" new strategy sequential          # a built-in
expect_status 2 "$T/bin/conlab" new thing foo                    # bad KIND
expect_status 2 "$T/bin/conlab" new strategy                     # no NAME
expect_status 0 "$T/bin/conlab" new --help
[ ! -e 9lives ] && [ ! -e Upper ] && [ ! -e foo ] || fail "a refused conlab new wrote something"
ok "conlab new refuses a non-empty DIR, bad names, a built-in's name, a bad kind"

for gen in "my-strat strategy my-strat" "loads workload my_load"; do
    set -- $gen
    dir=$1 kind=$2 name=$3
    # The templates are clean under conlab's own warning flags.
    "$cc" -fsyntax-only -Wall -Wextra -Wshadow -Wstrict-prototypes \
        -Wmissing-prototypes -Werror -I"$T/include" "$dir/$name.c"
    # Built as generated: no -DCMAKE_PREFIX_PATH (its find_package HINTS
    # the conlab that wrote it).
    build_against_sdk "$dir" "$dir/build" "the generated $kind $name"
    check_so "$dir/build/${kind}_$name.so"
    ok "generated $kind $name builds"
done
# The strategy's spec run from its folder, the workload's from elsewhere
# (a relative plugin: path is also tried from the spec's directory).
(cd my-strat && run_spec new-strategy 4 my-strat.yaml)
run_spec new-workload 3 "$tmp/new/loads/my_load.yaml"
cd "$tmp"

# ---------------------------------------------------------------------------
step "5. plugins built against the frozen ABI 1.0 and 1.1 headers"
# build_frozen DIR OUT ABI PLUGIN...: build each PLUGIN.c of DIR against
# DIR's header copy only (-I DIR; include/ is not on the path) into OUT;
# today's conlab lists each as built for ABI.
build_frozen() {
    local dir=$1 out=$2 abi=$3 p names=()
    shift 3
    mkdir -p "$out"
    for p in "$@"; do
        "$cc" -O2 -Wall -Wextra -Werror -pthread -I"$dir" -shared -fPIC \
            -fvisibility=hidden -MD -MF "$out/$p.d" \
            -o "$out/$p.so" "$dir/$p.c"
        grep -q "$dir/conlab/conlab_plugin.h" "$out/$p.d" ||
            fail "$p was not built against $dir's frozen header"
        if grep -q "include/conlab/conlab_plugin.h" "$out/$p.d"; then
            fail "$p saw include/conlab/conlab_plugin.h"
        fi
        check_so "$out/$p.so"
        names+=("${p#*_}")
    done
    CONLAB_PLUGIN_PATH=$out "$T/bin/conlab" list "${names[@]}" >"$tmp/list" 2>&1 ||
        { cat "$tmp/list" >&2; fail "today's conlab does not list ${names[*]}"; }
    [ "$(grep -c "(ABI ${abi//./\\.}" "$tmp/list")" = $# ] ||
        { cat "$tmp/list" >&2; fail "${names[*]} are not ABI $abi"; }
}
frozen=$src/tests/sdk/frozen
build_frozen "$frozen" "$tmp/frozen" 1.0 strategy_frozen-pool workload_frozen-check
run_spec frozen 12 "$frozen/frozen.yaml" CONLAB_PLUGIN_PATH="$tmp/frozen"
if cmp -s "$frozen/conlab/conlab_plugin.h" "$src/include/conlab/conlab_plugin.h"; then
    ok "(include/ is still the frozen 1.0 header)"
else
    ok "include/ has grown past the frozen 1.0 header; 1.0 plugins still run"
fi

frozen11=$src/tests/sdk/frozen11
build_frozen "$frozen11" "$tmp/frozen11" 1.1 strategy_frozen11-steal workload_frozen11-pfib
run_spec frozen11 15 "$frozen11/frozen11.yaml" CONLAB_PLUGIN_PATH="$tmp/frozen11:$tmp/frozen"
# frozen11-steal's rows: every task ran once with its value checked (1 and 2
# workers), and its counters (counter.* columns) say what it did.
python3 - "$tmp/results/frozen11/results.csv" <<'EOF' || fail "frozen11-steal's rows of results.csv"
import csv, sys
def spawns(n, cutoff):  # what one frozen11-pfib tree spawns
    return 0 if n < cutoff else 2 + spawns(n - 1, cutoff) + spawns(n - 2, cutoff)
with open(sys.argv[1], newline="") as f:
    rows = [r for r in csv.DictReader(f)
            if r["strategy"].startswith("frozen11-steal")
            and r["workload"].startswith("frozen11-pfib")]
if len(rows) != 2:
    sys.exit("results.csv: %d frozen11-steal x frozen11-pfib rows, want 2" % len(rows))
want = 12 * spawns(18, 8)
for r in rows:
    got = (r["status"], r["tasks"], r["tasks_ok"], r["tasks_wrong"],
           r["tasks_duplicated"], r["tasks_missing"])
    if got != ("ok", "12", "12", "0", "0", "0"):
        sys.exit("results.csv: %s: status, tasks, ok, wrong, duplicated, "
                 "missing = %s" % (r["cell"], got))
    if "counter.spawns" not in r:
        sys.exit("results.csv: no counter.spawns column (frozen11-steal has counters)")
    if r["counter.spawns"] != str(want) or not r.get("counter.steals"):
        sys.exit("results.csv: %s: counter.spawns %s (want %d), counter.steals '%s'"
                 % (r["cell"], r["counter.spawns"], want, r.get("counter.steals")))
EOF
ok "frozen11-steal x frozen11-pfib: every tree's value checked, 1 and 2 workers"

# ---------------------------------------------------------------------------
step "6. package version: SameMajorVersion"
version=$("$T/bin/conlab" version | sed -n 's/^conlab \([0-9][0-9.]*\).*/\1/p')
major=${version%%.*}
[ -n "$major" ] || fail "cannot read conlab's version"
for want in "$version:0" "$major:0" "$((major + 1)):1"; do
    req=${want%%:*} expect=${want##*:}
    d=$tmp/ver-$req
    mkdir -p "$d"
    printf 'cmake_minimum_required(VERSION 3.16)\nproject(v LANGUAGES NONE)\nfind_package(conlab %s REQUIRED)\n' \
        "$req" >"$d/CMakeLists.txt"
    got=0
    "$cmake" -S "$d" -B "$d/build" -DCMAKE_PREFIX_PATH="$T" >"$tmp/ver.log" 2>&1 || got=1
    [ "$got" = "$expect" ] ||
        { cat "$tmp/ver.log" >&2; fail "find_package(conlab $req) against $version: status $got, want $expect"; }
done
ok "find_package(conlab $version | $major) accepted, $((major + 1)) refused"

# ---------------------------------------------------------------------------
step "7. conlab_add_plugin(... INSTALL) installs where conlab looks"
"$cmake" --install "$ex" --prefix "$T" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log" >&2; fail "cmake --install of the example"; }
[ -f "$T/$libdir/conlab/plugins/strategy_thread-per-task.so" ] ||
    fail "the example was not installed into $T/$libdir/conlab/plugins"
"$T/bin/conlab" list thread-per-task >"$tmp/list" 2>&1 ||
    { cat "$tmp/list" >&2; fail "installed conlab does not find the installed example"; }
ok "installed example found by name, no CONLAB_PLUGIN_PATH"

step "all SDK checks passed"
