#!/usr/bin/env python3
"""python-baseline.py — conlab against Python on the same shapes, in one
invocation, against one `conlab serve` on loopback.

Shapes (issue 11's targets), each with its Python baseline (bench/py/) and
the conlab cell that does the same:
  http160    160 GETs of /bytes/275 with 50 ms of server delay, 160 in flight:
             asyncio (http_asyncio.py) vs coroutines{concurrency: 160},
             ThreadPoolExecutor (http_threads.py) vs threads{workers: 160}
  sleep10k   10,000 sleeps of 100 ms, all in flight:
             asyncio (sleep_asyncio.py) vs coroutines{concurrency: 10000}
  sleep1k    1,000 sleeps of 100 ms on 1,000 threads:
             ThreadPoolExecutor (sleep_threads.py) vs threads{workers: 1000}
Each side runs REPEAT times (Python: a fresh interpreter each; conlab: one
`conlab run` with repeat: REPEAT, warmup: 0); the median walls are printed
with the ideal (what the sleeps or delays alone take) and conlab/Python.
Both sides' walls include starting and stopping their workers.

usage: bench/python-baseline.py [CONLAB] [--repeat R] [--only SHAPE,...]
  CONLAB   the conlab binary (default: conlab on PATH, else build/conlab)
Needs python3 (standard library only).  Writes only into a temporary
directory it removes.
"""
import argparse
import csv
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PY = os.path.join(HERE, "py")

HTTP_PATH = "/bytes/275?delay=50ms"

# name, ideal wall (s), [(python script, its args, conlab strategy)], conlab workload
SHAPES = [
    ("http160", 0.050,
     [("http_asyncio.py", ["-n", "160", "-c", "160"], "coroutines: { concurrency: 160 }"),
      ("http_threads.py", ["-n", "160", "-c", "160"], "threads: { workers: 160 }")],
     'http: { tasks: 160, urls: ["{url}%s"], expect_bytes: 275 }' % HTTP_PATH),
    ("sleep10k", 0.100,
     [("sleep_asyncio.py", ["-n", "10000", "-c", "10000", "-d", "0.1"],
       "coroutines: { concurrency: 10000 }")],
     "sleep: { tasks: 10000, seconds: 100ms }"),
    ("sleep1k", 0.100,
     [("sleep_threads.py", ["-n", "1000", "-c", "1000", "-d", "0.1"],
       "threads: { workers: 1000 }")],
     "sleep: { tasks: 1000, seconds: 100ms }"),
]


def start_server(conlab):
    """`conlab serve --port 0` as a child: (process, base URL).  Closing its
    stdin stops it."""
    p = subprocess.Popen([conlab, "serve", "--port", "0", "--quiet", "--until-stdin-eof"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    url = p.stdout.readline().strip()
    if not url.startswith("http://"):
        p.kill()
        sys.exit("python-baseline: conlab serve printed %r, not its URL" % url)
    return p, url


def python_walls(script, args, url, repeat, env=None):
    """The walls of `repeat` runs of a baseline (env: variables added to
    ours); exits if a task failed."""
    cmd = [sys.executable, os.path.join(PY, script)] + ([url] if "http" in script else []) + args
    full = dict(os.environ, **env) if env else None
    walls = []
    for _ in range(repeat):
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=True,
                             env=full)
        r = json.loads(out.stdout.splitlines()[-1])
        if r["ok"] != r["tasks"]:
            sys.exit("python-baseline: %s: %d of %d ok" % (script, r["ok"], r["tasks"]))
        walls.append(r["wall_s"])
    return walls


def conlab_median(conlab, tmp, name, strategy, workload, repeat):
    """conlab's median wall for one cell (from summary.csv); exits unless ok."""
    spec = os.path.join(tmp, name + ".yaml")
    with open(spec, "w") as f:
        f.write("experiment: pybase-%s\nrepeat: %d\nwarmup: 0\ntimeout: 120s\n"
                "strategies:\n  - %s\nworkloads:\n  - %s\n" % (name, repeat, strategy, workload))
    out = os.path.join(tmp, name)
    p = subprocess.run([conlab, "run", spec, "-o", out, "-q"], capture_output=True, text=True,
                       timeout=600)
    with open(os.path.join(out, "summary.csv"), newline="") as f:
        row = next(csv.DictReader(f))
    if p.returncode != 0 or row["status"] != "ok":
        sys.exit("python-baseline: conlab %s: exit %d, %s %s\n%s" % (
            name, p.returncode, row["status"], row["detail"], p.stderr))
    return float(row["wall_median_s"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 usage="%(prog)s [CONLAB] [--repeat R] [--only SHAPE,...]")
    ap.add_argument("conlab", nargs="?")
    ap.add_argument("--repeat", type=int, default=3, help="runs per side (default 3)")
    ap.add_argument("--only", help="comma-separated shapes: " + ",".join(s[0] for s in SHAPES))
    a = ap.parse_args()
    conlab = a.conlab or shutil.which("conlab") or os.path.join(HERE, "..", "build", "conlab")
    if not os.access(conlab, os.X_OK):
        sys.exit("python-baseline: no conlab binary at %r" % conlab)
    conlab = os.path.abspath(conlab)
    only = set(a.only.split(",")) if a.only else None
    # 10,000 coroutines and 1,000 threads: raise the open-file limit
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    server, url = start_server(conlab)
    tmp = tempfile.mkdtemp(prefix="conlab-pybase-")
    try:
        print("python-baseline: %s, python %s, %d CPUs usable, repeat %d, server %s"
              % (os.path.basename(conlab), sys.version.split()[0],
                 len(os.sched_getaffinity(0)), a.repeat, url))
        print("%-9s %-18s %9s  %-34s %9s  %8s  %7s"
              % ("shape", "python", "median", "conlab", "median", "ideal", "c/py"))
        for name, ideal, pairs, workload in SHAPES:
            if only and name not in only:
                continue
            for script, args, strategy in pairs:
                pw = statistics.median(python_walls(script, args, url, a.repeat))
                cw = conlab_median(conlab, tmp, name, strategy, workload.replace("{url}", url),
                                   a.repeat)
                shutil.rmtree(os.path.join(tmp, name))
                print("%-9s %-18s %8.3fs  %-34s %8.3fs  %7.3fs  %7.2f"
                      % (name, script[:-3], pw, strategy.replace(" ", ""), cw, ideal, cw / pw))
    finally:
        server.stdin.close()
        server.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
