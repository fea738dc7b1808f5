#!/usr/bin/env python3
"""Batch runs beyond one machine: shards, `conlab merge`, `conlab slurm`,
`conlab status`.

    python3 test_slurm.py CONLAB SOURCE_DIR [Class...]

Shards  (always runs) `conlab run --shard I/N` on this machine, then merge:
        the same cells, statuses and tasks as one unsharded run, summaries
        computed again across shards; mixed specs refused; missing cells named.
Submit  (always runs) `conlab slurm` / `status` / `--resume` against stand-in
        sbatch, squeue and sinfo commands that record what they are asked;
        the batch script run by hand as Slurm would run it.
Slurm   a real one-node Slurm cluster: the one named by $CONLAB_SLURM_CONF,
        or one tests/slurm/cluster.sh starts (and stops) for the test.  When
        Slurm is not installed (or we are not root and no cluster is given)
        the reason is printed and the script exits 77, which ctest reports as
        skipped: never a silent pass.
"""
import csv
import statistics
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import e2e
from e2e import read_csv, slurp

SRC = None
SKIP_RC = 77

SPEC = "experiment: shards\n" + e2e.TWICE_PINNED + """\
strategies:
  - sequential
  - threads: { workers: 2 }
  - coroutines: { concurrency: 4 }
workloads:
  - sleep: { tasks: 6, seconds: 2ms }
  - fib: { tasks: 4, n: [18] }
"""
CELLS = 6


def conlab(*args, env=None, cwd=None, timeout=300):
    return e2e.run(list(args), env=env, timeout=timeout, cwd=cwd)


def run_yaml(path):
    """The top-level `key: value` lines of a run.yaml (enough for state, cells)."""
    out = {}
    for line in slurp(path).splitlines():
        if line and not line[0].isspace() and not line.startswith("-") and ": " in line:
            k, v = line.split(": ", 1)
            out[k] = v
    return out


class Case(e2e.Case):
    def sharded(self, spec, n, run="run", only=None, extra=()):
        for i in range(1, n + 1):
            if only is None or i in only:
                self.ok(conlab("run", spec, "--shard", "%d/%d" % (i, n), "-o",
                               self.path(run, "shard-%d" % (i - 1)), "-q", *extra))
        return self.path(run)

    def assert_same_cells(self, merged, whole, tasks=True):
        """merged/ holds what one unsharded run (whole/) holds, cell for cell."""
        def by_cell(rows):
            d = {}
            for r in rows:
                d.setdefault(r["cell"], []).append(r)
            return d
        m = by_cell(read_csv(os.path.join(merged, "results.csv")))
        w = by_cell(read_csv(os.path.join(whole, "results.csv")))
        self.assertEqual(sorted(m), sorted(w))
        for cell in w:
            key = lambda r: (r["repetition"], r["status"], r["tasks"], r["tasks_ok"],
                             r["tasks_failed"], r["workers"])
            self.assertEqual(sorted(map(key, m[cell])), sorted(map(key, w[cell])), cell)
        ms = {r["cell"]: r for r in read_csv(os.path.join(merged, "summary.csv"))}
        ws = {r["cell"]: r for r in read_csv(os.path.join(whole, "summary.csv"))}
        self.assertEqual(sorted(ms), sorted(ws))
        for cell in ws:
            for k in ("status", "reps", "workers", "tasks", "strategy", "workload"):
                self.assertEqual(ms[cell][k], ws[cell][k], (cell, k))
        # merged results.csv keeps the columns and order of a run
        with open(os.path.join(merged, "results.csv")) as a, \
                open(os.path.join(whole, "results.csv")) as b:
            self.assertEqual(a.readline(), b.readline())
        if tasks:
            def task_keys(d):
                return sorted((t["cell"], t["repetition"], t["task"], t["status"])
                              for t in read_csv(os.path.join(d, "tasks.csv")))
            self.assertEqual(task_keys(merged), task_keys(whole))


