#!/usr/bin/env python3
"""End-to-end tests: run the real `conlab` binary on small specs and check
what it writes.  Run by ctest (tests/e2e/CMakeLists.txt), one test class per
ctest entry:  python3 e2e.py CONLAB TEST_PLUGIN_DIR ClassName

Also the helpers the other e2e scripts import (`import e2e`): how conlab is
run (under valgrind when asked), CSV and file reading, a Case with a
temporary directory, and start(), their shared __main__.
"""
import csv
import io
import json
import statistics
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest

CONLAB = None  # the binary under test: set by start()
TEST_PLUGINS = None


# CONLAB_VALGRIND=/usr/bin/valgrind runs every conlab under memcheck; any
# error in the host or in a cell's process fails the cell or the command.
VALGRIND = os.environ.get("CONLAB_VALGRIND")
SLOW = bool(VALGRIND)  # timing assertions mean nothing under valgrind

# The settings of a spec whose cells run twice after one warm-up, pinned:
# enough repetitions for a median, few enough for a quick test.
TWICE_PINNED = """\
repeat: 2
warmup: 1
timeout: 60s
pinning: compact
"""


def conlab_cmd():
    """The command line that runs conlab: [CONLAB], or valgrind ... CONLAB."""
    if not VALGRIND:
        return [CONLAB]
    cmd = [VALGRIND, "-q", "--error-exitcode=99", "--leak-check=no",
           "--child-silent-after-fork=no"]
    supp = os.environ.get("CONLAB_VALGRIND_SUPP")
    if supp:
        cmd.append("--suppressions=" + supp)
    return cmd + [CONLAB]


def run(args, env=None, timeout=300, cwd=None):
    """Run conlab with args (env added to ours); the CompletedProcess, text."""
    e = dict(os.environ)
    if env:
        e.update(env)
    return subprocess.run(conlab_cmd() + args, capture_output=True, text=True,
                          timeout=timeout * (10 if SLOW else 1), env=e, cwd=cwd)


def slurp(path):
    with open(path) as f:
        return f.read()


def seed_for(spec_seed, cell, repetition):
    """host/seed.c's cl_seed_for: splitmix64 over the spec's seed, the FNV-1a
    hash (host/util.c's offset basis) of the cell name and the repetition."""
    m = (1 << 64) - 1

    def mix(z):
        z = (z + 0x9E3779B97F4A7C15) & m
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & m
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & m
        return z ^ (z >> 31)

    h = 1469598103934665603
    for b in cell.encode():
        h = ((h ^ b) * 1099511628211) & m
    return mix(mix(mix(spec_seed) ^ h) ^ (repetition & 0xFFFFFFFF))


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def start(argv, usage="CONLAB DIR"):
    """The scripts' shared __main__ part: argv is SCRIPT, then the words of
    usage (the conlab binary first, then directories), then unittest class
    names.  Sets CONLAB; returns the directories made absolute (a list) and
    the argv for unittest.main (SCRIPT and the class names)."""
    global CONLAB
    n = len(usage.split())
    if len(argv) < 1 + n:
        sys.exit("usage: %s %s [ClassName...]" % (os.path.basename(argv[0]), usage))
    CONLAB = os.path.abspath(argv[1])
    return [os.path.abspath(d) for d in argv[2:1 + n]], [argv[0]] + argv[1 + n:]


