#!/usr/bin/env python3
"""Run directories conlab did not write, and names that would do harm where
they are written (issue 14: nothing lost, nothing trusted blindly).  Run by
ctest:

    python3 test_hostile.py CONLAB [ClassName...]

Inconsistent  report, plot, compare, merge and status on directories put
              together by hand (the summary.csv of one run beside the
              results.csv of another, missing columns, words where numbers
              are due, ...): exit 2 naming FILE:LINE: cell 'NAME': why,
              never a crash.
Neutral       a strategy named like a spreadsheet formula and a URL with a
              password: the CSV cells are prefixed with ', the password is
              *** in every file and every output, --resume still works;
              Markdown and terminal output carry no markup or escapes.
"""
import csv
import os
import re
import shutil
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

import e2e
from e2e import read_csv, slurp
from e2e import run as conlab

SPEC_A = """experiment: a
repeat: 2
warmup: 0
strategies:
  - sequential
  - threads: { workers: 2 }
workloads:
  - sleep: { tasks: 4, seconds: 1ms }
"""

# no strategy parameter at all: results.csv has no strategy.* column, the
# summary.csv of A has one (what crashed the series builder)
SPEC_C = """experiment: c
repeat: 2
warmup: 0
strategies:
  - sequential
workloads:
  - sleep: { tasks: 2, seconds: 1ms }
"""


class Runs(e2e.Case):
    """Two small real runs, A and C, made once for the class."""

    @classmethod
    def setUpClass(cls):
        cls.tmp_class = tempfile.TemporaryDirectory(prefix="conlab-hostile-")
        cls.runs = {}
        for name, text in [("a", SPEC_A), ("c", SPEC_C)]:
            spec = os.path.join(cls.tmp_class.name, name + ".yaml")
            with open(spec, "w") as f:
                f.write(text)
            out = os.path.join(cls.tmp_class.name, name)
            p = conlab(["run", spec, "-o", out, "-q"])
            if p.returncode != 0:
                raise RuntimeError("conlab run failed:\n" + p.stdout + p.stderr)
            cls.runs[name] = out

    @classmethod
    def tearDownClass(cls):
        cls.tmp_class.cleanup()

    def mix(self, name, results="a", summary="a", run_yaml="a"):
        """A directory holding results.csv, summary.csv and run.yaml taken
        from the runs named (None: left out)."""
        d = self.path(name)
        os.makedirs(d)
        for f, src in [("results.csv", results), ("summary.csv", summary),
                       ("run.yaml", run_yaml)]:
            if src:
                shutil.copy(os.path.join(self.runs[src], f), os.path.join(d, f))
        return d

    def edit(self, path, fn):
        """Rewrite the CSV file at path: fn(rows) changes the list of rows
        (the header first)."""
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
        fn(rows)
        with open(path, "w", newline="") as f:
            csv.writer(f, lineterminator="\n").writerows(rows)

    def set_state(self, d, state):
        """run.yaml of d says state instead of complete."""
        y = os.path.join(d, "run.yaml")
        text = slurp(y).replace("state: complete", "state: " + state)
        with open(y, "w") as f:
            f.write(text)

    def refused(self, args, *wanted):
        """conlab ARGS exits 2, not by a signal, saying every one of wanted
        (regular expressions) on stderr; the process."""
        p = conlab(args)
        self.assertGreaterEqual(p.returncode, 0, "killed by signal %d:\n%s"
                                % (-p.returncode, p.stderr))
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        for w in wanted:
            self.assertRegex(p.stderr, w)
        return p