class Shards(Case):
    """`conlab run --shard I/N` anywhere, then `conlab merge`."""

    def test_three_shards_merge_into_one_run(self):
        spec = self.spec(SPEC)
        self.ok(conlab("run", spec, "-o", self.path("whole"), "-q", "--tasks"))
        run = self.sharded(spec, 3, extra=["--tasks"])
        p = self.ok(conlab("merge", run))
        self.assertIn("merged 6 of 6 cells from 3 shard directories", p.stdout)
        self.assert_same_cells(run, self.path("whole"))
        meta = run_yaml(os.path.join(run, "run.yaml"))
        self.assertEqual(meta["state"], "complete")
        self.assertEqual(meta["cells"], "6")
        self.assertEqual(meta["shards"], "3")
        self.assertEqual(meta["spec_hash"],
                         run_yaml(self.path("whole", "run.yaml"))["spec_hash"])
        text = slurp(os.path.join(run, "run.yaml"))
        for i in range(3):  # every shard listed, with its host and topology
            self.assertIn("- dir: shard-%d" % i, text)
            self.assertIn("shard: %d/3" % (i + 1), text)
        self.assertEqual(text.count("    topology: "), 3)

    def test_summary_is_computed_again_from_the_merged_rows(self):
        spec = self.spec(SPEC)
        run = self.sharded(spec, 3)
        self.ok(conlab("merge", run, "-q"))
        rows = read_csv(os.path.join(run, "results.csv"))
        summary = {r["cell"]: r for r in read_csv(os.path.join(run, "summary.csv"))}
        walls = {}
        for r in rows:
            walls.setdefault(r["cell"], []).append(float(r["wall_s"]))
        mean = {c: sum(w) / len(w) for c, w in walls.items()}
        median = {c: statistics.median(w) for c, w in walls.items()}
        for cell, s in summary.items():
            self.assertAlmostEqual(float(s["wall_mean_s"]), mean[cell], delta=1e-8)
            seq = "sequential x " + s["workload_label"]
            self.assertEqual(s["baseline"], "sequential")
            # speedups are of medians, the interval around them
            self.assertAlmostEqual(float(s["speedup"]), median[seq] / median[cell], places=5)
            self.assertLessEqual(float(s["speedup_ci95_lo"]), float(s["speedup"]))
            self.assertGreaterEqual(float(s["speedup_ci95_hi"]), float(s["speedup"]))
        # threads x fib ran in shard 2 (cell 4 -> 4 mod 3 + 1), its sequential
        # in shard 1: no shard could know that speedup on its own
        alone = {r["cell"]: r for r in read_csv(os.path.join(run, "shard-1", "summary.csv"))}
        cell = "threads(workers=2) x fib(tasks=4,n=18)"
        self.assertEqual(alone[cell]["speedup"], "")
        self.assertNotEqual(summary[cell]["speedup"], "")

    def test_refuses_shards_of_another_spec(self):
        spec = self.spec(SPEC)
        other = self.spec(SPEC.replace("seconds: 2ms", "seconds: 3ms"), "other.yaml")
        run = self.sharded(spec, 3, only={1, 3})
        self.ok(conlab("run", other, "--shard", "2/3", "-o", self.path("run", "shard-1"), "-q"))
        p = self.ok(conlab("merge", run), rc=2)
        self.assertIn("refusing to mix runs of different specs", p.stderr)
        self.assertIn(os.path.join(run, "shard-1"), p.stderr)
        self.assertFalse(os.path.exists(os.path.join(run, "results.csv")))
        # with --spec naming the first spec, the odd shard is the one named
        p = self.ok(conlab("merge", run, "--spec", spec), rc=2)
        self.assertIn("shard-1/run.yaml", p.stderr)
        self.assertNotIn("shard-0/run.yaml", p.stderr)

    def test_names_the_missing_cells(self):
        spec = self.spec(SPEC)
        run = self.sharded(spec, 3, only={1, 2})
        p = self.ok(conlab("merge", run, "-q"), rc=1)
        self.assertIn("2 of 6 cells missing", p.stderr)
        # cells 2 and 5 (coroutines x each workload) belong to shard 3/3
        for cell in ("coroutines(concurrency=4) x sleep(tasks=6,seconds=0.002)",
                     "coroutines(concurrency=4) x fib(tasks=4,n=18)"):
            self.assertIn("%s  (shard 3/3: no directory for it)" % cell, p.stderr)
        meta = run_yaml(os.path.join(run, "run.yaml"))
        self.assertEqual(meta["state"], "incomplete")
        self.assertEqual(meta["cells_merged"], "4")
        self.assertIn("- coroutines(concurrency=4) x fib(tasks=4,n=18)",
                      slurp(os.path.join(run, "run.yaml")))
        self.assertEqual(len(read_csv(os.path.join(run, "summary.csv"))), 4)
        # the shard runs later: merging again completes the run
        self.sharded(spec, 3, only={3})
        self.ok(conlab("merge", run, "-q"))
        self.assertEqual(run_yaml(os.path.join(run, "run.yaml"))["state"], "complete")
        self.assertEqual(len(read_csv(os.path.join(run, "summary.csv"))), 6)

    def test_an_interrupted_shard_counts_only_its_finished_cells(self):
        spec = self.spec(SPEC)
        run = self.sharded(spec, 2)
        # shard 1 as a kill -9 leaves it: run.yaml says running, its last cell
        # lacks its last repetition in results.csv and never reached summary.csv
        d = os.path.join(run, "shard-0")
        meta = slurp(os.path.join(d, "run.yaml")).replace("state: complete", "state: running")
        with open(os.path.join(d, "run.yaml"), "w") as f:
            f.write(meta)
        lines = slurp(os.path.join(d, "summary.csv")).splitlines(True)
        lost = next(csv.reader([lines[-1]]))[1]
        with open(os.path.join(d, "summary.csv"), "w") as f:
            f.writelines(lines[:-1])
        rows = slurp(os.path.join(d, "results.csv")).splitlines(True)
        self.assertEqual(next(csv.reader([rows[-1]]))[1], lost)
        with open(os.path.join(d, "results.csv"), "w") as f:
            f.writelines(rows[:-1])
        p = self.ok(conlab("merge", run, "-q"), rc=1)
        self.assertIn("1 of 6 cells missing", p.stderr)
        self.assertIn("%s  (shard 1/2: %s, state running)" % (lost, d), p.stderr)
        self.assertNotIn(lost, {r["cell"] for r in read_csv(os.path.join(run, "results.csv"))})

    def test_a_cell_from_two_shards_is_refused(self):
        spec = self.spec(SPEC)
        run = self.sharded(spec, 2)
        shutil.copytree(os.path.join(run, "shard-0"), os.path.join(run, "shard-7"))
        p = self.ok(conlab("merge", run), rc=2)
        self.assertIn("was run by both", p.stderr)

    def test_no_shards(self):
        os.makedirs(self.path("empty"))
        p = self.ok(conlab("merge", self.path("empty")), rc=2)
        self.assertIn("no shard-*/ directories", p.stderr)


