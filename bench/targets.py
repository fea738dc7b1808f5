#!/usr/bin/env python3
"""targets.py — every performance target of issue 11 (and issue 10's
`uring` one), measured in ONE invocation: conlab against the Python
standard-library baselines (bench/py/: asyncio with asyncio.open_connection,
ThreadPoolExecutor with http.client or time.sleep) on one `conlab serve`,
plus nginx and wrk for the throughput target.  Prints, per target, the
measured figure, the target, the ratio and PASS or MISS; under a MISS, the
`conlab calibrate` floor that bounds it on this machine.  Never asserts.

Targets:
  http160   160 GETs x 50 ms server delay, all in flight:
            coroutines(160) <= 0.7x asyncio and <= 65 ms;
            threads(160) <= 0.8x asyncio.  Under a miss: the same shape with
            bare sockets and no library (bench/raw-http.c), the machine's and
            the server's floor (latency too), and plain libcurl with no conlab
            (bench/curl-floor.c; latency and nginx too).  Printed beside it: asyncio
            under conlab's malloc tunables (host/malloc_tune.h), and conlab
            with CONLAB_MALLOC=default
  sleep10k  10,000 x 100 ms sleeps: coroutines(10000, stacks=shared) <= 0.45x
            asyncio, <= 110 ms, peak RSS <= 100 MiB (separate stacks printed
            too); uring(10000) <= 1.05x coroutines(10000) (both separate)
  sleep1k   1,000 x 100 ms sleeps: threads(1000) <= 0.4x ThreadPoolExecutor
  latency   10,000 GETs x 100 ms at 1,000 in flight: >= 9,500 req/s (the
            better of coroutines(1000) and uring(1000))
  nginx     10,282-byte page, keep-alive, 100 connections: best conlab
            strategy (coroutines, uring, threads) >= 0.75x wrk's req/s
            (skipped without nginx and wrk)
  noop      1,000,000 tasks under threads(2): <= 0.2 us per task

usage: bench/targets.py [CONLAB] [--repeat R] [--only NAME,...]
Medians of R runs per side (default 3; Python: a fresh interpreter each;
conlab: one `conlab run` with repeat R after one warm-up).  Writes only
into a temporary directory it removes.  Say how loaded the machine was
(uptime) when you quote the figures.
"""
import argparse
import csv
import importlib.util
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
_spec = importlib.util.spec_from_file_location("pybase", os.path.join(HERE, "python-baseline.py"))
pybase = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pybase)

NGINX_PORT = 8098
NAMES = ["http160", "sleep10k", "sleep1k", "latency", "nginx", "noop"]


