#!/usr/bin/env python3
"""The command line: -r/--repeat and -w/--warmup, `conlab run -` (the spec
on stdin), the one-liner `conlab run --strategy ... --workload ...`,
--resume without -r, `conlab list NAME` suggestions and its columns with a
long parameter name, and the docs: every command and cell status in both
`conlab help` and the man page, which is what docs/gen-man.py writes.
Run by ctest (label e2e):
    python3 test_cli.py CONLAB SOURCE_DIR TEST_PLUGIN_DIR [ClassName]
"""
import os
import pty
import re
import subprocess
import sys
import unittest

import e2e

SRC = None
PLUGINS = None

SPEC = """\
experiment: clitest
repeat: 3
warmup: 1
strategies:
  - sequential
  - threads: { workers: 2 }
workloads:
  - fib: { n: 10, tasks: 4 }
"""


def repetitions(out):
    """{cell: sorted repetitions} of out/results.csv."""
    cells = {}
    for row in e2e.read_csv(os.path.join(out, "results.csv")):
        cells.setdefault(row["cell"], []).append(int(row["repetition"]))
    return {c: sorted(r) for c, r in cells.items()}


class Run(e2e.Case):
    def test_repeat_and_warmup_override_the_spec(self):
        out, p = self.run_spec(SPEC, ["-r", "2", "-w", "0", "-q"])
        reps = repetitions(out)
        self.assertEqual(len(reps), 2, reps)
        for cell, r in reps.items():
            self.assertEqual(r, [1, 2], cell)
        self.assertRegex(e2e.slurp(os.path.join(out, "run.yaml")), r"(?m)^repeat: 2$")
        out, p = self.run_spec(SPEC, ["--repeat", "1", "--warmup", "2", "-n"],
                               name="dry")
        self.assertIn("(2 warmup + 1 measured)", p.stdout)
        for args, says in ((["-r", "0"], "-r/--repeat wants a whole number"),
                           (["-w", "-1"], "-w/--warmup wants a whole number"),
                           (["--repeat", "1000001"], "from 1 to 1000000"),
                           (["-r", "2x"], "got '2x'")):
            p = e2e.run(["run", "-n", *args, self.spec(SPEC)])
            self.assertEqual(p.returncode, 2, args)
            self.assertIn(says, p.stderr)

    def test_resume_is_long_only_and_r_is_repeat(self):
        spec = self.spec(SPEC)
        out = self.path("run")
        self.ok(e2e.run(["run", spec, "-q", "-r", "1", "-o", out]))
        # -r DIR is no longer resume: refused, pointing at --resume
        p = e2e.run(["run", "-r", out, spec])
        self.assertEqual(p.returncode, 2)
        self.assertIn("--resume DIR", p.stderr)
        p = self.ok(e2e.run(["run", "--resume", out, "-r", "2", "-q", spec]))
        self.assertEqual(set(map(tuple, repetitions(out).values())), {(1, 2)})
        self.assertNotIn("-r, --resume", e2e.run(["run", "--help"]).stdout)

    def test_spec_on_stdin(self):
        out = self.path("out")
        p = subprocess.run(e2e.conlab_cmd() + ["run", "-", "-q", "-r", "1", "-o", out],
                           input=SPEC, capture_output=True, text=True, timeout=120,
                           cwd=self.dir)
        self.ok(p)
        self.assertEqual(len(repetitions(out)), 2)
        yaml = e2e.slurp(os.path.join(out, "run.yaml"))
        self.assertIn("spec_path: <stdin>", yaml)
        self.assertIn("experiment: clitest", yaml.split("\nspec: |")[1])
        # a broken spec on stdin is named <stdin> in the diagnostics
        p = subprocess.run(e2e.conlab_cmd() + ["run", "-n", "-"], input="repeat: [\n",
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 2)
        self.assertRegex(p.stderr, r"<stdin>:\d+:\d+: error")

    def test_stdin_terminal_is_refused(self):
        master, slave = pty.openpty()
        try:
            p = subprocess.run(e2e.conlab_cmd() + ["run", "-n", "-"], stdin=slave,
                               capture_output=True, text=True, timeout=60)
        finally:
            os.close(master)
            os.close(slave)
        self.assertEqual(p.returncode, 2)
        self.assertIn("standard input, which is a terminal", p.stderr)
        self.assertIn("conlab run - < spec.yaml", p.stderr)


    def test_malloc_tunables(self):
        """`conlab run` execs itself once with huge-page malloc heaps
        (host/malloc_tune.h) unless told not to; run.yaml says what ran."""
        if e2e.VALGRIND:
            self.skipTest("under valgrind conlab keeps valgrind's malloc")
        base = {k: v for k, v in os.environ.items()
                if k not in ("GLIBC_TUNABLES", "CONLAB_MALLOC")}
        ours = "glibc.malloc.hugetlb=1:glibc.malloc.top_pad=16777216"
        for extra, want in (({}, ours),
                            ({"CONLAB_MALLOC": "default"}, "none"),
                            ({"GLIBC_TUNABLES": "glibc.malloc.hugetlb=0"},
                             "glibc.malloc.hugetlb=0"),
                            ({"GLIBC_TUNABLES": "glibc.malloc.perturb=0"},
                             "glibc.malloc.perturb=0:" + ours)):
            out = self.path("m%d" % len(os.listdir(self.dir)))
            p = subprocess.run(e2e.conlab_cmd() + ["run", "-", "-q", "-r", "1", "-w", "0",
                                                   "-o", out],
                               input=SPEC, capture_output=True, text=True, timeout=120,
                               env=dict(base, **extra))
            self.ok(p)
            yaml = e2e.slurp(os.path.join(out, "run.yaml"))
            self.assertIn("\n  glibc_tunables: %s\n" % want, yaml, extra)
            rows = e2e.read_csv(os.path.join(out, "results.csv"))
            self.assertEqual([r["status"] for r in rows], ["ok", "ok"], extra)