FAKE_SBATCH = """#!/bin/sh
echo "$*" >> "$FAKE_DIR/sbatch.log"
n=$(cat "$FAKE_DIR/next" 2>/dev/null || echo 4242)
echo $((n + 1)) > "$FAKE_DIR/next"
echo "$n;fake"
"""
FAKE_SQUEUE = """#!/bin/sh
echo "$*" >> "$FAKE_DIR/squeue.log"
cat "$FAKE_DIR/queue" 2>/dev/null
exit 0
"""
FAKE_SINFO = """#!/bin/sh
echo 2
"""


class Submit(Case):
    """`conlab slurm`, `status`, `--resume` with stand-ins for Slurm's commands."""

    def setUp(self):
        super().setUp()
        self.bin = self.path("bin")
        os.makedirs(self.bin)
        for name, text in (("sbatch", FAKE_SBATCH), ("squeue", FAKE_SQUEUE),
                           ("sinfo", FAKE_SINFO)):
            p = os.path.join(self.bin, name)
            with open(p, "w") as f:
                f.write(text)
            os.chmod(p, 0o755)
        self.env = {"PATH": self.bin + ":" + os.environ["PATH"], "FAKE_DIR": self.dir}
        self.spec_path = self.spec(SPEC)
        self.run_dir = self.path("big")

    def sbatch_calls(self):
        p = self.path("sbatch.log")
        return slurp(p).splitlines() if os.path.exists(p) else []

    def queue(self, text):
        with open(self.path("queue"), "w") as f:
            f.write(text)

    def array_task(self, i):
        """Run the batch script as Slurm would run array task i."""
        env = dict(os.environ, SLURM_ARRAY_TASK_ID=str(i), SLURM_ARRAY_JOB_ID="4242",
                   SLURM_JOB_ID=str(5000 + i))
        return subprocess.run(["bash", os.path.join(self.run_dir, "conlab.sbatch")],
                              capture_output=True, text=True, env=env, timeout=300)

    def test_submits_the_array_then_the_merge(self):
        p = self.ok(conlab("slurm", self.spec_path, "-o", self.run_dir, "--shards", "4",
                           "-p", "short", "-t", "00:20:00", env=self.env))
        d = os.path.realpath(self.run_dir)
        self.assertEqual(self.sbatch_calls(), [
            "--parsable --array=0-3 %s/conlab.sbatch" % d,
            "--parsable --dependency=afterany:4242 %s/merge.sbatch" % d])
        self.assertIn("submitted array job 4242 (tasks 0-3) and merge job 4243", p.stdout)
        # cpus per task: the most workers of any variant (coroutines says 4),
        # capped at the CPUs sinfo says a node has (2)
        self.assertIn("2 CPUs each", p.stdout)
        script = slurp(os.path.join(d, "conlab.sbatch"))
        for line in ("#SBATCH --array=0-3", "#SBATCH --partition=short",
                     "#SBATCH --time=00:20:00", "#SBATCH --cpus-per-task=2",
                     "#SBATCH --output=%s/logs/shard-%%a-%%A.out" % d,
                     "conlab='%s'" % os.path.realpath(e2e.CONLAB), "dir='%s'" % d):
            self.assertIn(line, script)
        merge = slurp(os.path.join(d, "merge.sbatch"))
        self.assertIn("#SBATCH --partition=short", merge)
        self.assertIn("merge '%s'" % d, merge)
        # the spec travels byte for byte: its hash is the run's
        self.assertEqual(slurp(os.path.join(d, "spec.yaml")), SPEC)
        y = slurp(os.path.join(d, "slurm.yaml"))
        for line in ("shards: 4", "cells: 6", "array_job: 4242", "merge_job: 4243",
                     "array: 0-3"):
            self.assertIn(line, y)

    def test_dry_run_writes_the_scripts_and_submits_nothing(self):
        p = self.ok(conlab("slurm", self.spec_path, "-o", self.run_dir, "--shards", "2",
                           "--exclusive", "--dry-run", env=self.env))
        d = os.path.realpath(self.run_dir)
        self.assertEqual(self.sbatch_calls(), [])
        self.assertIn("sbatch --parsable --array=0-1 %s/conlab.sbatch" % d, p.stdout)
        self.assertIn("--dependency=afterany:", p.stdout)
        self.assertIn("#SBATCH --exclusive", slurp(os.path.join(d, "conlab.sbatch")))
        self.assertNotIn("--cpus-per-task", slurp(os.path.join(d, "conlab.sbatch")))
        # a second `conlab slurm` into the same directory is refused
        p = self.ok(conlab("slurm", self.spec_path, "-o", self.run_dir, env=self.env), rc=2)
        self.assertIn("--resume", p.stderr)

    def test_the_script_as_slurm_runs_it_then_status_and_resume(self):
        self.ok(conlab("slurm", self.spec_path, "-o", self.run_dir, "--shards", "3",
                       "--tasks", env=self.env))
        d = os.path.realpath(self.run_dir)
        for i in (0, 2):
            r = self.array_task(i)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("conlab: shard %d/3 of job 4242_%d" % (i + 1, i), r.stdout)
        self.assertTrue(os.path.exists(os.path.join(d, "shard-0", "tasks.csv")))
        # task 1 is still running, says squeue
        self.queue("4242|1|RUNNING\n4243|N/A|PENDING\n")
        p = self.ok(conlab("status", d, env=self.env), rc=1)
        lines = {l.split()[0]: l for l in p.stdout.splitlines() if l.startswith("  ")}
        self.assertRegex(lines["1/3"], r"4242_0\s+done\s+2/2")
        self.assertRegex(lines["2/3"], r"4242_1\s+running\s+0/2")
        self.assertRegex(lines["3/3"], r"4242_2\s+done\s+2/2")
        self.assertIn("merge job 4243: pending", p.stdout)
        p = self.ok(conlab("slurm", "--resume", d, env=self.env), rc=1)
        self.assertIn("nothing to resubmit", p.stdout)
        self.assertEqual(len(self.sbatch_calls()), 2)
        # then its job is gone with nothing written: failed, and resubmitted
        self.queue("")
        p = self.ok(conlab("status", d, env=self.env), rc=1)
        self.assertRegex(p.stdout, r"2/3\s+4242_1\s+failed\s+0/2\s+no directory")
        p = self.ok(conlab("slurm", "--resume", d, "-t", "01:00:00", env=self.env))
        self.assertEqual(self.sbatch_calls()[2:], [
            "--parsable --array=1 --time=01:00:00 %s/conlab.sbatch" % d,
            "--parsable --dependency=afterany:4244 %s/merge.sbatch" % d])
        p = self.ok(conlab("status", d, env=self.env), rc=1)
        self.assertRegex(p.stdout, r"2/3\s+4244_1\s+failed")  # the new job, gone too
        r = self.array_task(1)
        self.assertEqual(r.returncode, 0, r.stderr)
        p = self.ok(conlab("status", d, env=self.env))
        self.assertIn("3 of 3 shards done", p.stdout)
        self.assertIn("merged: not yet", p.stdout)
        r = subprocess.run(["bash", os.path.join(d, "merge.sbatch")], capture_output=True,
                           text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.ok(conlab("run", self.spec_path, "-o", self.path("whole"), "-q", "--tasks"))
        self.assert_same_cells(d, self.path("whole"))
        p = self.ok(conlab("status", d, env=self.env))
        self.assertIn("(complete, 6 of 6 cells, at ", p.stdout)

    def test_set_reaches_every_shard_and_the_merge(self):
        sets = ["--set", "workloads.sleep.tasks=3", "--set", "strategies.threads.workers=[1,2]"]
        self.ok(conlab("slurm", self.spec_path, "-o", self.run_dir, "--shards", "2",
                       *sets, env=self.env))
        d = os.path.realpath(self.run_dir)
        script = slurp(os.path.join(d, "conlab.sbatch"))
        self.assertIn("--set 'workloads.sleep.tasks=3' --set "
                      "'strategies.threads.workers=[1,2]'", script)
        self.assertIn("merge --set 'workloads.sleep.tasks=3'",
                      slurp(os.path.join(d, "merge.sbatch")))
        self.assertIn("cells: 8", slurp(os.path.join(d, "slurm.yaml")))
        for i in (0, 1):
            r = self.array_task(i)
            self.assertEqual(r.returncode, 0, r.stderr)
        r = subprocess.run(["bash", os.path.join(d, "merge.sbatch")], capture_output=True,
                           text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.ok(conlab("run", self.spec_path, "-o", self.path("whole"), "-q", *sets))
        self.assert_same_cells(d, self.path("whole"), tasks=False)
        self.assertIn("workloads.sleep.tasks=3", slurp(os.path.join(d, "run.yaml")))
        # the overrides come from DIR: not with --resume
        p = self.ok(conlab("slurm", "--resume", d, "--set", "repeat=1", env=self.env),
                    rc=2)

    def test_a_shard_that_began_resumes(self):
        self.ok(conlab("slurm", self.spec_path, "-o", self.run_dir, "--shards", "2",
                       env=self.env))
        d = os.path.realpath(self.run_dir)
        self.assertEqual(self.array_task(0).returncode, 0)
        r = self.array_task(0)  # again: the directory exists, so it resumes
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("resuming: 3 of 3 cells already done", r.stderr)
        self.assertIn("--resume", slurp(os.path.join(d, "shard-0", "run.yaml")))

    def test_status_counts_cells_from_results_csv_not_summary_csv(self):
        self.ok(conlab("slurm", self.spec_path, "-o", self.run_dir, "--shards", "2",
                       env=self.env))
        d = os.path.realpath(self.run_dir)
        for i in (0, 1):
            self.assertEqual(self.array_task(i).returncode, 0)
        self.queue("")
        p = self.ok(conlab("status", d, env=self.env))
        self.assertRegex(p.stdout, r"1/2\s+4242_0\s+done\s+3/3")
        # results.csv loses the rows of the shard's last cell; summary.csv,
        # which still says every cell finished, is not believed
        shard = os.path.join(d, "shard-0")
        rows = slurp(os.path.join(shard, "results.csv")).splitlines(True)
        lost = next(csv.reader([rows[-1]]))[1]
        self.assertEqual(len(read_csv(os.path.join(shard, "summary.csv"))), 3)
        with open(os.path.join(shard, "results.csv"), "w") as f:
            f.writelines(r for r in rows if next(csv.reader([r]))[1] != lost)
        p = self.ok(conlab("status", d, env=self.env), rc=1)
        self.assertRegex(p.stdout, r"1/2\s+4242_0\s+failed\s+2/3\s+complete, but 2 of "
                                   r"3 cells finished")
        self.assertRegex(p.stdout, r"2/2\s+4242_1\s+done\s+3/3")
        # the reverse: results.csv whole again, summary.csv gone: done
        with open(os.path.join(shard, "results.csv"), "w") as f:
            f.writelines(rows)
        os.unlink(os.path.join(shard, "summary.csv"))
        p = self.ok(conlab("status", d, env=self.env))
        self.assertRegex(p.stdout, r"1/2\s+4242_0\s+done\s+3/3")
        self.assertIn("2 of 2 shards done", p.stdout)

    def test_without_squeue_states_are_unknown(self):
        self.ok(conlab("slurm", self.spec_path, "-o", self.run_dir, "--shards", "2",
                       env=self.env))
        with open(os.path.join(self.bin, "squeue"), "w") as f:  # as with no controller
            f.write("#!/bin/sh\necho 'squeue: error: Unable to contact slurm controller' >&2\n"
                    "exit 1\n")
        p = self.ok(conlab("status", self.run_dir, env=self.env), rc=1)
        self.assertIn("squeue unavailable", p.stdout)
        self.assertRegex(p.stdout, r"1/2\s+4242_0\s+incomplete")
        p = self.ok(conlab("slurm", "--resume", self.run_dir, env=self.env), rc=3)
        self.assertIn("must never run twice", p.stderr)

    def test_bad_command_lines(self):
        for args, msg in ((["--shards", "0"], "--shards"),
                          (["-c", "2", "--exclusive"], "not both"),
                          (["-p", "a b"], "bad --partition")):
            p = self.ok(conlab("slurm", self.spec_path, "-o", self.run_dir, *args, env=self.env),
                        rc=2)
            self.assertIn(msg, p.stderr)
        p = self.ok(conlab("status", self.dir, env=self.env), rc=2)
        self.assertIn("no slurm.yaml", p.stderr)
        self.assertEqual(self.sbatch_calls(), [])


# ---- a real Slurm ---------------------------------------------------------------

def slurm_missing():
    """Why the Slurm tests cannot run here, or None."""
    if os.environ.get("CONLAB_SLURM_CONF"):
        return None
    for cmd in ("sbatch", "squeue", "slurmctld", "slurmd", "munged"):
        if not (shutil.which(cmd) or os.path.exists("/usr/sbin/" + cmd)):
            return ("Slurm is not installed (no %s; scripts/deps.sh installs slurm-wlm "
                    "and munge)" % cmd)
    if os.geteuid() != 0:
        return ("a test cluster needs root; or set CONLAB_SLURM_CONF to the "
                "slurm.conf of a running one")
    return None


class Slurm(Case):
    """A one-node cluster on localhost: the array, the merge job, status, resume."""

    @classmethod
    def setUpClass(cls):
        cls.cluster = None
        conf = os.environ.get("CONLAB_SLURM_CONF")
        if not conf:
            cls.cluster = tempfile.mkdtemp(prefix="conlab-slurm-")
            script = os.path.join(SRC, "tests", "slurm", "cluster.sh")
            p = subprocess.run(["bash", script, "start", cls.cluster], capture_output=True,
                               text=True, timeout=120)
            if p.returncode != 0:
                subprocess.run(["bash", script, "stop", cls.cluster], timeout=60)
                raise RuntimeError("cannot start a test cluster:\n" + p.stdout + p.stderr)
            conf = os.path.join(cls.cluster, "slurm.conf")
        cls.env = {"SLURM_CONF": conf}

    @classmethod
    def tearDownClass(cls):
        if cls.cluster:
            script = os.path.join(SRC, "tests", "slurm", "cluster.sh")
            subprocess.run(["bash", script, "stop", cls.cluster], timeout=60)
            shutil.rmtree(cls.cluster, ignore_errors=True)

    def wait_jobs(self, run, timeout=240):
        """Poll squeue until every job slurm.yaml names has left the queue."""
        ids = [l.split(": ")[1] for l in slurp(os.path.join(run, "slurm.yaml")).splitlines()
               if l.strip().startswith(("array_job:", "merge_job:"))]
        env = dict(os.environ, **self.env)
        deadline = time.time() + timeout
        while time.time() < deadline:
            p = subprocess.run(["squeue", "-h", "-o", "%i %T", "-j", ",".join(ids)],
                               capture_output=True, text=True, env=env)
            if p.returncode == 0 and not p.stdout.strip():
                return
            if p.returncode != 0 and "Invalid job id" in p.stderr:
                return  # already purged: long done
            time.sleep(0.3)
        q = subprocess.run(["squeue"], capture_output=True, text=True, env=env)
        self.fail("jobs %s still queued after %ds:\n%s" % (ids, timeout, q.stdout))

    def test_array_and_merge_match_a_local_run(self):
        spec = self.spec(SPEC)
        self.ok(conlab("run", spec, "-o", self.path("whole"), "-q", "--tasks"))
        run = self.path("big")
        t0 = time.time()
        p = self.ok(conlab("slurm", spec, "-o", run, "--shards", "4", "--cpus-per-task", "1",
                           "--tasks", "-t", "00:10:00", env=self.env))
        self.assertIn("4 shards", p.stdout)
        self.wait_jobs(run)
        print("\n4-task array and merge job: %.1f s" % (time.time() - t0), file=sys.stderr)
        logs = sorted(os.listdir(os.path.join(run, "logs")))
        self.assertEqual(len([l for l in logs if l.startswith("shard-")]), 4, logs)
        self.assertEqual(len([l for l in logs if l.startswith("merge-")]), 1, logs)
        meta = run_yaml(os.path.join(run, "run.yaml"))
        self.assertEqual(meta["state"], "complete", slurp(os.path.join(run, "run.yaml")))
        self.assertEqual(meta["shards"], "4")
        self.assert_same_cells(run, self.path("whole"))
        p = self.ok(conlab("status", run, env=self.env))
        self.assertIn("4 of 4 shards done", p.stdout)
        self.assertIn("(complete, 6 of 6 cells, at ", p.stdout)

    def test_each_shard_binds_inside_its_allocation(self):
        """task/affinity gives each 1-CPU shard one CPU; pinning compact with 2
        workers must wrap onto that CPU, never bind outside it."""
        spec = self.spec(SPEC)
        run = self.path("pinned")
        self.ok(conlab("slurm", spec, "-o", run, "--shards", "3", "--cpus-per-task", "1",
                       "--tasks", env=self.env))
        self.wait_jobs(run)
        for i in range(3):
            log = [l for l in os.listdir(os.path.join(run, "logs"))
                   if l.startswith("shard-%d-" % i)]
            text = slurp(os.path.join(run, "logs", log[0]))
            cpus = text.split(", CPUs ")[1].split()[0]
            self.assertNotIn(",", cpus, text)
            self.assertNotIn("-", cpus, text)
            used = {t["cpu"] for t in read_csv(os.path.join(run, "shard-%d" % i, "tasks.csv"))}
            self.assertEqual(used, {cpus}, "shard %d was given CPU %s" % (i, cpus))

    def test_resume_resubmits_only_the_failed_shard(self):
        spec = self.spec(SPEC)
        run = self.path("again")
        self.ok(conlab("slurm", spec, "-o", run, "--shards", "3", "-c", "1", env=self.env))
        self.wait_jobs(run)
        shutil.rmtree(os.path.join(run, "shard-1"))  # as if its node had burnt
        p = self.ok(conlab("status", run, env=self.env), rc=1)
        self.assertRegex(p.stdout, r"2/3\s+\d+_1\s+failed")
        p = self.ok(conlab("slurm", "--resume", run, env=self.env))
        self.assertIn("--array=1 ", slurp(os.path.join(run, "slurm.yaml")))
        self.wait_jobs(run)
        p = self.ok(conlab("status", run, env=self.env))
        self.assertIn("3 of 3 shards done", p.stdout)
        self.assertEqual(run_yaml(os.path.join(run, "run.yaml"))["state"], "complete")


if __name__ == "__main__":
    [SRC], argv = e2e.start(sys.argv, "CONLAB SOURCE_DIR")
    names = argv[1:]
    if "Slurm" in names:
        why = slurm_missing()
        if why:
            print("SKIPPED the Slurm tests: " + why)
            if names == ["Slurm"]:
                sys.exit(SKIP_RC)
            names.remove("Slurm")
    unittest.main(argv=[sys.argv[0]] + names, verbosity=2)