class Case(unittest.TestCase):
    """A test with its own temporary directory, self.dir."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="conlab-e2e-")
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def spec(self, text, name="spec.yaml"):
        """Write text to self.dir/name; returns its path."""
        path = self.path(name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def ok(self, p, rc=0):
        """Fail unless the process p exited rc (showing its output); p."""
        if p.returncode != rc:
            self.fail("conlab exited %d (wanted %d)\nstdout:\n%s\nstderr:\n%s"
                      % (p.returncode, rc, p.stdout, p.stderr))
        return p

    def run_spec(self, text, extra=(), env=None, expect_rc=0, timeout=300, name="run"):
        """Write text to NAME.yaml and `conlab run` it into self.dir/NAME (a new NAME-* when NAME is taken);
        fails unless it exits expect_rc.  Returns that directory and the
        process."""
        path = self.spec(text, name + ".yaml")
        out = self.path(name)
        if os.path.exists(out):  # -o refuses a directory that holds a run
            out = tempfile.mkdtemp(prefix=name + "-", dir=self.dir)
        p = run(["run", path, "-o", out, *extra], env=env, timeout=timeout)
        self.ok(p, expect_rc)
        return out, p

    def plan(self, workers, pinning="compact"):
        p = run(["topology", "--workers", str(workers), "--pinning", pinning])
        self.assertEqual(p.returncode, 0, p.stderr)
        plan = {int(w): int(c) for w, c in re.findall(r"worker (\d+) -> PU (\d+)", p.stdout)}
        self.assertEqual(len(plan), workers, p.stdout)
        return plan


class Matrix(Case):
    """Every strategy x every workload: all tasks checked, pinning honoured."""

    def test_every_strategy_every_workload(self):
        out, p = self.run_spec("experiment: matrix\n" + TWICE_PINNED + """\
strategies:
  - sequential
  - threads: { workers: 3 }
  - processes: { workers: 2 }
  - coroutines: { concurrency: 4 }
  - coroutines: { concurrency: 4, stacks: shared }
  - gil: { workers: 3 }
workloads:
  - sleep: { tasks: 12, seconds: 5ms, distribution: uniform }
  - fib: { tasks: 6, n: [20, 15] }
  - noop: { tasks: 500 }
""", extra=["--tasks"])
        rows = read_csv(os.path.join(out, "results.csv"))
        self.assertEqual(len(rows), 6 * 3 * 2)
        for r in rows:
            self.assertEqual(r["status"], "ok", r)
            self.assertEqual(r["tasks_ok"], r["tasks"], r)
            self.assertEqual(r["tasks_failed"], "0")
            self.assertGreater(float(r["wall_s"]), 0)
            self.assertTrue(r["lat_p50_s"] and r["lat_p99_s"], r)
        summary = read_csv(os.path.join(out, "summary.csv"))
        self.assertEqual(len(summary), 18)
        for s in summary:
            self.assertEqual(s["reps"], "2")
            if s["strategy"] == "sequential":
                self.assertAlmostEqual(float(s["speedup"]), 1.0)
        # every task of every repetition exactly once, on its planned CPU
        tasks = read_csv(os.path.join(out, "tasks.csv"))
        workers = {"sequential": 1, "threads(workers=3)": 3, "processes(workers=2)": 2,
                   "coroutines(concurrency=4)": 4, "gil(workers=3)": 3,
                   "coroutines(concurrency=4,stacks=shared)": 4}
        plans = {s: self.plan(n) for s, n in workers.items()}
        seen = {}
        for t in tasks:
            self.assertEqual(t["status"], "ok", t)
            key = (t["cell"], t["repetition"])
            seen.setdefault(key, []).append(int(t["task"]))
            strat = t["cell"].split(" x ")[0]
            plan = plans[strat]
            w = int(t["worker"])
            self.assertLess(w, workers[strat])
            # coroutines: one thread, bound as worker 0
            want = plan[0] if strat.startswith("coroutines") else plan[w]
            self.assertEqual(int(t["cpu"]), want, t)
        for (cell, rep), idx in seen.items():
            n = 12 if "sleep" in cell else 6 if "fib" in cell else 500
            self.assertEqual(sorted(idx), list(range(n)), cell)

    def in_flight(self, out):
        """{(strategy, workload): the most tasks ever running at once in any
        repetition}, from tasks.csv's start/end times: what overlapping
        means, without a clock limit that a loaded or sanitized build would
        miss."""
        reps = {}
        for t in read_csv(os.path.join(out, "tasks.csv")):
            self.assertEqual(t["status"], "ok", t)
            reps.setdefault((t["cell"], t["repetition"]), []).append(
                (float(t["start_s"]), float(t["end_s"])))
        most = {}
        for (cell, _), spans in reps.items():
            # an end sorts before a start at the same instant: touching is
            # not overlapping
            events = sorted([(b, 0) for a, b in spans] + [(a, 1) for a, b in spans])
            now = peak = 0
            for _, starts in events:
                now += 1 if starts else -1
                peak = max(peak, now)
            key = tuple(cell.split(" x "))
            most[key] = max(most.get(key, 0), peak)
        return most

    def test_threads_really_overlap_waits(self):
        out, _ = self.run_spec("""
