#!/usr/bin/env python3
"""End-to-end tests of `conlab check PLUGIN`: every built-in strategy and
workload passes; each deliberately broken plugin in tests/plugins fails with
its fault named.  Run by ctest:

    python3 test_check.py CONLAB TEST_PLUGIN_DIR [ClassName]
"""
import os
import re
import tempfile
import subprocess
import sys
import time
import unittest

CONLAB = None
TEST_PLUGINS = None
STRATEGIES = ["sequential", "threads", "processes", "coroutines", "gil"]
LINE = re.compile(r"^(PASS|FAIL|SKIP) ([a-z0-9-]+)(?:(?:: | \()(.*))?$")
TOTAL = re.compile(r"^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$")


def check(args, env=None, timeout=600):
    e = dict(os.environ)
    e.pop("CONLAB_PLUGIN_PATH", None)
    if env:
        e.update(env)
    return subprocess.run([CONLAB, "check", *args], capture_output=True,
                          text=True, timeout=timeout, env=e)


def test_plugin(kind, name):
    return os.path.join(TEST_PLUGINS, "%s_%s.so" % (kind, name))


class Report:
    """The parsed output of one `conlab check`."""

    def __init__(self, proc):
        self.proc = proc
        self.results = {}  # check name -> (verdict, text)
        self.total = None
        for line in proc.stdout.splitlines():
            m = LINE.match(line)
            if m:
                self.results[m.group(2)] = (m.group(1), m.group(3) or "")
            t = TOTAL.match(line)
            if t:
                self.total = tuple(int(x or 0) for x in t.groups())

    def __str__(self):
        return "exit %d\nstdout:\n%s\nstderr:\n%s" % (
            self.proc.returncode, self.proc.stdout, self.proc.stderr)


class Case(unittest.TestCase):
    def run_check(self, args, rc=None, **kw):
        r = Report(check(args, **kw))
        if rc is not None:
            self.assertEqual(r.proc.returncode, rc, str(r))
        if r.proc.returncode in (0, 1):
            # the closing line counts exactly the verdict lines
            self.assertIsNotNone(r.total, str(r))
            verdicts = [v for v, _ in r.results.values()]
            self.assertEqual(r.total, (verdicts.count("PASS"),
                                       verdicts.count("FAIL"),
                                       verdicts.count("SKIP")), str(r))
            self.assertEqual(r.proc.returncode, 1 if r.total[1] else 0, str(r))
        return r

    def assertVerdict(self, r, name, verdict, *needles):
        self.assertIn(name, r.results, str(r))
        got, text = r.results[name]
        self.assertEqual(got, verdict, "%s: %s\n%s" % (name, text, r))
        for n in needles:
            self.assertIn(n, text, "%s: %s\n%s" % (name, text, r))


class BuiltinsPass(Case):
    """Every built-in strategy and workload passes its conformance run."""

    def test_every_builtin_strategy_passes(self):
        for s in STRATEGIES:
            with self.subTest(strategy=s):
                r = self.run_check([s], rc=0)
                for name in ("load", "params", "sleep", "fib", "noop",
                             "zero-tasks", "one-task", "many-tasks",
                             "failing-tasks", "worker-init-fails",
                             "exactly-once", "pinning"):
                    self.assertVerdict(r, name, "PASS")
                if s == "sequential":
                    self.assertVerdict(r, "more-workers-than-tasks", "SKIP", "n/a")
                else:
                    self.assertVerdict(r, "more-workers-than-tasks", "PASS",
                                       "8 workers, 3 tasks")
        r = self.run_check(["coroutines", "--only", "pinning"], rc=0)
        self.assertVerdict(r, "pinning", "PASS", "worker 0's CPU")

    def test_every_builtin_workload_passes(self):
        cases = {
            "noop": [],
            "fib": ["--param", "n=[22, 18]"],
            "sleep": ["--param", "seconds=10ms"],
            "conformance": ["--param", "max_wait=5ms"],
            "http": ["--param", "tasks=20"],
        }
        for w, extra in cases.items():
            with self.subTest(workload=w):
                r = self.run_check([w, *extra], rc=0)
                for s in STRATEGIES:
                    self.assertVerdict(r, "under-" + s, "PASS")
                self.assertVerdict(r, "worker-init-fini", "PASS")
                self.assertVerdict(r, "deterministic-expected", "PASS")
                self.assertIn("waits-through-host", r.results, str(r))

    def test_waiting_only_through_the_host(self):
        r = self.run_check(["sleep", "--param", "seconds=10ms"], rc=0)
        self.assertVerdict(r, "waits-through-host", "PASS")
        r = self.run_check(["sleep", "--param", "seconds=10ms", "--param",
                            "blocking=true"], rc=1)
        self.assertVerdict(r, "waits-through-host", "FAIL", "coroutines",
                           "blocks its thread", "w->waiter",
                           "CONLAB_WORKLOAD_F_BLOCKING")
        self.assertEqual(r.total[1], 1, str(r))  # only that check fails
        for w, extra in (("fib", ["--param", "n=[22]"]), ("noop", [])):
            r = self.run_check([w, *extra, "--only",
                                "under-sequential,waits-through-host"], rc=0)
            self.assertVerdict(r, "waits-through-host", "SKIP", "n/a")

    def test_plugin_by_path_and_by_path_variable(self):
        r = self.run_check([test_plugin("strategy", "good-old-minor")], rc=0)
        self.assertVerdict(r, "exactly-once", "PASS")
        self.assertIn("good-old-minor", r.proc.stdout.splitlines()[0])
        r = self.run_check(["loses", "--only", "noop"], rc=1,
                           env={"CONLAB_PLUGIN_PATH": TEST_PLUGINS})
        self.assertVerdict(r, "noop", "FAIL", "never ran")


