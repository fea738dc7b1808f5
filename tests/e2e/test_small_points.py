#!/usr/bin/env python3
"""A stopped or broken cell's row tells one story: its status, detail,
tasks_ok / tasks_failed / tasks_missing, failure_reasons and max_rss_kib agree
with each other.  Cells whose tasks hang (timeout), whose processes' memory
passes the limit, whose worker process dies, whose process dies, whose only
worker never starts, and a `processes` cell interrupted.
Run by ctest (labels e2e, reliability):
    python3 test_small_points.py CONLAB TEST_PLUGIN_DIR [ClassName...]
"""
import os
import re
import signal
import subprocess
import sys
import time
import unittest

import e2e

MIB = 1024 * 1024


def ints(row, *cols):
    return [int(row[c]) for c in cols]


def spec(strategies, workloads, **top):
    """A one-repetition spec: top-level keys (timeout, memory), the
    strategies' flow list, one workload per item of `workloads`."""
    lines = ["experiment: small", "repeat: 1", "warmup: 0"]
    lines += ["%s: %s" % kv for kv in top.items()]
    lines.append("strategies: [%s]" % strategies)
    lines.append("workloads:")
    lines += ["  - " + w for w in workloads]
    return "\n".join(lines) + "\n"


class Rows(e2e.Case):
    def run_rows(self, strategies, workloads, expect_rc=1, **top):
        """Run spec(...) with the test plugins; results.csv's rows."""
        out, _ = self.run_spec(spec(strategies, workloads, **top),
                               env={"CONLAB_PLUGIN_PATH": e2e.TEST_PLUGINS},
                               expect_rc=expect_rc)
        return e2e.read_csv(os.path.join(out, "results.csv"))

    def assertCounts(self, row):
        """Every task is counted once: ok, failed, missing or wrong."""
        ok, failed, missing, wrong, tasks = ints(
            row, "tasks_ok", "tasks_failed", "tasks_missing", "tasks_wrong", "tasks")
        self.assertEqual(ok + failed + missing + wrong, tasks, row)
        reasons = sum(int(n) for n in re.findall(r":(\d+)(?:;|$)", row["failure_reasons"]))
        self.assertEqual(reasons, failed, row)

    def assertRssAgrees(self, row):
        """The MiB the detail names is max_rss_kib, to the detail's 0.1 MiB."""
        m = re.search(r"resident memory reached ([\d.]+) MiB", row["detail"])
        self.assertIsNotNone(m, row)
        self.assertAlmostEqual(float(m.group(1)), int(row["max_rss_kib"]) / 1024,
                               delta=0.051, msg=row)


class Timeout(Rows):
    def test_detail_counts_finished_tasks(self):
        # tasks 0..2 finish at once, every later one hangs: under `processes`
        # with 3 workers each worker ends up in one of tasks 3, 4, 5
        rows = self.run_rows("sequential, { processes: { workers: 3 } }, "
                             "{ threads: { workers: 3 } }, coroutines",
                             ["hangs: { tasks: 8 }"], timeout="1s")
        self.assertEqual(len(rows), 4)
        started = {"sequential": 1, "coroutines": 5}
        for r in rows:
            self.assertEqual(r["status"], "timeout", r)
            self.assertEqual(r["tasks_ok"], "3", r)
            n = started.get(r["strategy_label"], 3)
            self.assertEqual(ints(r, "tasks_failed", "tasks_missing"), [n, 5 - n], r)
            self.assertIn("(3 of 8 tasks finished, 3 ok; %d started and unfinished)" % n,
                          r["detail"])
            self.assertEqual(r["failure_reasons"],
                             "still running when the cell timed out:%d" % n, r)
            self.assertCounts(r)

    def test_strategy_hanging_after_the_tasks(self):
        rows = self.run_rows("hang", ["noop: { tasks: 6 }"], timeout="500ms")
        r, = rows
        self.assertEqual(r["status"], "timeout", r)
        self.assertTrue(r["detail"].endswith("(6 of 6 tasks finished, 6 ok)"), r)
        self.assertCounts(r)

    def test_all_tasks_hanging(self):
        rows = self.run_rows("{ processes: { workers: 2 } }",
                             ["sleep: { tasks: 4, seconds: 1h }"], timeout="500ms")
        r, = rows
        self.assertEqual(r["status"], "timeout", r)
        self.assertEqual(ints(r, "tasks_ok", "tasks_failed", "tasks_missing"), [0, 2, 2], r)
        self.assertIn("(0 of 4 tasks finished, 0 ok; 2 started and unfinished)", r["detail"])
        self.assertCounts(r)
        # the group was sampled before it was killed: three processes' worth
        self.assertGreater(int(r["max_rss_kib"]), 0, r)