experiment: overlap
repeat: 2
warmup: 0
strategies: [sequential, { threads: { workers: 8 } }, { coroutines: { concurrency: 8 } }, { gil: { workers: 8 } }]
workloads:
  - sleep: { tasks: 8, seconds: 50ms }
""", extra=["--tasks"])
        most = {s: n for (s, _), n in self.in_flight(out).items()}
        self.assertEqual(most["sequential"], 1)
        for name in ("threads(workers=8)", "coroutines(concurrency=8)", "gil(workers=8)"):
            # 8 waits of 50 ms: several in flight at once, never more than 8
            self.assertGreater(most[name], 1, name)
            self.assertLessEqual(most[name], 8, name)

    def test_blocking_sleep_stalls_the_event_loop(self):
        out, _ = self.run_spec("""
experiment: blocking
repeat: 1
warmup: 0
strategies: [{ coroutines: { concurrency: 4 } }]
workloads:
  - sleep: { tasks: 4, seconds: 50ms }
  - sleep: { tasks: 4, seconds: 50ms, blocking: true }
""", extra=["--tasks"])
        most = {w: n for (_, w), n in self.in_flight(out).items()}
        coop = [n for w, n in most.items() if "blocking" not in w]
        blocking = [n for w, n in most.items() if "blocking" in w]
        self.assertGreater(coop[0], 1)      # waits through the loop overlap
        self.assertEqual(blocking[0], 1)    # nanosleep holds the loop: one at a time


class Faults(Case):
    """Broken plugins are caught by name, the run goes on, nothing is lost."""

    def run_faulty(self, text, expect_rc=1, **kw):
        """run_spec with the broken test plugins on the plugin path."""
        return self.run_spec(text, env={"CONLAB_PLUGIN_PATH": TEST_PLUGINS},
                             expect_rc=expect_rc, **kw)

    def test_each_misbehaviour_is_named(self):
        out, p = self.run_faulty("""
experiment: faults
repeat: 2
warmup: 0
timeout: 3s
strategies: [loses, twice, no-fini, segv, hang, badindex, fails, sequential]
workloads:
  - noop: { tasks: 10 }
""", timeout=120)
        summary = {r["strategy_label"]: r for r in read_csv(os.path.join(out, "summary.csv"))}
        want = {
            "loses": ("wrong", "1 tasks never ran"),
            "twice": ("wrong", "ran more than once"),
            "no-fini": ("wrong", "worker_end missing"),
            "segv": ("crashed", "SIGSEGV"),
            "hang": ("timeout", "timeout of 3s"),
            "badindex": ("wrong", "index out of range"),
            "fails": ("error", "E_SYS"),
            "sequential": ("ok", ""),
        }
        for name, (status, detail) in want.items():
            self.assertIn(name, summary, p.stderr)
            self.assertEqual(summary[name]["status"], status, summary[name])
            self.assertIn(detail, summary[name]["detail"], summary[name])
        # the cell after the broken ones still ran and was measured
        self.assertEqual(summary["sequential"]["reps"], "2")
        rows = read_csv(os.path.join(out, "results.csv"))
        self.assertTrue(any(r["strategy"] == "sequential" and r["status"] == "ok" for r in rows))
        # a hung cell is stopped, not waited for: 1 repetition, then skipped
        self.assertEqual(len([r for r in rows if r["strategy_label"] == "hang"]), 1)

    def test_workload_faults(self):
        out, _ = self.run_faulty("""
experiment: wl-faults
repeat: 1
warmup: 0
strategies: [sequential, { threads: { workers: 2 } }]
workloads:
  - wrong-value: { tasks: 8 }
  - fail-some: { tasks: 8 }
  - create-fails: { tasks: 8 }
  - init-fails: { tasks: 8 }