class BrokenStrategies(Case):
    """Each misbehaving strategy fails, with its fault named."""

    FAULTS = {
        "loses": ("noop", "1 tasks never ran"),
        "twice": ("noop", "ran more than once"),
        "no-fini": ("noop", "worker_end missing"),
        "segv": ("noop", "SIGSEGV"),
        "badindex": ("zero-tasks", "index out of range"),
        "fails": ("noop", "run() returned E_SYS"),
    }

    def test_each_fault_is_named(self):
        for name, (check_name, needle) in self.FAULTS.items():
            with self.subTest(strategy=name):
                r = self.run_check([test_plugin("strategy", name)], rc=1)
                self.assertVerdict(r, "load", "PASS")
                self.assertVerdict(r, check_name, "FAIL", needle)
                self.assertVerdict(r, "exactly-once", "FAIL", needle)

    def test_a_hang_fails_at_the_timeout(self):
        t0 = time.monotonic()
        r = self.run_check([test_plugin("strategy", "hang"), "--timeout", "1s",
                            "--only", "noop,one-task"], rc=1)
        self.assertLess(time.monotonic() - t0, 15)
        self.assertVerdict(r, "noop", "FAIL", "timeout", "1s")
        self.assertVerdict(r, "one-task", "FAIL", "timeout")

    def test_an_unbound_strategy_fails_pinning(self):
        r = self.run_check([test_plugin("strategy", "unpinned")], rc=1)
        self.assertVerdict(r, "exactly-once", "PASS")
        self.assertVerdict(r, "pinning", "FAIL", "planned CPU", "job->bind")
        self.assertEqual(r.total[1], 1, str(r))

    def test_bad_descriptors_fail_to_load(self):
        cases = {
            ("strategy", "bad-major"): "ABI 2.0",
            ("strategy", "bad-minor"): "ABI 1.1",
            ("strategy", "bad-size"): "descriptor",
            ("strategy", "bad-ops-size"): "ops table",
            ("strategy", "bad-no-run"): "'run'",
            ("workload", "bad-no-create"): "'create'",
            ("strategy", "bad-no-entry"): "conlab_plugin_entry",
            ("strategy", "bad-param"): "config_size",
            ("strategy", "bad-name"): "invalid",
            ("strategy", "garbage"): "cannot load",
        }
        for (kind, name), needle in cases.items():
            with self.subTest(plugin=name):
                r = self.run_check([test_plugin(kind, name)], rc=1)
                self.assertVerdict(r, "load", "FAIL", needle)
                self.assertEqual(r.total, (0, 1, 0), str(r))