def conlab_cells(conlab, tmp, name, strategies, workload, repeat, extra="", env=None):
    """summary.csv's rows (in spec order) of one `conlab run` (env: variables
    added to ours); exits unless every cell is ok."""
    spec = os.path.join(tmp, name + ".yaml")
    with open(spec, "w") as f:
        f.write("experiment: targets-%s\nrepeat: %d\nwarmup: 1\ntimeout: 300s\n%s"
                "strategies:\n%sworkloads:\n  - %s\n"
                % (name, repeat, extra, "".join("  - %s\n" % s for s in strategies), workload))
    out = os.path.join(tmp, name)
    p = subprocess.run([conlab, "run", spec, "-o", out, "-q"], capture_output=True,
                       text=True, timeout=1800, env=dict(os.environ, **env) if env else None)
    with open(os.path.join(out, "summary.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    bad = [r for r in rows if r["status"] != "ok"]
    if p.returncode != 0 or bad:
        sys.exit("targets: conlab %s: exit %d, %s\n%s" % (
            name, p.returncode, [(r["strategy_label"], r["status"], r["detail"]) for r in bad], p.stderr))
    shutil.rmtree(out)
    return rows


def wall(row):
    return float(row["wall_median_s"])


def py_wall(script, args, url, repeat, env=None):
    return statistics.median(pybase.python_walls(script, args, url, repeat, env))


# What `conlab run` gives the processes it measures (host/malloc_tune.h):
# Python is measured as users run it, and once more with these for reference.
MALLOC_TUNED = {"GLIBC_TUNABLES": "glibc.malloc.hugetlb=1:glibc.malloc.top_pad=16777216"}


class Floors:
    """`conlab calibrate`'s medians, in seconds."""

    def __init__(self, conlab):
        p = subprocess.run([conlab, "calibrate", "--format", "json"], capture_output=True,
                           text=True, timeout=60)
        doc = json.loads(p.stdout) if p.returncode == 0 else {"floors": {}}
        self.f = {k: v["median_ns"] / 1e9 for k, v in doc["floors"].items()
                  if v.get("status") == "ok"}

    def __getitem__(self, key):
        return self.f.get(key, float("nan"))

    def line(self):
        show = ["syscall", "page_first_touch", "thread_create_join", "switch_threads",
                "wake_cross_cpu", "sleep_overshoot", "clock_read"]
        return ", ".join("%s %s" % (k, fmt_s(self[k])) for k in show)


def fmt_s(s):
    if s != s:
        return "n/a"
    for unit, scale in (("s", 1), ("ms", 1e-3), ("µs", 1e-6)):
        if s >= scale:
            return "%.3g %s" % (s / scale, unit)
    return "%.3g ns" % (s * 1e9)


def threads_floor(floors, n, ideal):
    """The floor of n threads each waiting `ideal` seconds."""
    tcj = floors["thread_create_join"]
    return "%s + %d x thread_create_join %s = %s" % (fmt_s(ideal), n, fmt_s(tcj),
                                                     fmt_s(ideal + n * tcj))


def raw_floor(tmp, url, path, n, repeat, per_conn=1):
    """Median wall of bench/raw-http.c (bare sockets, one epoll loop) doing
    the shape (n connections, per_conn GETs each), or None without a C
    compiler."""
    exe = os.path.join(tmp, "raw-http")
    if not os.path.exists(exe):
        cc = shutil.which("cc") or shutil.which("gcc")
        if not cc or subprocess.run([cc, "-O2", "-o", exe, os.path.join(HERE, "raw-http.c")],
                                    capture_output=True).returncode != 0:
            return None
    host, port = url.split("//", 1)[1].split(":")
    walls = []
    for _ in range(repeat):
        p = subprocess.run([exe, host, port, path, str(n), str(per_conn)],
                           capture_output=True, text=True, timeout=60)
        if p.returncode == 0:
            walls.append(json.loads(p.stdout)["wall_s"])
    return statistics.median(walls) if walls else None


def curl_floor(tmp, url, n, repeat, per_conn=1):
    """Median wall of bench/curl-floor.c (plain libcurl: one multi handle,
    n handles in flight, per_conn GETs each), or None without a compiler or
    libcurl's headers."""
    exe = os.path.join(tmp, "curl-floor")
    if not os.path.exists(exe):
        cc = shutil.which("cc") or shutil.which("gcc")
        if not cc or subprocess.run([cc, "-O2", "-o", exe, os.path.join(HERE, "curl-floor.c"),
                                     "-lcurl"], capture_output=True).returncode != 0:
            return None
    walls = []
    for _ in range(repeat):
        p = subprocess.run([exe, url, str(n), str(per_conn)], capture_output=True, text=True,
                           timeout=300)
        if p.returncode == 0:
            walls.append(json.loads(p.stdout)["wall_s"])
    return statistics.median(walls) if walls else None


def curl_line(cf, n, conlab_wall):
    """What libcurl alone takes, and conlab's share above it."""
    if not cf:
        return "plain libcurl: n/a (bench/curl-floor.c did not build or run)"
    return ("plain libcurl, one multi handle, no conlab (bench/curl-floor.c): %s; conlab adds %s "
            "(%s a request)" % (fmt_s(cf), fmt_s(conlab_wall - cf), fmt_s((conlab_wall - cf) / n)))


def http_floor(raw, n, conlab_wall):
    """What bounds n GETs over fresh connections on this machine."""
    if not raw:
        return "bare sockets: n/a (no C compiler for bench/raw-http.c)"
    return ("the same %d GETs on bare sockets with no library (bench/raw-http.c) take %s here: "
            "the kernel's and the server's share; libcurl and conlab add %s (%s a request)"
            % (n, fmt_s(raw), fmt_s(conlab_wall - raw), fmt_s((conlab_wall - raw) / n)))


class Report:
    def __init__(self):
        self.misses = 0
        self.count = 0

    def target(self, name, what, measured, shown, bound, shown_bound, le, floor=None):
        """One target line: measured <= bound (le) or >= bound; `floor` is
        printed under a MISS."""
        ok = measured <= bound if le else measured >= bound
        self.count += 1
        self.misses += not ok
        ratio = measured / bound if bound else float("nan")
        print("%-4s  %-9s %-44s %12s  target %s %-12s  %5.2f of target"
              % ("PASS" if ok else "MISS", name, what, shown, "<=" if le else ">=",
                 shown_bound, ratio))
        if not ok and floor:
            print("            floor: %s" % floor)

    def ratio(self, name, what, num, den, bound, floor=None):
        """A target on num / den <= bound."""
        self.target(name, what, num / den, "%.2fx" % (num / den), bound,
                    "%gx" % bound, True, floor)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 usage="%(prog)s [CONLAB] [--repeat R] [--only NAME,...]")
    ap.add_argument("conlab", nargs="?")
    ap.add_argument("--repeat", type=int, default=3, help="runs per side (default 3)")
    ap.add_argument("--only", help="comma-separated: " + ",".join(NAMES))
    a = ap.parse_args()
    conlab = a.conlab or shutil.which("conlab") or os.path.join(ROOT, "build", "conlab")
    if not os.access(conlab, os.X_OK):
        sys.exit("targets: no conlab binary at %r" % conlab)
    conlab = os.path.abspath(conlab)
    only = set(a.only.split(",")) if a.only else set(NAMES)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    R = a.repeat

    floors = Floors(conlab)
    server, url = pybase.start_server(conlab)
    tmp = tempfile.mkdtemp(prefix="conlab-targets-")
    rep = Report()
    try:
        print("targets: %s, python %s, %d CPUs usable, repeat %d, load average %s"
              % (conlab, sys.version.split()[0], len(os.sched_getaffinity(0)), R,
                 " ".join("%.2f" % x for x in os.getloadavg())))
        print("floors (conlab calibrate, medians): " + floors.line())

        if "http160" in only:
            path = "/bytes/275?delay=50ms"
            http = 'http: { tasks: 160, urls: ["%s%s"], expect_bytes: 275 }' % (url, path)
            args = ["-n", "160", "-c", "160"]
            aio = py_wall("http_asyncio.py", args, url, R)
            tpe = py_wall("http_threads.py", args, url, R)
            raw = raw_floor(tmp, url, path, 160, R)
            cf = curl_floor(tmp, url + path, 160, R)
            co, th = conlab_cells(conlab, tmp, "http160", ["coroutines: { concurrency: 160 }",
                                                          "threads: { workers: 160 }"], http, R)
            print("          python: asyncio %s, ThreadPoolExecutor %s; bare sockets %s; "
                  "plain libcurl %s" % (fmt_s(aio), fmt_s(tpe), fmt_s(raw) if raw else "n/a",
                                        fmt_s(cf) if cf else "n/a"))
            aio_t = py_wall("http_asyncio.py", args, url, R, MALLOC_TUNED)
            co_d, th_d = conlab_cells(conlab, tmp, "http160-default-malloc",
                                      ["coroutines: { concurrency: 160 }",
                                       "threads: { workers: 160 }"], http, R,
                                      env={"CONLAB_MALLOC": "default"})
            print("          malloc: asyncio with conlab's huge-page heaps %s (coroutines %.2fx "
                  "it); conlab with glibc's default malloc: coroutines %s, threads %s"
                  % (fmt_s(aio_t), wall(co) / aio_t, fmt_s(wall(co_d)), fmt_s(wall(th_d))))
            fl = http_floor(raw, 160, wall(co)) + "; " + curl_line(cf, 160, wall(co))
            rep.ratio("http160", "coroutines(160) wall / asyncio", wall(co), aio, 0.7, fl)
            rep.target("http160", "coroutines(160) wall", wall(co), fmt_s(wall(co)),
                       0.065, "65 ms", True, fl)
            rep.ratio("http160", "threads(160) wall / asyncio", wall(th), aio, 0.8,
                      threads_floor(floors, 160, 0.05) + "; " + http_floor(raw, 160, wall(th)))

        if "sleep10k" in only:
            aio = py_wall("sleep_asyncio.py", ["-n", "10000", "-c", "10000", "-d", "0.1"], url, R)
            sh, co, ur = conlab_cells(conlab, tmp, "sleep10k",
                                      ["coroutines: { concurrency: 10000, stacks: shared }",
                                       "coroutines: { concurrency: 10000 }",
                                       "uring: { concurrency: 10000 }"],
                                      "sleep: { tasks: 10000, seconds: 100ms }", R)
            print("          python: asyncio %s; coroutines(10000) with separate stacks %s "
                  "(%.2fx asyncio, peak RSS %.1f MiB)"
                  % (fmt_s(aio), fmt_s(wall(co)), wall(co) / aio,
                     int(co["max_rss_max_kib"]) / 1024))
            fl = ("100 ms + 10,000 coroutine starts and wake-ups; their structs and "
                  "parked frames (~7 MiB) are in populated huge pages, not ~1,700 fresh "
                  "pages x page_first_touch %s = %s"
                  % (fmt_s(floors["page_first_touch"]), fmt_s(1700 * floors["page_first_touch"])))
            rep.ratio("sleep10k", "coroutines(10000,shared) wall / asyncio", wall(sh), aio,
                      0.45, fl)
            rep.target("sleep10k", "coroutines(10000,shared) wall", wall(sh), fmt_s(wall(sh)),
                       0.110, "110 ms", True, fl)
            rss = int(sh["max_rss_max_kib"]) / 1024
            rep.target("sleep10k", "coroutines(10000,shared) peak RSS", rss, "%.1f MiB" % rss,
                       100, "100 MiB", True)
            rep.ratio("sleep10k", "uring(10000) wall / coroutines(10000)", wall(ur), wall(co),
                      1.05, "uring %s, coroutines %s: the same core, the loop differs"
                      % (fmt_s(wall(ur)), fmt_s(wall(co))))

        if "sleep1k" in only:
            tpe = py_wall("sleep_threads.py", ["-n", "1000", "-c", "1000", "-d", "0.1"], url, R)
            (th,) = conlab_cells(conlab, tmp, "sleep1k", ["threads: { workers: 1000 }"],
                                 "sleep: { tasks: 1000, seconds: 100ms }", R)
            print("          python: ThreadPoolExecutor %s" % fmt_s(tpe))
            rep.ratio("sleep1k", "threads(1000) wall / ThreadPoolExecutor", wall(th), tpe, 0.4,
                      threads_floor(floors, 1000, 0.1))

        if "latency" in only:
            path = "/bytes/275?delay=100ms"
            raw = raw_floor(tmp, url, path, 1000, R, per_conn=10)
            cf = curl_floor(tmp, url + path, 1000, R, per_conn=10)
            rows = conlab_cells(conlab, tmp, "latency", ["coroutines: { concurrency: 1000 }",
                                                         "coroutines: { concurrency: 1000, "
                                                         "stacks: shared }",
                                                         "uring: { concurrency: 1000 }"],
                                'http: { tasks: 10000, urls: ["%s%s"] }' % (url, path), R)
            best = min(rows, key=wall)
            print("          %s; bare sockets %s; plain libcurl %s" % (
                ", ".join("%s %.0f req/s" % (r["strategy_label"], 1e4 / wall(r)) for r in rows),
                "%.0f req/s" % (1e4 / raw) if raw else "n/a",
                "%.0f req/s" % (1e4 / cf) if cf else "n/a"))
            rps = 10000 / wall(best)
            rep.target("latency", "%s 10,000 GETs x 100 ms" % best["strategy"].split("(")[0],
                       rps, "%.0f req/s" % rps, 9500, "9500 req/s", False,
                       "10,000 req/s ideal (1 s of delays); the same 1,000 keep-alive "
                       "connections x 10 GETs on bare sockets with no library "
                       "(bench/raw-http.c): %s; plain libcurl (bench/curl-floor.c): %s"
                       % ("%.0f req/s" % (1e4 / raw) if raw else "n/a",
                          "%.0f req/s" % (1e4 / cf) if cf else "n/a"))

        if "nginx" in only:
            nginx_target(conlab, tmp, R, rep, floors)

        if "noop" in only:
            (th,) = conlab_cells(conlab, tmp, "noop", ["threads: { workers: 2 }"],
                                 "noop: { tasks: 1000000 }", R, extra="pinning: compact\n")
            us = wall(th) / 1e6 * 1e6
            rep.target("noop", "threads(2) 1,000,000 tasks, wall / task", us,
                       "%.3f µs" % us, 0.2, "0.2 µs", True,
                       "per task the host reads the clock twice (clock_read %s) and "
                       "claims an index atomically on 2 CPUs" % fmt_s(floors["clock_read"]))
    finally:
        server.stdin.close()
        server.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d of %d targets met" % (rep.count - rep.misses, rep.count))


def nginx_target(conlab, tmp, R, rep, floors):
    """The throughput target: nginx, 10282-byte page, 100 connections."""
    if not (shutil.which("wrk") and (shutil.which("nginx") or os.path.exists("/usr/sbin/nginx"))):
        print("SKIP  nginx     needs nginx and wrk (scripts/deps.sh)")
        return
    ng = os.path.join(tmp, "nginx-server")
    script = os.path.join(ROOT, "scripts", "nginx.sh")
    subprocess.run(["bash", script, "start", str(NGINX_PORT), ng], check=True,
                   capture_output=True)
    try:
        page = "http://127.0.0.1:%d/10282.bin" % NGINX_PORT
        out = subprocess.run(["wrk", "-t2", "-c100", "-d5s", page], capture_output=True,
                             text=True, check=True).stdout
        wrk = float(next(l.split()[1] for l in out.splitlines() if l.startswith("Requests/sec")))
        rows = conlab_cells(conlab, tmp, "nginx", ["coroutines: { concurrency: 100 }",
                                                   "uring: { concurrency: 100 }",
                                                   "threads: { workers: 100, stack_kib: 64 }"],
                            'http: { tasks: 100000, urls: ["%s"] }' % page, R,
                            extra="pinning: compact\n")
        best = min(rows, key=wall)
        rps = 100000 / wall(best)
        cf = curl_floor(tmp, page, 100, R, per_conn=1000)
        cf_rps = 100000 / cf if cf else float("nan")
        print("          wrk -t2 -c100: %.0f req/s; %s; plain libcurl (bench/curl-floor.c, one "
              "thread) %.0f" % (wrk, ", ".join("%s %.0f" % (r["strategy_label"], 100000 / wall(r))
                                                for r in rows), cf_rps))
        rep.target("nginx", "best conlab req/s / wrk (%s)" % best["strategy"].split("(")[0],
                   rps / wrk, "%.2fx" % (rps / wrk), 0.75, "0.75x", False,
                   "plain libcurl on one thread, no conlab, does %.0f req/s (%.2fx wrk): "
                   "libcurl's per-request CPU on this VM; conlab reaches %.0f%% of it and "
                   "also checks every body and times every task (clock_read %s x 2)"
                   % (cf_rps, cf_rps / wrk, 100 * rps / cf_rps, fmt_s(floors["clock_read"])))
    finally:
        subprocess.run(["bash", script, "stop", str(NGINX_PORT), ng], capture_output=True)


if __name__ == "__main__":
    main()
