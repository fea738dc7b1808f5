#!/usr/bin/env python3
"""End-to-end tests of the fork-join workloads (pfib, skynet, nqueens,
matmul; issue 10): every strategy `conlab list` shows — the built-in five
and whatever strategy plugins are built next to conlab — runs each of them
at small sizes with every task checked, the values are the known answers,
`conlab check` passes each workload, and bad parameters are refused before
anything runs.  Run by ctest:

    python3 test_forkjoin.py CONLAB [ClassName...]
"""
import os
import re
import sys
import unittest

import e2e

WORKLOADS = ["pfib", "skynet", "nqueens", "matmul"]

# name -> (spec entry, {workload params as in results.csv -> expected value}
# or None when only agreement across strategies can be checked).  Small, but
# each forks several levels deep, with uneven splits and both cutoff ends.
SPECS = """\
  - pfib:    { tasks: 6, n: 18, cutoff: [0, 12] }
  - skynet:  { tasks: 6, size: [10000, 1001], fanout: [10, 3] }
  - nqueens: { tasks: 6, n: 8, cutoff: [0, 2] }
  - matmul:  { tasks: 4, n: 64, cutoff: [8, 64] }
"""


def fib(k):
    a, b = 0, 1
    for _ in range(k):
        a, b = b, a + b
    return a


def known_value(row):
    """The value every task of results row `row` must return, computed here
    from first principles (None for matmul: its inputs are seeded)."""
    w = row["workload_plugin"]
    if w == "pfib":
        return fib(int(row["workload.n"]))
    if w == "skynet":
        n = int(row["workload.size"])
        return n * (n - 1) // 2
    if w == "nqueens":
        return {8: 92}[int(row["workload.n"])]
    return None


def listed_plugins():
    """{"strategies": {name: [param...]}, "workloads": {...}} from `conlab
    list` (the plugins next to conlab: CONLAB_PLUGIN_PATH unset)."""
    p = e2e.run(["list"], env={"CONLAB_PLUGIN_PATH": ""})
    if p.returncode != 0:
        raise AssertionError("conlab list failed:\n" + p.stderr)
    out = {"strategies": {}, "workloads": {}}
    section, current, in_table = None, None, False
    for line in p.stdout.splitlines():
        if line in ("strategies:", "workloads:"):
            section, current = line[:-1], None
            continue
        m = re.match(r"^  ([a-z0-9_-]+)\s", line)
        if section and m:
            current = out[section].setdefault(m.group(1), [])
            in_table = False
            continue
        if current is None:
            continue
        if re.match(r"^    parameter\s+type", line):
            in_table = True
        elif in_table and re.match(r"^    [a-z0-9_]+\s", line):
            current.append(line.split()[0])
    return out