class BrokenWorkloads(Case):
    """Each misbehaving workload fails, with its fault named."""

    def test_each_fault_is_named(self):
        cases = {
            "wrong-value": ("under-threads", "wrong value"),
            "fail-some": ("under-threads", "flaky"),
            "create-fails": ("under-sequential", "create failed"),
            "init-fails": ("worker-init-fini", "worker_init failed"),
            "dies": ("under-threads", "SIGSEGV"),
        }
        for name, (check_name, needle) in cases.items():
            with self.subTest(workload=name):
                r = self.run_check([test_plugin("workload", name)], rc=1)
                self.assertVerdict(r, check_name, "FAIL", needle)
        r = self.run_check([test_plugin("workload", "create-fails"), "--only",
                            "deterministic-expected"], rc=1)
        self.assertVerdict(r, "deterministic-expected", "FAIL", "create failed")

    def test_conformance_workload_behaviours(self):
        r = self.run_check(["conformance", "--param", "value_offset=1",
                            "--only", "under-processes"], rc=1)
        self.assertVerdict(r, "under-processes", "FAIL", "wrong value")
        r = self.run_check(["conformance", "--param", "fail_init_worker=1",
                            "--only", "under-threads,worker-init-fini"], rc=1)
        self.assertVerdict(r, "under-threads", "PASS")
        self.assertVerdict(r, "worker-init-fini", "FAIL", "under threads",
                           "input/output error")


def alive(pid):
    """Is pid a live process (not gone, not a zombie)?"""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


class NothingLeftBehind(Case):
    """What a plugin under check forks dies with its check: the helper the
    `forks` workload's create() starts and never stops, both when the child
    exits and when it hangs past the timeout."""

    def helpers_of(self, args, env):

        with tempfile.TemporaryDirectory() as tmp:
            pids = os.path.join(tmp, "pids")
            env = dict(env, CONLAB_TEST_FORKS_PIDS=pids)
            r = self.run_check([test_plugin("workload", "forks"), *args], env=env)
            with open(pids) as f:
                found = [int(line) for line in f if line.strip()]
        return r, found

    def assertAllGone(self, pids, r):
        deadline = time.monotonic() + 5
        while any(alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [p for p in pids if alive(p)]
        for p in left:
            os.kill(p, 9)
        self.assertEqual(left, [], "helpers left running\n%s" % r)

    def test_deterministic_check_kills_what_create_forked(self):
        r, pids = self.helpers_of(["--only", "deterministic-expected"], {})
        self.assertVerdict(r, "deterministic-expected", "PASS")
        self.assertGreaterEqual(len(pids), 3, str(r))  # 2 creates + 1
        self.assertAllGone(pids, r)

    def test_hang_in_create_kills_what_it_forked(self):
        r, pids = self.helpers_of(
            ["--only", "deterministic-expected", "--timeout", "1s"],
            {"CONLAB_TEST_FORKS_HANG": "1"})
        self.assertVerdict(r, "deterministic-expected", "FAIL", "timeout")
        self.assertGreaterEqual(len(pids), 1, str(r))
        self.assertAllGone(pids, r)

    def test_runs_under_strategies_kill_what_create_forked(self):
        r, pids = self.helpers_of(["--only", "under-sequential,under-processes"], {})
        self.assertVerdict(r, "under-sequential", "PASS")
        self.assertVerdict(r, "under-processes", "PASS")
        self.assertGreaterEqual(len(pids), 2, str(r))
        self.assertAllGone(pids, r)


class CommandLine(Case):
    def test_usage_errors(self):
        p = check(["threds"])
        self.assertEqual(p.returncode, 2)
        self.assertIn("did you mean 'threads'", p.stderr)
        self.assertEqual(p.stdout, "")
        p = check(["threads", "--param", "workerz=3"])
        self.assertEqual(p.returncode, 2)
        self.assertIn("did you mean 'workers'", p.stderr)
        p = check(["threads", "--param", "workers=0"])
        self.assertEqual(p.returncode, 2)
        self.assertIn("out of range", p.stderr)
        p = check(["threads", "--only", "pinnig"])
        self.assertEqual(p.returncode, 2)
        self.assertIn("no check 'pinnig'", p.stderr)
        self.assertIn("pinning", p.stderr)
        p = check(["threads", "--timeout", "soon"])
        self.assertEqual(p.returncode, 2)
        p = check([])
        self.assertEqual(p.returncode, 2)
        p = check(["--help"])
        self.assertEqual(p.returncode, 0)
        self.assertIn("--param", p.stdout)

    def test_params_reach_the_plugin(self):
        r = self.run_check(["threads", "--param", "workers=3", "--only",
                            "noop"], rc=0)
        self.assertVerdict(r, "noop", "PASS")
        self.assertEqual(set(r.results), {"load", "noop"})


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: test_check.py CONLAB TEST_PLUGIN_DIR [ClassName...]")
    CONLAB = os.path.abspath(sys.argv[1])
    TEST_PLUGINS = os.path.abspath(sys.argv[2])
    unittest.main(argv=[sys.argv[0], "-v", *sys.argv[3:]])
