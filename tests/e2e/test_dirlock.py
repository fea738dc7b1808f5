#!/usr/bin/env python3
"""A run directory has one writer: two `conlab run -o D` at once, a run and a
--resume or a merge of D, `-o` into a directory that holds files (refused,
or moved aside with --force).  Run by ctest (labels e2e, reliability):
    python3 test_dirlock.py CONLAB [ClassName]
"""
import csv
import glob
import hashlib
import os
import subprocess
import sys
import tempfile
import time
import unittest

CONLAB = None

# 2 cells x 3 repetitions of 40 ms (SLOW: of 400 ms, for a writer that must
# still be writing after four other commands were refused)
SPEC = """
experiment: lock
repeat: 3
warmup: 0
strategies: [sequential, { threads: { workers: 2 } }]
workloads: [{ sleep: { tasks: 2, seconds: 20ms } }]
"""
SLOW = SPEC.replace("20ms", "200ms")
CELLS, REPEAT = 2, 3


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def tree(path):
    """Every file under path with its content's hash and mtime."""
    out = {}
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            p = os.path.join(root, name)
            st = os.lstat(p)
            h = None
            if os.path.isfile(p):
                with open(p, "rb") as f:
                    h = hashlib.sha256(f.read()).hexdigest()
            out[os.path.relpath(p, path)] = (h, st.st_mtime_ns)
    return out


def rows_complete(test, out):
    rows = read_csv(os.path.join(out, "results.csv"))
    keys = [(r["cell"], r["repetition"]) for r in rows]
    test.assertEqual(len(keys), len(set(keys)), "duplicated rows")
    test.assertEqual(len(keys), CELLS * REPEAT, "rows lost")
    test.assertTrue(all(r["status"] == "ok" for r in rows))
    summ = read_csv(os.path.join(out, "summary.csv"))
    test.assertEqual(sorted(s["cell"] for s in summ), sorted({k[0] for k in keys}))
    with open(os.path.join(out, "run.yaml")) as f:
        test.assertIn("state: complete", f.read())


