#!/usr/bin/env python3
"""End-to-end tests of the runtime strategies: workstealing (conlab's own
Chase-Lev deques), openmp (libgomp) and tbb (oneTBB), each only when built.
Every task of every cell is checked (status, value, exactly once) and ran on
its worker's planned CPU under `pinning: compact`; fork-join workloads (the
`spawntree` test workload, and pfib/skynet/nqueens/matmul when built) run
their children through each strategy's spawner; `conlab check` passes.

    python3 test_runtimes.py CONLAB TEST_PLUGIN_DIR [ClassName...]

The class Tsan is the one a ThreadSanitizer build runs (ctest -L tsan): the
workstealing strategy only (libgomp and oneTBB are not instrumented).
"""
import os
import sys
import unittest

import e2e
from e2e import Case, read_csv

TEST_PLUGINS = None
RUNTIMES = ("workstealing", "openmp", "tbb")
FORKJOIN = {  # the fork-join workloads, small
    "pfib": "{ tasks: 4, n: 22, cutoff: 12 }",
    "skynet": "{ tasks: 2, size: 10000, fanout: 10 }",
    "nqueens": "{ tasks: 2, n: 8 }",
    "matmul": "{ tasks: 2, n: 64, cutoff: 16 }",
}


def built(kind, name):
    """Is plugin kind_name.so in the build's plugin directory?"""
    return os.path.exists(os.path.join(os.path.dirname(e2e.CONLAB), "plugins",
                                       "%s_%s.so" % (kind, name)))


def strategies():
    return [s for s in RUNTIMES if built("strategy", s)]


ENV = None  # CONLAB_PLUGIN_PATH with the test plugins (spawntree)


class Runtimes(Case):
    def run_checked(self, strategies_yaml, workloads_yaml, workers):
        """Run the spec pinned; assert every cell ok and every task once,
        ok, on its worker's planned CPU.  workers: {cell strategy: n}.
        Returns the rows of results.csv."""
        out, _ = self.run_spec("experiment: runtimes\n" + e2e.TWICE_PINNED +
                               "strategies:\n" + strategies_yaml +
                               "workloads:\n" + workloads_yaml,
                               extra=["--tasks"], env=ENV)
        rows = read_csv(os.path.join(out, "results.csv"))
        self.assertTrue(rows)
        for r in rows:
            self.assertEqual(r["status"], "ok", r)
            self.assertEqual(r["tasks_ok"], r["tasks"], r)
            for k in ("tasks_failed", "tasks_missing", "tasks_duplicated",
                      "tasks_wrong"):
                self.assertEqual(r[k], "0", (k, r))
        plans = {s: self.plan(n) for s, n in workers.items()}
        seen = {}
        for t in read_csv(os.path.join(out, "tasks.csv")):
            self.assertEqual(t["status"], "ok", t)
            strat = t["cell"].split(" x ")[0]
            w = int(t["worker"])
            self.assertLess(w, workers[strat], t)
            self.assertEqual(int(t["cpu"]), plans[strat][w], t)
            seen.setdefault((t["cell"], t["repetition"]), []).append(int(t["task"]))
        per_cell = {r["cell"]: int(r["tasks"]) for r in rows}
        self.assertEqual(len(rows), 2 * len(per_cell))  # two repetitions each
        self.assertEqual(len(seen), len(rows))
        for (cell, _), idx in seen.items():
            self.assertEqual(sorted(idx), list(range(per_cell[cell])), cell)
        return rows


class Flat(Runtimes):
    """The flat workloads (fib, sleep, noop, http from the built-in server)
    under every runtime strategy and its modes."""

    def test_flat_workloads(self):
        have = strategies()
        self.assertIn("workstealing", have)  # conlab's own: always built
        lines, workers = "", {}
        for s, params, n in [
                ("workstealing", "workers: 2", 2),
                ("workstealing", "workers: 3, steal: round-robin", 3),
                ("workstealing", "workers: 2, steal: none", 2),
                ("openmp", "workers: 2, schedule: dynamic, chunk: 2", 2),
                ("openmp", "workers: 3, schedule: guided", 3),
                ("tbb", "workers: 2", 2),
                ("tbb", "workers: 3, partitioner: static", 3)]:
            if s in have:
                lines += "  - %s: { %s }\n" % (s, params)
                workers["%s(%s)" % (s, params.replace(": ", "=").replace(" ", ""))] = n
        self.run_checked(lines, """\
  - fib: { tasks: 6, n: [18] }
  - sleep: { tasks: 10, seconds: 5ms }
  - noop: { tasks: 300 }
  - http: { tasks: 12, urls: ["builtin:/bytes/275?delay=2ms", "builtin:/bytes/10282"] }
""", workers)