""")
        rows = {(r["strategy_label"], r["workload"]): r
                for r in read_csv(os.path.join(out, "results.csv"))}
        r = rows[("sequential", "wrong-value")]
        self.assertEqual((r["status"], r["tasks_wrong"]), ("wrong", "1"))
        r = rows[("threads(workers=2)", "fail-some")]
        self.assertEqual((r["status"], r["tasks_failed"], r["tasks_ok"]), ("failed", "2", "6"))
        self.assertEqual(r["failure_reasons"], "flaky:2")
        r = rows[("sequential", "create-fails")]
        self.assertEqual(r["status"], "error")
        self.assertIn("create failed: connection failed", r["detail"])
        # worker 0 could not start: under threads, worker 1 does all the work
        r = rows[("threads(workers=2)", "init-fails")]
        self.assertEqual((r["status"], r["tasks_ok"]), ("ok", "8"))
        # under sequential the only worker failed: every task is missing
        r = rows[("sequential", "init-fails")]
        self.assertEqual((r["status"], r["tasks_missing"]), ("wrong", "8"))

    def test_dead_worker_process_fails_its_task_only(self):
        out, _ = self.run_faulty("""
experiment: dies
repeat: 1
warmup: 0
timeout: 30s
strategies: [{ processes: { workers: 2 } }, sequential]
workloads:
  - dies: { tasks: 20 }
""")
        rows = {r["strategy_label"]: r for r in read_csv(os.path.join(out, "results.csv"))}
        r = rows["processes(workers=2)"]
        self.assertEqual(r["status"], "failed", r)
        self.assertEqual((r["tasks_failed"], r["tasks_ok"]), ("1", "19"), r)
        self.assertIn("SIGSEGV", r["failure_reasons"])
        r = rows["sequential"]
        self.assertEqual(r["status"], "crashed")
        self.assertIn("SIGSEGV", r["detail"])

    def test_memory_limit_stops_a_hog(self):
        out, _ = self.run_faulty("""
experiment: mem
repeat: 2
warmup: 0
memory: 100MiB
strategies: [sequential]
workloads:
  - hog: { tasks: 20 }
  - noop: { tasks: 100 }
""")
        rows = read_csv(os.path.join(out, "results.csv"))
        hog = [r for r in rows if r["workload"].startswith("hog")]
        self.assertEqual(len(hog), 1)  # the cell stops at its first repetition
        self.assertEqual(hog[0]["status"], "memory", hog[0])
        self.assertIn("over the limit of 100.0 MiB", hog[0]["detail"])
        self.assertTrue(all(r["status"] == "ok" for r in rows if r["workload"].startswith("noop")))

    def test_bad_abi_plugin_is_refused_before_running(self):
        path = os.path.join(TEST_PLUGINS, "strategy_bad-major.so")
        spec = self.spec("""
experiment: abi
strategies:
  - mine: { plugin: %s }