class OneLiner(e2e.Case):
    ARGS = ["--strategy", "threads:workers=[1,2]", "--strategy", "sequential",
            "--workload", "fib:n=[10],tasks=4"]

    def test_runs_without_a_file(self):
        p = self.ok(e2e.run(["run", *self.ARGS, "-r", "2", "-w", "0", "-q"],
                            cwd=self.dir))
        out = os.path.join(self.dir, "results", "cli", "latest")
        self.assertTrue(os.path.isdir(out), p.stdout + p.stderr)
        rows = e2e.read_csv(os.path.join(out, "results.csv"))
        self.assertEqual(len(rows), 6)  # 3 cells x 2 repetitions
        self.assertEqual({r["experiment"] for r in rows}, {"cli"})
        self.assertEqual(sorted({r["strategy.workers"] for r in rows}), ["", "1", "2"])
        self.assertEqual({r["workload.n"] for r in rows}, {"10"})
        self.assertEqual({r["status"] for r in rows}, {"ok"})
        yaml = e2e.slurp(os.path.join(out, "run.yaml"))
        self.assertIn("spec_path: <command line>", yaml)
        spec = yaml.split("\nspec: |")[1]
        self.assertIn("workers: [1,2]", spec)
        self.assertIn("tasks: 4", spec)
        self.assertIn("'threads:workers=[1,2]'", yaml)  # the command line

    def test_dry_run_shows_the_spec(self):
        p = self.ok(e2e.run(["run", "-n", "--strategy", "threads:workers=[1,2],stack_kib=64",
                             "--workload", "sleep:seconds='1ms',tasks=2", "-r", "4"],
                            cwd=self.dir))
        self.assertIn("experiment: cli\nrepeat: 4\n", p.stdout)
        self.assertIn("      workers: [1,2]\n      stack_kib: 64\n", p.stdout)
        self.assertIn("      seconds: '1ms'\n", p.stdout)
        self.assertIn("2 cells x (1 warmup + 4 measured)", p.stdout)
        self.assertEqual(os.listdir(self.dir), [])

    def test_a_bad_argument_is_named(self):
        for args, who, says in (
                (["--strategy", "threads:wrkers=2"], "--strategy 'threads:wrkers=2'",
                 "did you mean 'workers'"),
                (["--strategy", "thread"], "--strategy 'thread'", "did you mean 'threads'"),
                (["--strategy", "threads:workers=[1,2"], "--strategy 'threads:workers=[1,2'",
                 "does not close"),
                (["--strategy", "threads:workers"], "--strategy 'threads:workers'",
                 "KEY=VALUE"),
                (["--strategy", "threads:"], "--strategy 'threads:'", "nothing after ':'"),
                (["--strategy", "a/b.so"], "--strategy 'a/b.so'", "NAME"),
                (["--strategy", "threads:workers=1\nrepeat: 9"], "--strategy", "control")):
            p = e2e.run(["run", "-n", *args, "--workload", "fib"])
            self.assertEqual(p.returncode, 2, args)
            self.assertIn("conlab run: " + who, p.stderr)
            self.assertIn(says, p.stderr)
        p = e2e.run(["run", "-n", "--strategy", "sequential", "--workload", "fib:n=x"])
        self.assertEqual(p.returncode, 2)
        self.assertIn("--workload 'fib:n=x': workload 'fib': parameter 'n'", p.stderr)
        self.assertIn("<command line>:", p.stderr)

    def test_needs_both_kinds_and_no_spec(self):
        for args, says in ((["--strategy", "sequential"], "no --workload"),
                           (["--workload", "fib"], "no --strategy"),
                           (["--strategy", "sequential", "--workload", "fib",
                             self.spec(SPEC)], "not both")):
            p = e2e.run(["run", "-n", *args])
            self.assertEqual(p.returncode, 2, args)
            self.assertIn(says, p.stderr)


