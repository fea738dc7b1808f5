#!/usr/bin/env python3
"""`conlab compare`: two back-to-back runs of one spec report no change (and
pass --fail-on any); a cell made 2x slower is flagged and fails --fail-on
slower; the correction across cells, the threshold, and the warnings of
either run.  Run by ctest (label e2e):
    python3 test_compare.py CONLAB [ClassName]
"""
import csv
import io
import json
import sys
import unittest

import e2e
from e2e import run as conlab
from test_report import RUN_YAML_BAD, RUN_YAML_OK, STEADY, write_run

SAME_SPEC = """experiment: twice
repeat: 7
warmup: 1
timeout: 60s
strategies:
  - threads: { workers: [2, 4] }
workloads:
  - sleep: { tasks: 20, seconds: 10ms }
"""

# seven repetitions a side: the exact test's smallest p is 2/3432
SEVEN = STEADY + [0.1002, 0.0997]


def verdicts(p):
    """{strategy label: cell} of a JSON comparison."""
    return {c["cell"].split(" x ")[0]: c for c in json.loads(p.stdout)["cells"]}


class Compare(e2e.Case):
    def compare(self, a, b, *args, rc=0):
        return self.ok(conlab(["compare", a, b, *args]), rc)

    def test_back_to_back_runs_report_no_change(self):
        a, _ = self.run_spec(SAME_SPEC, ["-q"], name="a")
        b, _ = self.run_spec(SAME_SPEC, ["-q"], name="b")
        p = self.compare(a, b, "--fail-on", "any", "--format", "json")
        cells = verdicts(p)
        self.assertEqual(sorted(cells), ["threads(workers=2)", "threads(workers=4)"])
        for name, c in cells.items():
            self.assertFalse(c["changed"], c)
            self.assertEqual((c["a_reps"], c["b_reps"]), (7, 7))
            self.assertAlmostEqual(c["ratio"], 1, delta=0.3)  # a loaded VM drifts
        self.assertEqual(json.loads(p.stdout)["correction"], "holm")
        text = self.compare(a, b, "--fail-on", "any").stdout
        self.assertNotIn("**", text.split("\n\n")[1])  # no flagged row in the table
        self.assertIn("Holm-Bonferroni", text)

    def test_2x_slower_cell_is_flagged_and_fails_the_gate(self):
        a, b = self.path("a"), self.path("b")
        write_run(a, [("sequential", 1, SEVEN), ("threads(workers=2)", 2, SEVEN),
                      ("threads(workers=4)", 4, SEVEN)])
        write_run(b, [("sequential", 1, [x * 1.001 for x in SEVEN]),
                      ("threads(workers=2)", 2, [2 * x for x in SEVEN]),
                      ("threads(workers=4)", 4, [x * 1.03 for x in SEVEN])])
        # a report, not a gate, unless asked
        p = self.compare(a, b, "--format", "json")
        cells = verdicts(p)
        self.assertEqual(cells["threads(workers=2)"]["verdict"], "slower")
        self.assertAlmostEqual(cells["threads(workers=2)"]["ratio"], 2, delta=0.01)
        # Holm over 3 cells: the smallest p (2/3432) times 3
        self.assertAlmostEqual(cells["threads(workers=2)"]["p_adjusted"], 3 * 2 / 3432,
                               places=9)
        # 3% slower in every repetition: significant, but under the threshold
        self.assertLess(cells["threads(workers=4)"]["p"], 0.01)
        self.assertEqual(cells["threads(workers=4)"]["verdict"], "same")
        self.assertEqual(cells["sequential"]["verdict"], "same")
        self.assertFalse(json.loads(p.stdout)["failed"])
        for gate, rc in (("slower", 1), ("any", 1), ("faster", 0), ("none", 0)):
            p = self.compare(a, b, "--fail-on", gate, rc=rc)
            self.assertIn("** slower", p.stdout)
        # the other way round it is faster
        self.compare(b, a, "--fail-on", "slower")
        self.compare(b, a, "--fail-on", "faster", rc=1)
        # a smaller threshold flags the 3% too
        p = self.compare(a, b, "--threshold", "1", "--format", "csv")
        rows = {r["cell"].split(" x ")[0]: r for r in csv.DictReader(io.StringIO(p.stdout))}
        self.assertEqual(rows["threads(workers=4)"]["verdict"], "slower")
        self.assertEqual(rows["threads(workers=4)"]["changed"], "1")
        self.assertEqual(rows["sequential"]["verdict"], "same")

    def test_correction_across_cells(self):
        # ten cells, each 10% slower in every one of 5 repetitions: each p is
        # 2/252 = 0.008 on its own, but Holm multiplies the smallest by 10
        a, b = self.path("a"), self.path("b")
        cells = [("threads(workers=%d)" % w, w) for w in range(1, 11)]
        write_run(a, [(n, w, STEADY) for n, w in cells])
        write_run(b, [(n, w, [1.1 * x for x in STEADY]) for n, w in cells])
        holm = verdicts(self.compare(a, b, "--format", "json", "--fail-on", "any"))
        for c in holm.values():
            self.assertAlmostEqual(c["p"], 2 / 252, places=9)
            self.assertAlmostEqual(c["p_adjusted"], 20 / 252, places=9)
            self.assertEqual(c["verdict"], "too few")
        # Benjamini-Hochberg: all ten as extreme, so each stays at 2/252
        bh = verdicts(self.compare(a, b, "--format", "json", "--correction", "bh",
                                   "--fail-on", "slower", rc=1))
        for c in bh.values():
            self.assertAlmostEqual(c["p_adjusted"], 2 / 252, places=9)
            self.assertEqual(c["verdict"], "slower")
        none = verdicts(self.compare(a, b, "--format", "json", "--correction", "none"))
        self.assertTrue(all(c["verdict"] == "slower" for c in none.values()))
        self.assertIn("Benjamini-Hochberg",
                      self.compare(a, b, "--correction", "bh", "--fail-on", "any", rc=1).stdout)

    def test_warnings_of_either_run_are_repeated(self):
        a, b = self.path("a"), self.path("b")
        write_run(a, [("sequential", 1, STEADY)])
        write_run(b, [("sequential", 1, STEADY)],
                  run_yaml=RUN_YAML_BAD.replace("testhost", "otherhost"))
        p = self.compare(a, b)
        head = p.stdout.split("\n\n")[0]
        self.assertIn("B: the machine was busy", head)
        self.assertIn("B: ran in a virtual machine (KVM)", head)
        self.assertIn("different machines (testhost, otherhost)", head)
        self.assertNotIn("! A: ", head)
        warn = json.loads(self.compare(a, b, "--format", "json").stdout)["warnings"]
        self.assertTrue(any("B: the machine was busy" in w for w in warn), warn)
        p = self.compare(a, b, "--format", "csv")
        self.assertIn("warning: B: the machine was busy", p.stderr)
        self.assertNotIn("busy", p.stdout)
        p = self.compare(a, b, "--format", "md")
        self.assertIn("- **warning:** B: ran in a virtual machine", p.stdout)
        # what both runs say is said once
        write_run(a, [("sequential", 1, STEADY)], run_yaml=RUN_YAML_BAD)
        warn = json.loads(self.compare(a, b, "--format", "json").stdout)["warnings"]
        vm = [w for w in warn if "virtual machine" in w]
        self.assertEqual(len(vm), 1, warn)
        self.assertTrue(vm[0].startswith("A and B: ran in a virtual machine (KVM)"), vm)
        # a clean pair has none
        write_run(a, [("sequential", 1, STEADY)], run_yaml=RUN_YAML_OK)
        write_run(b, [("sequential", 1, STEADY)], run_yaml=RUN_YAML_OK)
        self.assertEqual(json.loads(self.compare(a, b, "--format", "json").stdout)
                         ["warnings"], [])

    def test_usage(self):
        a = self.path("a")
        write_run(a, [("sequential", 1, STEADY)])
        for args, says in ((["--correction", "bonferroni"], "holm, bh or none"),
                           (["--fail-on", "worse"], "slower, faster, any or none")):
            p = conlab(["compare", a, a] + args)
            self.assertEqual(p.returncode, 2, args)
            self.assertIn(says, p.stderr)
        p = self.compare(a, a, "--help")
        for word in ("--correction", "--fail-on", "Holm-Bonferroni", "Benjamini-Hochberg",
                     "Exit status"):
            self.assertIn(word, p.stdout)


if __name__ == "__main__":
    _, argv = e2e.start(sys.argv, "CONLAB")
    unittest.main(argv=argv, verbosity=2)