class Memory(Rows):
    def test_processes_cell_counts_its_workers(self):
        # four worker processes each keep 32 MiB per task: the group passes
        # 200 MiB while no single process holds more than about 64 MiB
        rows = self.run_rows("{ processes: { workers: 4 } }, sequential",
                             ["hog: { tasks: 40 }"], memory="200MiB")
        self.assertEqual(len(rows), 2)
        for r in rows:
            self.assertEqual(r["status"], "memory", r)
            self.assertIn("over the limit of 200.0 MiB", r["detail"])
            self.assertGreater(int(r["max_rss_kib"]) * 1024, 200 * MIB, r)
            self.assertRssAgrees(r)
            self.assertCounts(r)
            n = int(r["tasks_failed"])
            if n:
                self.assertEqual(r["failure_reasons"],
                                 "still running when the cell was stopped for memory:%d" % n, r)

    def test_under_the_limit_is_ok(self):
        rows = self.run_rows("{ processes: { workers: 2 } }", ["hog: { tasks: 4 }"],
                             memory="1GiB", expect_rc=0)
        r, = rows
        self.assertEqual(r["status"], "ok", r)
        self.assertCounts(r)
        # each worker ran two tasks: at least 64 MiB in one process
        self.assertGreaterEqual(int(r["max_rss_kib"]), 64 * 1024, r)


class Crash(Rows):
    def test_dead_worker_and_dead_cell(self):
        rows = self.run_rows("{ processes: { workers: 2 } }, sequential",
                             ["dies: { tasks: 20 }"], timeout="30s")
        by = {r["strategy_label"]: r for r in rows}
        r = by["processes(workers=2)"]
        self.assertEqual(r["status"], "failed", r)
        self.assertEqual(ints(r, "tasks_ok", "tasks_failed"), [19, 1], r)
        self.assertEqual(r["detail"], "1 of 20 tasks failed", r)
        self.assertRegex(r["failure_reasons"], r"^worker process [01] killed by SIGSEGV:1$", r)
        self.assertCounts(r)
        r = by["sequential"]
        self.assertEqual(r["status"], "crashed", r)
        self.assertEqual(r["detail"], "killed by SIGSEGV while the strategy ran", r)
        self.assertEqual(ints(r, "tasks_ok", "tasks_failed", "tasks_missing"), [5, 1, 14], r)
        self.assertEqual(r["failure_reasons"],
                         "still running when the cell's process died:1", r)
        self.assertCounts(r)

    def test_the_only_worker_never_started(self):
        # no task ran, and none failed: the detail says why
        rows = self.run_rows("sequential", ["init-fails: { tasks: 8 }"])
        r, = rows
        self.assertEqual(r["status"], "wrong", r)
        self.assertEqual(r["detail"],
                         "8 tasks never ran (worker_init failed on 1 of 1 workers)", r)
        self.assertEqual(ints(r, "tasks_ok", "tasks_failed", "tasks_missing"), [0, 0, 8], r)
        self.assertCounts(r)


class Interrupt(Rows):
    def test_processes_cell_interrupted(self):
        # SIGINT kills the running cell's group from the handler: the row
        # says interrupted (not "crashed" by that SIGKILL)
        path = self.spec(spec("{ processes: { workers: 3 } }",
                              ["noop: { tasks: 4 }", "sleep: { tasks: 9, seconds: 30s }"]))
        out = self.path("out")
        proc = subprocess.Popen(e2e.conlab_cmd() + ["run", path, "-o", out, "-q"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        results = os.path.join(out, "results.csv")
        deadline = time.time() + 20
        while time.time() < deadline and not (
                os.path.exists(results) and len(e2e.read_csv(results)) >= 1):
            time.sleep(0.05)
        time.sleep(0.5)  # the sleep cell's workers are in their tasks
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 130, err)
        rows = e2e.read_csv(results)
        self.assertEqual([r["status"] for r in rows], ["ok", "interrupted"], rows)
        r = rows[1]
        self.assertEqual(r["detail"], "interrupted while the strategy ran", r)
        self.assertEqual(ints(r, "tasks_ok", "tasks_failed", "tasks_missing"), [0, 3, 6], r)
        self.assertEqual(r["failure_reasons"], "still running when the run was interrupted:3", r)
        self.assertCounts(r)


if __name__ == "__main__":
    (e2e.TEST_PLUGINS,), argv = e2e.start(sys.argv, "CONLAB TEST_PLUGIN_DIR")
    unittest.main(argv=argv, verbosity=2)