class Case(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="conlab-lock-")
        self.dir = self.tmp.name
        self.spec = os.path.join(self.dir, "spec.yaml")
        with open(self.spec, "w") as f:
            f.write(SPEC)
        self.out = os.path.join(self.dir, "D")

    def tearDown(self):
        self.tmp.cleanup()

    def start(self, *args):
        return subprocess.Popen([CONLAB, *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def run_ok(self, *args, rc=0):
        p = subprocess.run([CONLAB, *args], capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, rc, "conlab %s\n%s%s" % (" ".join(args), p.stdout, p.stderr))
        return p

    def wait_until_writing(self, proc):
        """Until proc holds D's lock (its record in D/.lock)."""
        lock = os.path.join(self.out, ".lock")
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                with open(lock) as f:
                    if "pid: %d\n" % proc.pid in f.read():
                        return
            except FileNotFoundError:
                pass
            self.assertIsNone(proc.poll(), "the run ended before it was seen writing")
            time.sleep(0.005)
        self.fail("no lock record from PID %d" % proc.pid)


class Concurrent(Case):
    def test_two_runs_at_once_one_refused_no_row_lost(self):
        a = self.start("run", self.spec, "-o", self.out, "-q")
        b = self.start("run", self.spec, "-o", self.out, "-q")
        (_, ea), (_, eb) = a.communicate(timeout=120), b.communicate(timeout=120)
        self.assertEqual(sorted([a.returncode, b.returncode]), [0, 2], ea + eb)
        loser = ea if a.returncode else eb
        # refused while the other writes, or (if it came late) because D
        # already holds the other's complete run
        self.assertRegex(loser, r"is being written by PID \d+ on .* since |is not empty")
        rows_complete(self, self.out)

    def test_second_writer_names_the_first(self):
        with open(self.spec, "w") as f:
            f.write(SLOW)
        a = self.start("run", self.spec, "-o", self.out, "-q")
        self.wait_until_writing(a)
        for args in (["run", self.spec, "-o", self.out, "-q"],
                     ["run", self.spec, "-o", self.out, "-q", "--force"],
                     ["run", self.spec, "--resume", self.out, "-q"],
                     ["merge", self.out, "-q"]):
            p = self.run_ok(*args, rc=2)
            self.assertIn("%s is being written by PID %d on " % (self.out, a.pid), p.stderr)
            self.assertIn("run %s -o %s -q) since " % (self.spec, self.out), p.stderr)
        _, err = a.communicate(timeout=120)
        self.assertEqual(a.returncode, 0, err)
        # the refused ones moved nothing aside: the writer's rows are all there
        self.assertEqual(glob.glob(self.out + ".old-*"), [])
        rows_complete(self, self.out)
        # once it ended, --resume may go on (with nothing left to run)
        self.run_ok("run", self.spec, "--resume", self.out, "-q")
        rows_complete(self, self.out)


class Overwrite(Case):
    def test_output_into_non_empty_dir_refused_untouched(self):
        self.run_ok("run", self.spec, "-o", self.out, "-q", "--tasks")
        os.mkdir(os.path.join(self.out, "plots"))
        with open(os.path.join(self.out, "plots", "wall.svg"), "w") as f:
            f.write("<svg/>")
        before = tree(self.out)
        p = self.run_ok("run", self.spec, "-o", self.out, "-q", rc=2)
        self.assertIn("is not empty", p.stderr)
        self.assertIn("--resume", p.stderr)
        self.assertIn("--force", p.stderr)
        self.assertEqual(tree(self.out), before)
        # not even into a directory holding something else entirely
        other = os.path.join(self.dir, "home")
        os.mkdir(other)
        with open(os.path.join(other, "notes.txt"), "w") as f:
            f.write("mine")
        self.run_ok("run", self.spec, "-o", other, "-q", rc=2)
        self.assertEqual(sorted(os.listdir(other)), ["notes.txt"])

    def test_force_moves_the_old_run_aside(self):
        self.run_ok("run", self.spec, "-o", self.out, "-q", "--tasks")
        os.mkdir(os.path.join(self.out, "plots"))
        with open(os.path.join(self.out, "plots", "wall.svg"), "w") as f:
            f.write("<svg/>")
        old = tree(self.out)
        p = self.run_ok("run", self.spec, "-o", self.out, "--force")
        moved = glob.glob(self.out + ".old-*")
        self.assertEqual(len(moved), 1)
        self.assertIn("moved what %s held aside to %s/" % (self.out, moved[0]), p.stderr)
        # the old run whole in D.old-*, its lock file excepted
        old.pop(".lock", None)
        self.assertEqual(tree(moved[0]), old)
        # the new run alone in D: no tasks.csv or plots/ of the old one
        self.assertEqual(sorted(f for f in os.listdir(self.out) if f != ".lock"),
                         ["results.csv", "run.yaml", "summary.csv"])
        rows_complete(self, self.out)
        # --force twice keeps both old runs
        self.run_ok("run", self.spec, "-o", self.out, "-q", "--force")
        self.assertEqual(len(glob.glob(self.out + ".old-*")), 2)

    def test_empty_or_new_dir_is_fine(self):
        os.mkdir(self.out)
        self.run_ok("run", self.spec, "-o", self.out, "-q")
        rows_complete(self, self.out)
        deep = os.path.join(self.dir, "a", "b", "c")
        self.run_ok("run", self.spec, "-o", deep, "-q", "--force")
        self.assertEqual(glob.glob(deep + ".old-*"), [])
        rows_complete(self, deep)


if __name__ == "__main__":
    CONLAB = os.path.abspath(sys.argv[1])
    unittest.main(argv=[sys.argv[0]] + sys.argv[2:], verbosity=2)