class Inconsistent(Runs):
    def test_summary_of_another_run_is_named_not_a_crash(self):
        # the case: summary.csv of A beside results.csv of C
        d = self.mix("mix", results="c", summary="a", run_yaml="c")
        seq_a = re.escape("sequential x sleep(tasks=4,seconds=0.001)")
        seq_c = re.escape("sequential x sleep(tasks=2,seconds=0.001)")
        wanted = [r"summary\.csv:2: cell '%s': experiment 'a', not 'c'" % seq_a,
                  r"summary\.csv:2: cell '%s': not in results\.csv" % seq_a,
                  r"summary\.csv:3: cell 'threads\(workers=2\) x .*': strategy "
                  r"'threads' is not one run\.yaml's spec names",
                  r"summary\.csv: cell '%s': in results\.csv but not here, and "
                  r"run\.yaml says the run is complete" % seq_c]
        # the first problem of a row hides the rest of it; run.yaml of A
        # instead gives "not in results.csv" for every cell of A
        self.refused(["report", d], *wanted[0:1], wanted[2], wanted[3])
        self.refused(["report", d, "--format", "md"], wanted[0])
        self.refused(["plot", d, "-o", self.path("plots")], wanted[0])
        self.assertFalse(os.path.exists(self.path("plots", "report.html")))
        self.refused(["compare", self.runs["a"], d], wanted[0])
        d2 = self.mix("mix2", results="c", summary="a", run_yaml=None)
        self.refused(["report", d2], r"summary\.csv:2: cell '%s': experiment 'a', "
                     r"not 'c' \(the first row's\)" % seq_a)

    def test_summary_cell_not_in_results(self):
        d = self.mix("d")
        self.edit(os.path.join(d, "results.csv"),
                  lambda rows: rows.__delitem__(slice(1, 3)))  # the sequential cell
        self.refused(["report", d], r"summary\.csv:2: cell 'sequential x [^']*': "
                     r"not in results\.csv")

    def test_complete_run_missing_from_summary(self):
        d = self.mix("d")
        self.edit(os.path.join(d, "summary.csv"), lambda rows: rows.pop())
        self.refused(["report", d], r"summary\.csv: cell 'threads\(workers=2\) x "
                     r"[^']*': in results\.csv but not here")
        # a run still going has cells not in summary.csv yet: fine
        self.set_state(d, "running")
        p = conlab(["report", d])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("still running", p.stdout)

    def test_missing_columns(self):
        d = self.mix("d")

        def drop(name):
            def fn(rows):
                k = rows[0].index(name)
                for r in rows:
                    del r[k]
            return fn
        self.edit(os.path.join(d, "results.csv"), drop("status"))
        self.refused(["report", d], r"results\.csv:1: no 'status' column")
        d2 = self.mix("d2")
        self.edit(os.path.join(d2, "results.csv"), drop("wall_s"))
        self.refused(["report", d2], r"results\.csv: no conlab header")
        d3 = self.mix("d3")
        self.edit(os.path.join(d3, "summary.csv"), drop("status"))
        self.refused(["report", d3], r"summary\.csv:1: no 'status' column")

    def test_words_where_numbers_are_due(self):
        d = self.mix("d")

        def spoil(rows):
            h = rows[0]
            rows[1][h.index("wall_s")] = "fast"
            rows[2][h.index("repetition")] = "-1"
            rows[3][h.index("status")] = "great"
            rows[4][h.index("tasks")] = "1e99999999999999999999"
        self.edit(os.path.join(d, "results.csv"), spoil)
        self.refused(["report", d],
                     r"results\.csv:2: cell 'sequential x [^']*': wall_s 'fast' is "
                     r"not a number",
                     r"results\.csv:3: cell 'sequential x [^']*': repetition '-1' "
                     r"is not a whole number",
                     r"results\.csv:4: cell 'threads\(workers=2\) x [^']*': unknown "
                     r"status 'great'",
                     r"results\.csv:5: cell '[^']*': tasks '1e9+' is not a whole "
                     r"number")

    def test_rows_that_do_not_fit(self):
        d = self.mix("d")

        def spoil(rows):
            rows[1].append("extra")
            rows[2][1] = "threads(workers=2) x elsewhere"   # not strategy x workload
            rows.append(list(rows[3]))                        # a repetition twice
        self.edit(os.path.join(d, "results.csv"), spoil)
        self.refused(["report", d],
                     r"results\.csv:2: cell '[^']*': \d+ fields, the header has \d+",
                     r"results\.csv:3: cell 'threads\(workers=2\) x elsewhere': "
                     r"strategy 'sequential' and workload '[^']*' make cell",
                     r"results\.csv:6: cell 'threads[^']*': repetition 1 again")

    def test_cell_not_in_run_yaml_spec(self):
        d = self.mix("d")

        def rename(rows):
            h = rows[0]
            for r in rows[1:]:
                for col in ("strategy", "strategy_label"):
                    r[h.index(col)] = r[h.index(col)].replace("threads", "processes")
                r[h.index("cell")] = r[h.index("cell")].replace("threads", "processes")
        self.edit(os.path.join(d, "results.csv"), rename)
        self.edit(os.path.join(d, "summary.csv"), rename)
        self.refused(["report", d], r"results\.csv:4: cell 'processes\(workers=2\) x "
                     r"[^']*': strategy 'processes' is not one "
                     r"run\.yaml's spec names")

    def test_run_yaml_not_a_mapping(self):
        d = self.mix("d")
        with open(os.path.join(d, "run.yaml"), "w") as f:
            f.write("- just\n- a list\n")
        self.refused(["report", d], r"run\.yaml: not a mapping")
        with open(os.path.join(d, "run.yaml"), "w") as f:
            f.write("state: [unclosed\n")
        self.refused(["report", d], r"run\.yaml:\d+:\d+: ")

    def test_torn_last_row_is_still_fine(self):
        # a run killed mid-write: the torn last line is dropped quietly
        d = self.mix("d", summary=None)
        with open(os.path.join(d, "results.csv"), "a") as f:
            f.write("a,\"sequential x sleep(tasks=4,seconds=0.0")
        self.set_state(d, "interrupted")
        p = conlab(["report", d])
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_help_says_exit_2(self):
        p = conlab(["report", "--help"])
        self.assertIn("2 bad command line, DIR unreadable or inconsistent", p.stdout)
        self.assertIn("FILE:LINE: cell 'NAME': why", p.stdout)

    def test_merge_refuses_an_inconsistent_shard(self):
        spec = self.spec(SPEC_A)
        run = self.path("sharded")
        for i in (1, 2):
            p = conlab(["run", spec, "--shard", "%d/2" % i, "-o",
                        os.path.join(run, "shard-%d" % (i - 1)), "-q"])
            self.assertEqual(p.returncode, 0, p.stderr)
        self.edit(os.path.join(run, "shard-1", "results.csv"),
                  lambda rows: rows[1].__setitem__(rows[0].index("wall_s"), "slow"))
        p = self.refused(["merge", run],
                         r"shard-1/results\.csv:2: cell '[^']*': wall_s 'slow' is "
                         r"not a number")
        self.assertFalse(os.path.exists(os.path.join(run, "results.csv")), p.stdout)

    def test_status_names_a_bad_results_csv(self):
        spec = self.spec(SPEC_A)
        run = self.path("slurmish")
        os.makedirs(run)
        with open(os.path.join(run, "slurm.yaml"), "w") as f:
            f.write("experiment: a\nshards: 1\ncells: 2\nsubmissions: []\n")
        shard = os.path.join(run, "shard-0")
        p = conlab(["run", spec, "--shard", "1/1", "-o", shard, "-q"])
        self.assertEqual(p.returncode, 0, p.stderr)
        p = conlab(["status", run], env={"PATH": "/nonexistent"})
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        # summary.csv is never read: a bad one changes nothing
        self.edit(os.path.join(shard, "summary.csv"),
                  lambda rows: rows[1].__setitem__(rows[0].index("status"), "bogus"))
        p = conlab(["status", run], env={"PATH": "/nonexistent"})
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.edit(os.path.join(shard, "results.csv"),
                  lambda rows: rows[1].__setitem__(rows[0].index("status"), "bogus"))
        p = conlab(["status", run], env={"PATH": "/nonexistent"})
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertRegex(p.stdout, r"incomplete .*results\.csv:2: cell '[^']*': "
                         r"unknown status 'bogus'")