workloads: [noop]
""" % path)
        p = run(["run", spec, "-o", os.path.join(self.dir, "o")])
        self.assertEqual(p.returncode, 2)
        self.assertIn(path, p.stderr)
        self.assertRegex(p.stderr, r"spec\.yaml:4:\d+: .*ABI 2\.0.*speaks ABI 1\.\d")
        self.assertFalse(os.path.exists(os.path.join(self.dir, "o")))


class Builtin(Case):
    """The http workload against conlab's own server: every strategy, every
    task checked, keep-alive observed through the server's /stats."""

    def setUp(self):
        super().setUp()
        self.server = subprocess.Popen([CONLAB, "serve", "--port", "0", "--quiet"],
                                       stdout=subprocess.PIPE, text=True)
        self.url = self.server.stdout.readline().strip()
        self.assertTrue(self.url.startswith("http://127.0.0.1:"), self.url)

    def tearDown(self):
        self.server.terminate()
        self.server.wait(timeout=10)
        super().tearDown()

    def connections(self):
        import json
        import urllib.request
        with urllib.request.urlopen(self.url + "/stats", timeout=10) as r:
            return json.load(r)["connections"]

    def test_every_strategy_keeps_one_connection_per_worker(self):
        for strategy, workers in (("sequential", 1), ("{ threads: { workers: 4 } }", 4),
                                  ("{ processes: { workers: 2 } }", 2),
                                  ("{ coroutines: { concurrency: 8 } }", 8),
                                  ("{ coroutines: { concurrency: 8, stacks: shared } }", 8),
                                  ("{ gil: { workers: 4 } }", 4)):
            before = self.connections()
            out, _ = self.run_spec("""
experiment: builtin
repeat: 2
warmup: 0
strategies: [%s]
workloads:
  - http: { tasks: 40, urls: ["%s/bytes/10282?delay=2ms", "%s/bytes/275"] }
""" % (strategy, self.url, self.url), extra=["--tasks"])
            opened = self.connections() - before - 1  # minus our own /stats call
            rows = read_csv(os.path.join(out, "results.csv"))
            self.assertEqual([r["status"] for r in rows], ["ok", "ok"], strategy)
            for t in read_csv(os.path.join(out, "tasks.csv")):
                self.assertEqual(t["code"], "200")
                self.assertEqual(int(t["bytes"]), 10282 if int(t["task"]) % 2 == 0 else 275)
            # reuse is on: at most one connection per worker per repetition
            self.assertLessEqual(opened, 2 * workers, strategy)
            self.assertGreaterEqual(opened, 2, strategy)


    def test_workers_of_a_thread_share_sessions(self):
        """300 coroutines with their GETs all in flight at once, under a
        400-file limit: they fit because the workers of one thread share
        libcurl multi handles (one per worker took 3 files a worker)."""
        spec = self.spec("""
experiment: sessions
repeat: 1
warmup: 0
strategies:
  - coroutines: { concurrency: 300, stacks: shared }
workloads:
  - http: { tasks: 300, urls: ["%s/bytes/275?delay=1s"] }
""" % self.url)
        out = self.path("sessions-out")
        p = subprocess.run(["prlimit", "--nofile=400:400"] + conlab_cmd() +
                           ["run", spec, "-o", out, "-q", "--tasks"],
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr)
        (row,) = read_csv(os.path.join(out, "results.csv"))
        self.assertEqual((row["status"], row["tasks_ok"]), ("ok", "300"), row)
        spans = sorted((float(t["start_s"]), float(t["end_s"]))
                       for t in read_csv(os.path.join(out, "tasks.csv")))
        # every request had started before the first one ended (a vacuous
        # pass otherwise: a slow build may start 300 coroutines in over 1 s)
        self.assertLess(spans[-1][0], min(end for _, end in spans))