class ForkJoin(e2e.Case):
    """Every built strategy x the four fork-join workloads."""

    @classmethod
    def setUpClass(cls):
        cls.plugins = listed_plugins()

    def test_the_workloads_are_listed(self):
        for w in WORKLOADS:
            self.assertIn(w, self.plugins["workloads"])
        self.assertEqual(self.plugins["workloads"]["skynet"],
                         ["tasks", "size", "fanout", "cutoff"])
        self.assertEqual(self.plugins["workloads"]["matmul"],
                         ["tasks", "n", "cutoff"])

    def strategy_entries(self):
        """One spec entry per built strategy: 1 and 2 workers when it has a
        `workers` parameter (so parallel spawners really run children on two
        workers), its defaults otherwise."""
        entries = []
        for name, params in sorted(self.plugins["strategies"].items()):
            if "workers" in params:
                entries.append("  - %s: { workers: [1, 2] }" % name)
            elif "concurrency" in params:
                entries.append("  - %s: { concurrency: 3 }" % name)
            else:
                entries.append("  - " + name)
        return entries

    def test_every_strategy_every_workload(self):
        for s in ("sequential", "threads", "processes", "coroutines", "gil"):
            self.assertIn(s, self.plugins["strategies"])
        entries = self.strategy_entries()
        out, p = self.run_spec("experiment: forkjoin-e2e\n" + e2e.TWICE_PINNED
                               + "strategies:\n" + "\n".join(entries)
                               + "\nworkloads:\n" + SPECS, extra=["--tasks"],
                               timeout=600)
        rows = e2e.read_csv(os.path.join(out, "results.csv"))
        n_strategy_variants = sum(2 if "[1, 2]" in e else 1 for e in entries)
        # 2 + 4 + 2 + 2 workload variants, 2 repetitions each
        self.assertEqual(len(rows), n_strategy_variants * 10 * 2)
        for r in rows:
            r["workload_plugin"] = r["workload"].split("(")[0]
        seen_strategies = set()
        for r in rows:
            self.assertEqual(r["status"], "ok", r)
            self.assertEqual(r["tasks_ok"], r["tasks"], r)
            self.assertEqual(r["tasks_wrong"], "0", r)
            self.assertEqual(r["tasks_missing"], "0", r)
            self.assertEqual(r["tasks_duplicated"], "0", r)
            seen_strategies.add(r["strategy"].split("(")[0])
        self.assertEqual(seen_strategies, set(self.plugins["strategies"]))
        # the values themselves: the known answers, and for matmul (whose
        # matrices come from the repetition's seed) one checksum for every
        # task of a repetition
        by_cell = {(r["cell"]): r for r in rows}
        matmul = {}
        for t in e2e.read_csv(os.path.join(out, "tasks.csv")):
            self.assertEqual(t["status"], "ok", t)
            r = by_cell[t["cell"]]
            want = known_value(r)
            if want is not None:
                self.assertEqual(int(t["value"]), want, t)
            else:
                key = (t["cell"], t["repetition"])
                matmul.setdefault(key, set()).add(t["value"])
        self.assertTrue(matmul)
        for values in matmul.values():
            self.assertEqual(len(values), 1, values)

    def test_conlab_check_passes_each_workload(self):
        # every check but waits-through-host: these workloads never wait, and
        # that check calls a workload CPU-bound only when sequential's CPU
        # time is half its wall time or more — on a machine loaded by other
        # jobs it is not, and the timing comparison then misfires.
        p = e2e.run(["check", "--help"])
        names = re.search(r"checks of a workload:(.*?)\n\n", p.stdout, re.S)
        self.assertIsNotNone(names, p.stdout)
        only = [c for c in names.group(1).split() if c != "waits-through-host"]
        self.assertIn("deterministic-expected", only)
        for w in WORKLOADS:
            with self.subTest(workload=w):
                p = e2e.run(["check", w, "--only", ",".join(only)],
                            env={"CONLAB_PLUGIN_PATH": ""})
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
                self.assertNotIn("FAIL", p.stdout)
                self.assertIn("\n%d passed, 0 failed" % len(only), p.stdout)

    def test_bad_parameters_are_refused(self):
        cases = [
            ("skynet: { size: 0 }", r":3:\d+: error: .*'size' = 0 is out of range"),
            ("skynet: { fanout: 17 }", r":3:\d+: error: .*'fanout' = 17 is out of range"),
            ("nqueens: { n: 17 }", r":3:\d+: error: .*'n' = 17 is out of range"),
            ("matmul: { cutoff: 0 }", r":3:\d+: error: .*'cutoff' = 0 is out of range"),
            ("pfib: { n: 61 }", r":3:\d+: error: .*'n' = 61 is out of range"),
        ]
        for entry, want in cases:
            with self.subTest(entry=entry):
                path = self.spec("strategies: [sequential]\nworkloads:\n  - %s\n" % entry)
                p = e2e.run(["validate", path])
                self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
                self.assertRegex(p.stderr, want)

    def test_matmul_needs_a_power_of_two(self):
        out, p = self.run_spec("""\
experiment: mm
repeat: 1
warmup: 0
strategies: [sequential]
workloads:
  - matmul: { tasks: 1, n: [48, 16], cutoff: 32 }
""", expect_rc=1)
        self.assertIn("n must be a power of two no smaller than cutoff "
                      "(n = 48, cutoff = 32)", p.stderr)
        self.assertIn("(n = 16, cutoff = 32)", p.stderr)
        rows = e2e.read_csv(os.path.join(out, "results.csv"))
        self.assertEqual([r["status"] for r in rows], ["error", "error"])


if __name__ == "__main__":
    _, argv = e2e.start(sys.argv, "CONLAB")
    unittest.main(argv=argv + ["-v"] if len(argv) == 1 else argv, verbosity=2)