FORMULA = "=HYPERLINK(\"http://evil\")"


class Neutral(e2e.Case):
    """Names that would do harm: a formula, a password in a URL, markup."""

    def hostile_spec(self, plugins):
        return """experiment: -hostile
repeat: 2
warmup: 0
timeout: 30s
strategies:
  - sequential
  - '%s': { plugin: %s/strategy_threads.so, workers: 2 }
  - '<b>x</b>|*y*': { plugin: %s/strategy_threads.so, workers: 3 }
workloads:
  - http: { tasks: 2, urls: ["http://user:s3cr3t@127.0.0.1:9/a"] }
""" % (FORMULA, plugins, plugins)

    def test_formula_password_markup(self):
        plugins = os.path.join(os.path.dirname(e2e.CONLAB), "plugins")
        spec = self.spec(self.hostile_spec(plugins))
        out = self.path("run")
        p = conlab(["run", spec, "-o", out, "--tasks"])
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)  # connection refused
        self.assertNotIn("s3cr3t", p.stdout + p.stderr)
        self.assertIn("user:***@127.0.0.1", p.stdout)
        for f in ["results.csv", "summary.csv", "run.yaml", "tasks.csv"]:
            self.assertNotIn("s3cr3t", slurp(os.path.join(out, f)), f)
        # the spec recorded in run.yaml is masked and says so
        self.assertIn("spec_masked: true", slurp(os.path.join(out, "run.yaml")))
        # CSV: the formula is a text cell (OWASP), numbers are untouched;
        # read back by conlab itself it is the label again
        for f in ["results.csv", "summary.csv"]:
            with open(os.path.join(out, f), newline="") as fh:
                rows = list(csv.DictReader(fh))
            strategies = {r["strategy_label"] for r in rows}
            self.assertIn("'" + FORMULA + "(workers=2)", strategies, f)
            self.assertIn("'-hostile", {r["experiment"] for r in rows}, f)
            for r in rows:
                self.assertFalse(r["cell"].startswith(("=", "+", "-", "@")), r["cell"])
        p = conlab(["report", out, "--format", "csv"])
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = list(csv.DictReader(p.stdout.splitlines()))
        self.assertIn("'" + FORMULA + "(workers=2)", {r["strategy_label"] for r in rows})
        self.assertTrue(all(r["workers"].isdigit() for r in rows))
        p = conlab(["report", out, "--format", "json"])
        self.assertIn('"strategy_label":"=HYPERLINK', p.stdout.replace(" ", ""))
        # Markdown: no raw HTML, no table-breaking pipe, no emphasis
        p = conlab(["report", out, "--format", "md"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn("<b>", p.stdout)
        self.assertIn("&lt;b&gt;x&lt;/b&gt;\\|\\*y\\*", p.stdout)
        for line in p.stdout.splitlines():
            if line.startswith("| ") and "workers=3" in line:
                self.assertEqual(len(re.findall(r"(?<!\\)\|", line)), 13, line)
        self.assertNotIn("s3cr3t", p.stdout)
        # --resume with the very spec (password and all) finds every cell done
        before = slurp(os.path.join(out, "results.csv"))
        p = conlab(["run", spec, "--resume", out, "-q"])
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertNotIn("s3cr3t", p.stdout + p.stderr)
        self.assertEqual(slurp(os.path.join(out, "results.csv")), before)

    def test_terminal_escapes_from_the_files(self):
        # a directory from elsewhere naming a strategy with ESC and OSC
        d = self.path("evil")
        os.makedirs(d)
        name = "sequential\x1b]0;pwned\x07\x1b[31m"
        with open(os.path.join(d, "results.csv"), "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["experiment", "cell", "strategy", "workload", "repetition",
                        "status", "wall_s", "detail"])
            for rep in (1, 2):
                w.writerow(["x", name + " x sleep", name, "sleep", rep, "failed",
                            "0.01", "bad \x1b[2J thing"])
        for fmt in ["text", "md"]:
            p = conlab(["report", d, "--format", fmt])
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertNotIn("\x1b", p.stdout + p.stderr, fmt)
            self.assertNotIn("\x07", p.stdout + p.stderr, fmt)
        self.assertIn("\\x1b]0;pwned\\x07", conlab(["report", d]).stdout)
        p = conlab(["compare", d, d])
        self.assertNotIn("\x1b", p.stdout + p.stderr)
        # SVG and HTML: escaped, and still well-formed XML
        plots = self.path("plots")
        p = conlab(["plot", d, "-o", plots])
        self.assertEqual(p.returncode, 0, p.stderr)
        svgs = [f for f in os.listdir(plots) if f.endswith(".svg")]
        self.assertTrue(svgs)
        for f in svgs:
            text = slurp(os.path.join(plots, f))
            self.assertNotIn("\x1b", text)
            ET.fromstring(text.encode())
        self.assertNotIn("\x1b", slurp(os.path.join(plots, "report.html")))


if __name__ == "__main__":
    _, argv = e2e.start(sys.argv, "CONLAB")
    unittest.main(argv=argv, verbosity=2)