class Specs(Case):
    def test_validate_reports_file_line_col(self):
        spec = self.spec("experiment: x\nrepet: 3\nstrategies: [sequential]\nworkloads: [noop]\n")
        p = run(["validate", spec])
        self.assertEqual(p.returncode, 2)
        self.assertIn(spec + ":2:1:", p.stderr)
        self.assertIn("did you mean 'repeat'", p.stderr)

    def test_unknown_plugin_lists_known(self):
        spec = self.spec("experiment: x\nstrategies:\n  - thread: { workers: 2 }\nworkloads: [noop]\n")
        p = run(["run", spec])
        self.assertEqual(p.returncode, 2)
        self.assertIn(spec + ":3:5:", p.stderr)
        self.assertIn("did you mean 'threads'", p.stderr)
        self.assertIn("nothing was run", p.stderr)

    def test_validate_shipped_experiments(self):
        src = os.path.join(os.path.dirname(__file__), "..", "..", "experiments")
        for name in sorted(os.listdir(src)):
            if name.endswith(".yaml"):
                p = run(["validate", os.path.join(src, name)])
                self.assertEqual(p.returncode, 0, name + ": " + p.stderr)

    def test_default_spec_is_embedded(self):
        p = run(["run", "--dry-run"], cwd=self.dir)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("sequential x sleep", p.stdout)
        self.assertIn("gil(workers=20) x fib", p.stdout)

    def test_help_teaches(self):
        p = run(["--help"])
        self.assertEqual(p.returncode, 0)
        for word in ("run", "validate", "list", "topology", "pinning"):
            self.assertIn(word, p.stdout)
        p = run(["run", "--help"])
        self.assertIn("Exit status", p.stdout)
        p = run(["rnu"])
        self.assertEqual(p.returncode, 2)
        self.assertIn("did you mean 'run'", p.stderr)

    def test_list_shows_parameters(self):
        p = run(["list", "threads"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"workers\s+int\s+4\s+1\.\.100000")
        p = run(["list", "nosuch"])
        self.assertEqual(p.returncode, 1)


class Columns(Case):
    """Tidy columns: plugin names, labels, seed, phases, counters, and the
    same names in `conlab report --format csv|json`."""

    SPEC = """
experiment: tidy
repeat: 3
warmup: 0
seed: 11
strategies: [sequential, counting, slow-start, { threads: { workers: 2 } }]
workloads: [{ sleep: { tasks: 4, seconds: 0.005 } }]
"""

    def test_tidy_columns(self):
        out, p = self.run_spec(self.SPEC, env={"CONLAB_PLUGIN_PATH": TEST_PLUGINS})
        rows = read_csv(os.path.join(out, "results.csv"))
        self.assertEqual(len(rows), 4 * 3)
        for r in rows:
            # plugin names where the plugin is, labels beside them
            self.assertEqual(r["workload"], "sleep")
            self.assertEqual(r["workload_label"], "sleep(tasks=4,seconds=0.005)")
            self.assertEqual(r["cell"], r["strategy_label"] + " x " + r["workload_label"])
            # each repetition's own seed, from (spec seed, cell, repetition)
            self.assertEqual(int(r["seed"]), seed_for(11, r["cell"], int(r["repetition"])), r)
            # the phases add up to the wall time
            wall = float(r["wall_s"])
            parts = [float(r[k]) for k in ("startup_s", "span_s", "teardown_s")]
            self.assertTrue(all(x >= 0 for x in parts), r)
            self.assertAlmostEqual(sum(parts), wall, delta=1e-6 + 1e-6 * wall)
            self.assertGreaterEqual(parts[1], 0.005 * (4 if r["strategy"] != "threads" else 2) * 0.9, r)
        self.assertEqual({r["strategy"] for r in rows},
                         {"sequential", "counting", "slow-start", "threads"})
        self.assertEqual({r["strategy_label"] for r in rows},
                         {"sequential", "counting", "slow-start", "threads(workers=2)"})
        # counters: the union of the strategies', empty where a strategy has none
        for r in rows:
            if r["strategy"] in ("counting", "slow-start"):
                self.assertEqual((r["counter.tasks_run"], r["counter.batches"]), ("4", "1"), r)
            else:
                self.assertEqual((r["counter.tasks_run"], r["counter.batches"]), ("", ""), r)
        # slow-start waits 40 ms before its first task: that is start-up
        for r in rows:
            if r["strategy"] == "slow-start":
                self.assertGreater(float(r["startup_s"]), 0.035, r)
            if r["strategy"] == "sequential":
                self.assertLess(float(r["startup_s"]), 0.02, r)
        summ = {s["strategy_label"]: s for s in read_csv(os.path.join(out, "summary.csv"))}
        for s in summ.values():
            self.assertEqual(s["baseline"], "sequential")
            walls = sorted(float(r["wall_s"]) for r in rows if r["cell"] == s["cell"])
            self.assertAlmostEqual(float(s["wall_median_s"]), walls[1], places=9)
            for ph in ("startup", "span", "teardown"):
                vals = sorted(float(r[ph + "_s"]) for r in rows if r["cell"] == s["cell"])
                self.assertAlmostEqual(float(s[ph + "_median_s"]), vals[1], places=9)
        base = statistics.median(float(r["wall_s"]) for r in rows if r["strategy"] == "sequential")
        t = summ["threads(workers=2)"]
        self.assertAlmostEqual(float(t["speedup"]), base / float(t["wall_median_s"]), places=6)
        self.assertTrue(float(t["speedup_ci95_lo"]) <= float(t["speedup"])
                        <= float(t["speedup_ci95_hi"]), t)
        self.assertEqual(summ["counting"]["counter_median.tasks_run"], "4")
        self.assertEqual(summ["sequential"]["counter_median.tasks_run"], "")
        # the report names them the same way, and says why slow-start is slow
        rep = json.loads(self.ok(run(["report", out, "--format", "json"])).stdout)
        self.assertEqual(rep["baseline"], "sequential")
        self.assertEqual(rep["bootstrap"]["resamples"], 2000)
        (w,) = rep["workloads"]
        self.assertEqual((w["workload"], w["workload_label"]),
                         ("sleep", "sleep(tasks=4,seconds=0.005)"))
        cells = {c["strategy_label"]: c for c in w["cells"]}
        self.assertEqual(cells["threads(workers=2)"]["strategy"], "threads")
        self.assertEqual(cells["counting"]["counters"], {"tasks_run": 4, "batches": 1})
        self.assertEqual(cells["sequential"]["counters"], {})
        self.assertEqual(cells["counting"]["seeds"],
                         [seed_for(11, "counting x sleep(tasks=4,seconds=0.005)", k)
                          for k in (1, 2, 3)])
        self.assertGreater(cells["slow-start"]["phases_s"]["startup_median"], 0.035)
        self.assertIsNotNone(cells["threads(workers=2)"]["speedup_ci95_lo"])
        slow = " ".join(cells["slow-start"]["warnings"])
        self.assertRegex(slow, r"start-up \S+ ms of \S+ ms \(\d+%\): the strategy spends "
                         r"that before the first task starts")
        self.assertNotIn("start-up", " ".join(cells["sequential"]["warnings"]))
        p = self.ok(run(["report", out, "--format", "csv"]))
        rep_rows = {r["strategy_label"]: r for r in csv.DictReader(io.StringIO(p.stdout))}
        self.assertEqual(rep_rows["threads(workers=2)"]["strategy"], "threads")
        self.assertEqual(rep_rows["threads(workers=2)"]["workload"], "sleep")
        self.assertEqual(rep_rows["slow-start"]["baseline"], "sequential")
        p = self.ok(run(["report", out]))
        self.assertIn("! slow-start: start-up", p.stdout)
        # the README's grouping works on the file as it is: no string surgery
        groups = {}
        for r in rows:
            groups.setdefault((r["strategy"], r["workers"]), []).append(float(r["wall_s"]))
        self.assertIn(("threads", "2"), groups)
        self.assertEqual(len(groups[("threads", "2")]), 3)


class Results(Case):
    def test_layout_metadata_and_latest(self):
        spec = self.spec("""
experiment: layout
repeat: 3
warmup: 1
seed: 7
strategies: [sequential, { threads: { workers: [1, 2] } }]
workloads: [{ noop: { tasks: 100 } }]
""")
        p = run(["run", spec], cwd=self.dir)
        self.assertEqual(p.returncode, 0, p.stderr)
        latest = os.path.join(self.dir, "results", "layout", "latest")
        self.assertTrue(os.path.islink(latest))
        rows = read_csv(os.path.join(latest, "results.csv"))
        self.assertEqual(len(rows), 3 * 3)
        self.assertEqual(sorted({r["repetition"] for r in rows}), ["1", "2", "3"])
        for col in ("experiment", "cell", "strategy", "workload", "repetition", "status",
                    "tasks", "tasks_ok", "tasks_failed", "wall_s", "user_s", "sys_s",
                    "throughput_per_s", "lat_p50_s", "lat_p99_s", "lat_max_s",
                    "max_rss_kib", "vol_ctxsw", "invol_ctxsw", "strategy.workers",
                    "workload.tasks", "pinning"):
            self.assertIn(col, rows[0])
        self.assertEqual({r["strategy.workers"] for r in rows}, {"", "1", "2"})
        summ = read_csv(os.path.join(latest, "summary.csv"))
        for col in ("reps", "wall_mean_s", "wall_sd_s", "wall_median_s", "wall_min_s",
                    "wall_max_s", "wall_ci95_lo_s", "wall_ci95_hi_s", "speedup"):
            self.assertIn(col, summ[0])
        for s in summ:
            walls = sorted(float(r["wall_s"]) for r in rows if r["cell"] == s["cell"])
            self.assertAlmostEqual(float(s["wall_median_s"]), walls[1], places=9)
            self.assertAlmostEqual(float(s["wall_min_s"]), walls[0], places=9)
        meta = slurp(os.path.join(latest, "run.yaml"))
        for key in ("state: complete", "seed: 7", "kernel:", "cpu:", "topology:",
                    "spec_hash: sha256:", "plugins:", "command_line:", "experiment: layout"):
            self.assertIn(key, meta)
        self.assertIn("strategies: [sequential", meta)  # the spec as given

    def test_kill9_at_random_points_then_resume(self):
        """kill -9 the host at many random moments; --resume until done: no
        row lost, none duplicated, none corrupt."""
        import random
        rnd = random.Random(1234)
        spec = self.spec("""
experiment: k9
repeat: 3
warmup: 1
strategies: [sequential, { threads: { workers: 2 } }, { processes: { workers: 2 } }]
workloads:
  - sleep: { tasks: 4, seconds: 20ms }
  - noop: { tasks: 200 }
""")
        out = os.path.join(self.dir, "out")
        first = True
        for attempt in range(14):
            args = conlab_cmd() + ["run", spec, "--tasks", "-q"]
            # no run.yaml yet: start over (--force moves aside what a kill
            # right after the start may have left in out)
            args += ["-o", out, "--force"] if first else ["--resume", out]
            proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rnd.uniform(0.0, 0.6))
            proc.kill()
            proc.wait()
            if os.path.exists(os.path.join(out, "run.yaml")):
                first = False
        p = run(["run", spec, "--tasks", "-q"] + (["-o", out, "--force"] if first else ["--resume", out]))
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = read_csv(os.path.join(out, "results.csv"))
        cells = {}
        for r in rows:
            self.assertEqual(r["status"], "ok", r)
            cells.setdefault(r["cell"], []).append(int(r["repetition"]))
        self.assertEqual(len(cells), 6)
        for cell, reps in cells.items():
            self.assertEqual(sorted(reps), [1, 2, 3], cell)
        summ = read_csv(os.path.join(out, "summary.csv"))
        self.assertEqual(sorted(s["cell"] for s in summ), sorted(cells))
        self.assertTrue(all(s["status"] == "ok" and s["reps"] == "3" for s in summ))
        tasks = read_csv(os.path.join(out, "tasks.csv"))
        keys = [(t["cell"], t["repetition"], t["task"]) for t in tasks]
        self.assertEqual(len(keys), len(set(keys)))
        self.assertEqual(len(keys), 3 * (3 * 4 + 3 * 200))
        self.assertIn("state: complete", slurp(os.path.join(out, "run.yaml")))

    def test_resume_refuses_a_changed_spec(self):
        spec = self.spec("experiment: rs\nrepeat: 1\nwarmup: 0\nstrategies: [sequential]\n"
                         "workloads: [{ noop: { tasks: 5 } }]\n")
        out = os.path.join(self.dir, "out")
        self.assertEqual(run(["run", spec, "-o", out, "-q"]).returncode, 0)
        with open(spec, "a") as f:
            f.write("seed: 9\n")
        p = run(["run", spec, "--resume", out, "-q"])
        self.assertEqual(p.returncode, 2)
        self.assertIn("different spec", p.stderr)
        self.assertEqual(run(["run", spec, "--resume", out, "--force", "-q"]).returncode, 0)

    def test_interrupt_keeps_what_was_measured(self):
        spec = self.spec("""
experiment: intr
repeat: 1
warmup: 0
strategies: [sequential]
workloads:
  - noop: { tasks: 10 }
  - sleep: { tasks: 1, seconds: 30s }
  - noop: { tasks: 20 }
""")
        out = os.path.join(self.dir, "out")
        proc = subprocess.Popen([CONLAB, "run", spec, "-o", out],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                if len(read_csv(os.path.join(out, "results.csv"))) >= 1:
                    break
            except FileNotFoundError:
                pass
            time.sleep(0.05)
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
        self.assertEqual(proc.returncode, 130, err)
        rows = read_csv(os.path.join(out, "results.csv"))
        self.assertEqual([r["status"] for r in rows], ["ok", "interrupted"])
        self.assertIn("state: interrupted", slurp(os.path.join(out, "run.yaml")))
        self.assertEqual(len(read_csv(os.path.join(out, "summary.csv"))), 2)


if __name__ == "__main__":
    [TEST_PLUGINS], argv = start(sys.argv, "CONLAB TEST_PLUGIN_DIR")
    unittest.main(argv=argv, verbosity=2)