def columns_aligned(test, text):
    """Every parameter row starts its columns where its table's header does."""
    lines = text.splitlines()
    tables = 0
    for i, line in enumerate(lines):
        if not line.startswith("    parameter  "):
            continue
        tables += 1
        # where type, default, range and help start
        starts = [m.start() for m in re.finditer(r"(?<=  )\S", line)][1:]
        test.assertEqual(len(starts), 4, line)
        for row in lines[i + 1:]:
            if not row.startswith("    ") or row.startswith("    file:"):
                break
            test.assertNotEqual(row[4], " ", row)  # the parameter's name
            test.assertNotEqual(row[starts[0]], " ", (line, row))  # its type
            for s in starts:  # no cell runs into the next column
                test.assertEqual(row[s - 2:s], "  ", (line, row))
    return tables


class List(e2e.Case):
    def test_unknown_name_suggests_and_lists_both_kinds(self):
        p = e2e.run(["list", "thread"])
        self.assertEqual(p.returncode, 1)
        self.assertIn("no strategy or workload named 'thread'; did you mean 'threads'?",
                      p.stderr)
        self.assertRegex(p.stderr, r"strategies:.*\bsequential\b.*\bthreads\b")
        self.assertRegex(p.stderr, r"workloads:.*\bfib\b.*\bsleep\b")
        self.assertNotIn("))", p.stderr)
        p = e2e.run(["list", "slep"])
        self.assertIn("did you mean 'sleep'?", p.stderr)
        p = e2e.run(["list", "zzzzzzzz"])
        self.assertNotIn("did you mean", p.stderr)
        self.assertIn("strategies:", p.stderr)

    def test_columns_fit_a_long_parameter_name(self):
        env = {"CONLAB_PLUGIN_PATH": os.path.join(PLUGINS, "long")}
        p = e2e.run(["list", "long-parameter-names", "threads"], env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"a_parameter_name_longer_than_any_builtin  int  +1  ")
        self.assertEqual(columns_aligned(self, p.stdout), 2)
        p = e2e.run(["list"], env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertGreater(columns_aligned(self, p.stdout), 5)
        names = re.findall(r"(?m)^  (\S+)( +)\S", p.stdout)
        self.assertEqual(len({len(n) + len(gap) for n, gap in names}), 1, names)
        # and the one-liner takes such a name
        p = e2e.run(["run", "-n", "--strategy", "sequential", "--workload",
                     "long-parameter-names:a_parameter_name_longer_than_any_builtin=[2,3]"],
                    env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("2 cells", p.stdout)


class Docs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(os.path.join(SRC, "host", "main.c")) as f:
            main = f.read()
        table = main[main.index("static const struct command commands[]"):]
        table = table[:table.index("{NULL")]
        cls.commands = re.findall(r'\{"([a-z]+)", "', table)
        with open(os.path.join(SRC, "host", "rundir.h")) as f:
            cls.statuses = re.findall(r'X\([A-Z_]+, "([a-z]+)"\)', f.read())
        with open(os.path.join(SRC, "docs", "conlab.1")) as f:
            cls.man = f.read()

    def test_sources_parsed(self):
        self.assertGreaterEqual(len(self.commands), 16)
        for c in ("run", "report", "plot", "compare", "slurm", "status", "merge",
                  "calibrate", "help", "version"):
            self.assertIn(c, self.commands)
        self.assertEqual(self.statuses[:2], ["ok", "failed"])
        self.assertIn("skipped", self.statuses)

    def test_every_command_in_help_and_man(self):
        usage = e2e.run(["help"]).stdout
        for c in self.commands:
            self.assertRegex(usage, r"(?m)^  %s\b" % c, c)
            self.assertIn('\n.SS "%s' % c, self.man, c)
            p = e2e.run(["help", c])
            self.assertEqual(p.returncode, 0, c)
            self.assertTrue(p.stdout.startswith("usage: conlab " + c), c)
            self.assertEqual(p.stdout, e2e.run([c, "--help"]).stdout, c)

    def test_every_status_in_help_and_man(self):
        run_help = e2e.run(["help", "run"]).stdout
        results = self.man[self.man.index(".SH RESULTS"):self.man.index(".SH PLUGINS")]
        for s in self.statuses:
            self.assertRegex(run_help, r"(?m)^  %s +\S" % s, s)
            self.assertIn(".TP\n.B %s\n" % s, results, s)

    def test_man_covers(self):
        man = self.man.replace("\\-", "-")
        for word in ("report", "plot", "compare", "slurm", "status", "merge",
                     "--shard", "memory", "calibrate", "--repeat", "--warmup",
                     "--strategy", "--workload", "--resume DIR"):
            self.assertIn(word, man)
        run = man[man.index('.SS "run'):man.index('.SS "validate')]
        self.assertTrue("-r, --resume" not in run and "-r, --repeat N" in run)

    def test_stale_man_page_is_caught(self):
        gen = os.path.join(SRC, "docs", "gen-man.py")
        tmpl = os.path.join(SRC, "docs", "conlab.1.in")
        page = os.path.join(SRC, "docs", "conlab.1")
        p = subprocess.run([sys.executable, gen, "--check", e2e.CONLAB, tmpl, page],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout)
        stale = os.path.join(os.environ.get("TMPDIR", "/tmp"),
                             "conlab-stale-%d.1" % os.getpid())
        try:
            with open(stale, "w") as f:
                f.write(self.man.replace(".SS \"merge", ".SS \"merg"))
            p = subprocess.run([sys.executable, gen, "--check", e2e.CONLAB, tmpl, stale],
                               capture_output=True, text=True, timeout=120)
        finally:
            os.unlink(stale)
        self.assertEqual(p.returncode, 1)
        self.assertIn("+.SS \"merge", p.stdout)
        self.assertIn("--target man", p.stdout)


if __name__ == "__main__":
    (SRC, PLUGINS), argv = e2e.start(sys.argv, "CONLAB SRC PLUGINS")
    unittest.main(argv=argv, verbosity=2)