class ForkJoin(Runtimes):
    """Fork-join workloads: every child through the strategy's spawner."""

    def test_forkjoin_workloads(self):
        lines = "".join("  - %s: { workers: 2 }\n" % s for s in strategies())
        lines += "  - workstealing: { workers: 3, steal: none }\n"
        workers = {"%s(workers=2)" % s: 2 for s in strategies()}
        workers["workstealing(workers=3,steal=none)"] = 3
        # wide: 500 children pending at once in one group (deques grow)
        wl = "  - spawntree: { tasks: 8, n: 18, cutoff: 5, wide: 500 }\n"
        wl += "".join("  - %s: %s\n" % (w, p) for w, p in FORKJOIN.items()
                      if built("workload", w))
        self.run_checked(lines, wl, workers)

    def test_counters_count_every_spawn(self):
        """The `spawns` counter (counter.spawns in results.csv) of every
        runtime equals the spawns the workload made: a skynet of 1,000 leaves,
        fanout 10, spawns 10 + 100 + 1,000 children per task."""
        if not built("workload", "skynet"):
            self.skipTest("skynet is not built")
        lines = "".join("  - %s: { workers: 2 }\n" % s for s in strategies())
        workers = {"%s(workers=2)" % s: 2 for s in strategies()}
        rows = self.run_checked(lines, "  - skynet: { tasks: 3, size: 1000, "
                                "fanout: 10 }\n", workers)
        for r in rows:
            self.assertEqual(r["counter.spawns"], str(3 * 1110), r["cell"])
            if r["strategy"] == "workstealing":
                self.assertNotEqual(r["counter.steals"], "", r["cell"])
                self.assertNotEqual(r["counter.failed_steals"], "", r["cell"])

    def test_children_really_spread(self):
        """One big tree on 2 workers: its children run on both (spawntree's
        `bytes` is the set of workers its nodes ran on), except under
        `steal: none`, where they all stay on the task's worker."""
        lines = "".join("  - %s: { workers: 2 }\n" % s for s in strategies())
        lines += "  - workstealing: { workers: 2, steal: none }\n"
        out, _ = self.run_spec("experiment: spread\nrepeat: 1\nwarmup: 0\n"
                               "pinning: compact\nstrategies:\n" + lines +
                               "workloads: [{ spawntree: { tasks: 1, n: 34, "
                               "cutoff: 14 } }]\n", extra=["--tasks"], env=ENV)
        tasks = read_csv(os.path.join(out, "tasks.csv"))
        self.assertEqual(len(tasks), len(strategies()) + 1)
        for t in tasks:
            self.assertEqual(t["status"], "ok", t)
            if "steal=none" in t["cell"]:
                self.assertEqual(int(t["bytes"]), 1 << int(t["worker"]), t)
            else:
                self.assertEqual(int(t["bytes"]), 3, t)


class Check(Runtimes):
    """`conlab check` passes for every runtime strategy."""

    def test_check(self):
        for s in strategies():
            p = e2e.run(["check", s], timeout=600)
            self.assertEqual(p.returncode, 0, "%s\n%s%s" % (s, p.stdout, p.stderr))
            self.assertIn("0 failed", p.stdout, s)


class Tsan(Runtimes):
    """workstealing's deques and groups, for ThreadSanitizer builds."""

    def test_workstealing_forkjoin(self):
        modes = ["workers: 2", "workers: 3, steal: round-robin",
                 "workers: 2, steal: none"]
        lines = "".join("  - workstealing: { %s }\n" % m for m in modes)
        workers = {"workstealing(%s)" % m.replace(": ", "=").replace(" ", ""):
                   int(m.split(",")[0].split()[1]) for m in modes}
        wl = "  - spawntree: { tasks: 6, n: 16, cutoff: 3, wide: 300 }\n"
        wl += "  - noop: { tasks: 200 }\n"
        if built("workload", "skynet"):
            wl += "  - skynet: { tasks: 2, size: 1000, fanout: 10 }\n"
        self.run_checked(lines, wl, workers)


if __name__ == "__main__":
    dirs, argv = e2e.start(sys.argv, "CONLAB TEST_PLUGIN_DIR")
    TEST_PLUGINS = dirs[0]
    ENV = {"CONLAB_PLUGIN_PATH": TEST_PLUGINS}
    unittest.main(argv=argv, verbosity=2)
