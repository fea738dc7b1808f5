#!/usr/bin/env python3
"""The spec language end to end: a run of a `matrix:` with a `zip:`, an
`exclude:`, a `label:`, a `baseline:` and `--set` overrides (the cells run,
their names, the speedups against the baseline, run.yaml's `overrides:`,
--resume refusing other overrides); the learner-question experiments pass
validate and a dry run; a "billion laughs" and an unknown --set path are
refused.  Run by ctest (label e2e):
    python3 test_spec_lang.py CONLAB [ClassName]
"""
import glob
import os
import sys
import unittest

import e2e

# block 1: weak scaling (threads' workers grow with the tasks: 2 cells of
# threads + 2 of sequential); block 2: blocking sleep under coroutines and
# threads, sequential only non-blocking (3 cells), threads(2) labelled
SPEC = """
experiment: lang
repeat: 3
warmup: 0
baseline: sequential
matrix:
  - strategies: [sequential, threads]
    workloads: [{ sleep: { seconds: 10ms } }]
    zip:
      strategies.threads.workers: [1, 2]
      workloads.sleep.tasks: [2, 4]
  - strategies:
      - sequential
      - coroutines: { concurrency: 4 }
      - threads: { workers: 2, label: two-threads }
    workloads: [{ sleep: { tasks: 4, seconds: 10ms, blocking: [false, true] } }]
    exclude:
      - { strategy: sequential, workload.blocking: true }
      - { strategy: coroutines, workload.blocking: true }
"""

CELLS = [
    "sequential x sleep(seconds=0.01,tasks=2)",
    "threads(workers=1) x sleep(seconds=0.01,tasks=2)",
    "sequential x sleep(seconds=0.01,tasks=4)",
    "threads(workers=2) x sleep(seconds=0.01,tasks=4)",
    "sequential x sleep(tasks=4,seconds=0.01,blocking=false)",
    "coroutines(concurrency=4) x sleep(tasks=4,seconds=0.01,blocking=false)",
    "two-threads x sleep(tasks=4,seconds=0.01,blocking=false)",
    "two-threads x sleep(tasks=4,seconds=0.01,blocking=true)",
]


class SpecLang(e2e.Case):
    def test_matrix_zip_exclude_set_run(self):
        spec = self.spec(SPEC)
        out = self.path("out")
        r = e2e.run(["run", "-q", "-o", out, "--set", "repeat=2",
                     "--set", "strategies.coroutines.concurrency=8", spec])
        self.assertEqual(r.returncode, 0, r.stderr)
        cells = [c.replace("concurrency=4", "concurrency=8") for c in CELLS]
        rows = e2e.read_csv(os.path.join(out, "results.csv"))
        self.assertEqual(len(rows), len(cells) * 2)  # --set repeat=2
        seen = []
        for row in rows:
            if row["cell"] not in seen:
                seen.append(row["cell"])
        self.assertEqual(seen, cells)  # the order too: blocks, workload-major
        summary = {s["cell"]: s for s in
                   e2e.read_csv(os.path.join(out, "summary.csv"))}
        for c in cells:
            if c.startswith("sequential"):
                self.assertAlmostEqual(float(summary[c]["speedup"]), 1.0)
        # blocking=true has no sequential cell: no speedup to compute
        self.assertEqual(summary[cells[7]]["speedup"], "")
        run_yaml = e2e.slurp(os.path.join(out, "run.yaml"))
        self.assertIn("overrides:", run_yaml)
        self.assertIn("strategies.coroutines.concurrency=8", run_yaml)

        # --resume with other overrides is another spec: refused
        r = e2e.run(["run", "-q", "--resume", out, "--set", "repeat=3", spec])
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("different spec", r.stderr)
        r = e2e.run(["run", "-q", "--resume", out, "--set", "repeat=2",
                     "--set", "strategies.coroutines.concurrency=8", spec])
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_baseline_variant(self):
        spec = self.spec("""
repeat: 2
warmup: 0
strategies: [sequential, { threads: { workers: [1, 2] } }]
workloads: [{ sleep: { tasks: 2, seconds: 10ms } }]
baseline: { threads: { workers: 1 } }
""")
        out = self.path("out")
        r = e2e.run(["run", "-q", "-o", out, spec])
        self.assertEqual(r.returncode, 0, r.stderr)
        s = {x["cell"]: x for x in e2e.read_csv(os.path.join(out, "summary.csv"))}
        # exactly 1 only for the baseline itself (sequential's wall time is
        # never exactly threads(1)'s)
        self.assertEqual(
            float(s["threads(workers=1) x sleep(tasks=2,seconds=0.01)"]["speedup"]), 1.0)
        self.assertNotEqual(
            float(s["sequential x sleep(tasks=2,seconds=0.01)"]["speedup"]), 1.0)

    def test_exclude_matching_nothing_warns(self):
        spec = self.spec("strategies: [sequential]\nworkloads: [sleep]\n"
                         "exclude:\n  - { strategy: threads }\n")
        r = e2e.run(["validate", spec])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(spec + ":4:5: warning: this 'exclude' item matches no cell",
                      r.stderr)

    def test_learner_questions(self):
        src = os.path.join(os.path.dirname(__file__), "..", "..", "experiments")
        specs = sorted(glob.glob(os.path.join(src, "q-*.yaml")))
        self.assertEqual(len(specs), 3)
        for spec in specs:
            r = e2e.run(["validate", spec])
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertNotIn("warning", r.stderr)
            r = e2e.run(["run", "-n", spec])
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_refusals(self):
        laughs = ["a0: &a0 [" + ", ".join(["lol"] * 10) + "]"]
        for i in range(1, 9):
            laughs.append("a%d: &a%d [%s]" % (i, i, ", ".join(["*a%d" % (i - 1)] * 10)))
        spec = self.spec("\n".join(laughs) + "\nstrategies: [sequential]\n"
                         "workloads: [sleep]\n")
        r = e2e.run(["run", spec], timeout=60)
        self.assertEqual(r.returncode, 2)
        self.assertIn("more than 1000000 nodes", r.stderr)
        self.assertIn("nothing was run", r.stderr)

        spec = self.spec("strategies: [sequential]\nworkloads: [sleep]\n")
        r = e2e.run(["run", "-n", "--set", "workloads.slep.tasks=3", spec])
        self.assertEqual(r.returncode, 2)
        self.assertIn("--set workloads.slep.tasks: error: no workload 'slep' "
                      "in the spec (did you mean 'sleep'?)", r.stderr)
        r = e2e.run(["validate", "--set", "repat=3", spec])
        self.assertEqual(r.returncode, 2)
        self.assertIn("did you mean 'repeat'?", r.stderr)


if __name__ == "__main__":
    _, argv = e2e.start(sys.argv, "CONLAB")
    unittest.main(argv=argv, verbosity=2)
