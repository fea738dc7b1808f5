#!/usr/bin/env python3
"""`conlab run --resume`: results.csv is the truth.  A torn last line is
named and its repetition runs again; random bytes, a row of a cell not in
the spec are refused with nothing rewritten; summary.csv deleted or edited
comes back byte for byte; run.yaml is written before the first cell (a full
disk measures nothing, exit 3) and a directory without it is explained; a
repetition the host could not start has its row; an old fnv1a64 spec hash
still resumes, a changed plugin file is refused.  Run by ctest (labels e2e,
reliability):
    python3 test_resume.py CONLAB [ClassName]
"""
import csv
import hashlib
import io
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import unittest

import e2e
from e2e import read_csv, run, slurp

SPEC = """
experiment: resume
repeat: 3
warmup: 1
strategies: [sequential, { threads: { workers: 2 } }]
workloads: [{ noop: { tasks: 40 } }]
"""
REPEAT = 3


def tree(path):
    """Every file under path (but .lock) with its content's hash."""
    out = {}
    for root, _, files in os.walk(path):
        for name in files:
            p = os.path.join(root, name)
            if name != ".lock":
                with open(p, "rb") as f:
                    out[os.path.relpath(p, path)] = hashlib.sha256(f.read()).hexdigest()
    return out


def lines(path):
    with open(path, newline="") as f:
        return f.read().splitlines(True)


class Resume(e2e.Case):
    def setUp(self):
        super().setUp()
        self.spec_path = self.spec(SPEC)
        self.out = self.path("out")

    def conlab(self, *args, rc=0):
        return self.ok(run(list(args)), rc)

    def first_run(self, *extra):
        self.conlab("run", self.spec_path, "-o", self.out, "-q", *extra)
        return os.path.join(self.out, "results.csv"), os.path.join(self.out, "summary.csv")

    def resume(self, *extra, rc=0):
        return self.conlab("run", self.spec_path, "--resume", self.out, "-q", *extra, rc=rc)

    def assert_every_rep_once(self, results):
        rows = read_csv(results)
        keys = [(r["cell"], int(r["repetition"])) for r in rows]
        self.assertEqual(len(keys), len(set(keys)), "a repetition twice")
        cells = {c for c, _ in keys}
        self.assertEqual(len(cells), 2)
        self.assertEqual(sorted(keys), sorted((c, k) for c in cells for k in range(1, REPEAT + 1)))
        return rows

    def assert_summary_matches(self, results, summary):
        rows = read_csv(results)
        for s in read_csv(summary):
            walls = [float(r["wall_s"]) for r in rows
                     if r["cell"] == s["cell"] and r["status"] == "ok"]
            self.assertEqual(int(s["reps"]), len(walls), s["cell"])
            self.assertAlmostEqual(float(s["wall_mean_s"]), sum(walls) / len(walls),
                                   delta=1e-8 * max(walls))

    def test_torn_last_line_runs_that_repetition_again(self):
        results, summary = self.first_run("--tasks")
        before = lines(results)
        # cut the last row short, as a kill -9 mid-write leaves it
        torn_line = len(before)
        with open(results, "w", newline="") as f:
            f.writelines(before[:-1])
            f.write(before[-1][:len(before[-1]) // 2])
        p = self.resume("--tasks")
        self.assertIn("results.csv:%d: torn last record" % torn_line, p.stderr)
        self.assertIn("that repetition runs again", p.stderr)
        after = lines(results)
        self.assertEqual(after[:-1], before[:-1])  # the rows measured before, kept as they were
        self.assertNotEqual(after[-1], before[-1])  # measured again
        last = next(csv.reader(io.StringIO(after[-1])))
        head = next(csv.reader(io.StringIO(after[0])))
        self.assertEqual(last[head.index("repetition")], str(REPEAT))
        self.assert_every_rep_once(results)
        self.assert_summary_matches(results, summary)
        tasks = read_csv(os.path.join(self.out, "tasks.csv"))
        keys = [(t["cell"], t["repetition"], t["task"]) for t in tasks]
        self.assertEqual(len(keys), len(set(keys)))
        self.assertEqual(len(keys), 2 * REPEAT * 40)
        self.assertIn("state: complete", slurp(os.path.join(self.out, "run.yaml")))

    def test_interrupted_rows_run_again(self):
        results, summary = self.first_run()
        before = lines(results)
        # cell 2's repetition 2 as Ctrl-C leaves it, repetition 3 never ran
        with open(results, "w", newline="") as f:
            f.writelines(before[:-2])
            f.write(before[-2].replace(",2,ok,", ",2,interrupted,"))
        p = self.conlab("run", self.spec_path, "--resume", self.out)
        self.assertIn("resuming: 1 of 2 cells already done; 1 partly measured "
                      "(1 repetitions kept)", p.stderr)
        after = lines(results)
        self.assertEqual(after[:-2], before[:-2])
        self.assertNotIn("interrupted", "".join(after))
        self.assert_every_rep_once(results)
        self.assert_summary_matches(results, summary)

    def test_random_bytes_are_refused(self):
        results, _ = self.first_run()
        noise = bytes(random.Random(14).randrange(256) for _ in range(4000))
        with open(results, "wb") as f:
            f.write(noise)
        was = tree(self.out)
        for force in ((), ("--force",)):
            p = self.resume(*force, rc=2)
            self.assertIn("results.csv: no conlab header", p.stderr)
            self.assertIn("refusing to take it for an empty one", p.stderr)
            self.assertEqual(tree(self.out), was)  # nothing rewritten

    def test_a_row_of_a_cell_not_in_the_spec_is_refused(self):
        results, _ = self.first_run()
        rows = lines(results)
        bogus = rows[1].replace("sequential x", "bogus x", 1)
        with open(results, "a", newline="") as f:
            f.write(bogus)
        was = tree(self.out)
        p = self.resume(rc=2)
        self.assertIn("results.csv:%d: cell 'bogus x noop(tasks=40)' is not in this spec"
                      % (len(rows) + 1), p.stderr)
        self.assertEqual(tree(self.out), was)
        p = self.resume("--force")
        self.assertIn("is not in this spec: dropped (--force)", p.stderr)
        self.assertEqual(lines(results), rows)
        self.assert_every_rep_once(results)

    def test_a_changed_header_is_refused(self):
        results, _ = self.first_run()
        rows = lines(results)
        with open(results, "w", newline="") as f:
            f.write(rows[0].replace(",wall_s,", ",wall,"))
            f.writelines(rows[1:])
        was = tree(self.out)
        p = self.resume(rc=2)
        self.assertIn("results.csv:1: not the header of this run's results.csv", p.stderr)
        self.assertEqual(tree(self.out), was)

    def test_summary_is_made_again_from_results(self):
        results, summary = self.first_run()
        want = slurp(summary)
        os.unlink(summary)
        self.resume()
        self.assertEqual(slurp(summary), want)
        with open(summary, "w") as f:  # tampered: every cell ok with 0 repetitions
            f.write(want.replace(",ok,3,", ",ok,0,").replace(",ok,", ",wrong,"))
        self.resume()
        self.assertEqual(slurp(summary), want)
        self.assert_summary_matches(results, summary)

    def test_a_full_disk_before_run_yaml_measures_nothing(self):
        # run.yaml holds the spec: 30 kB of comments make it outgrow a file
        # size limit that DIR/.lock fits in
        big = self.spec(SPEC + "".join("# padding %05d: run.yaml holds the spec as given\n" % i
                                       for i in range(600)), "big.yaml")

        def small_files():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (16384, 16384))

        p = subprocess.run(e2e.conlab_cmd() + ["run", big, "-o", self.out, "-q"],
                           preexec_fn=small_files, capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn("cannot write %s/run.yaml: File too large; nothing was measured"
                      % self.out, p.stderr)
        self.assertEqual(sorted(os.listdir(self.out)), [".lock"])  # no cell measured
        p = self.conlab("run", big, "--resume", self.out, "-q", rc=2)
        self.assertIn("cannot resume %s: it has no run.yaml" % self.out, p.stderr)
        self.assertIn("start over with `conlab run SPEC -o %s --force`" % self.out, p.stderr)
        self.conlab("run", big, "-o", self.out, "--force", "-q")
        self.assert_every_rep_once(os.path.join(self.out, "results.csv"))

    def test_a_full_disk_mid_run_then_resume(self):
        spec = self.spec(SPEC.replace("repeat: 3", "repeat: 10"), "ten.yaml")
        # the sizes a whole run's files have here (paths of the same length)
        self.conlab("run", spec, "-o", self.path("whl"), "-q")
        size = {f: os.path.getsize(self.path("whl", f))
                for f in ("run.yaml", "summary.csv", "results.csv")}
        limit = max(size["run.yaml"], size["summary.csv"]) + 300
        self.assertGreater(size["results.csv"], limit + 1000)

        def small_files():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

        p = subprocess.run(e2e.conlab_cmd() + ["run", spec, "-o", self.out, "-q"],
                           preexec_fn=small_files, capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn("File too large", p.stderr)
        results = os.path.join(self.out, "results.csv")
        self.assertEqual(os.path.getsize(results), limit)  # cut short at the limit
        self.assertIn("state: failed", slurp(os.path.join(self.out, "run.yaml")))
        kept = lines(results)[:-1]
        p = self.conlab("run", spec, "--resume", self.out, "-q")
        self.assertIn("results.csv:%d: torn last record" % (len(kept) + 1), p.stderr)
        self.assertEqual(lines(results)[:len(kept)], kept)
        rows = read_csv(results)
        keys = [(r["cell"], int(r["repetition"])) for r in rows]
        self.assertEqual(len(keys), len(set(keys)))
        self.assertEqual(len(keys), 2 * 10)
        self.assert_summary_matches(results, os.path.join(self.out, "summary.csv"))

    def test_a_repetition_the_host_cannot_start_has_its_row(self):
        # records for 10^9 tasks (64 GB) cannot be mapped on this machine
        with open("/proc/meminfo") as f:
            kib = {l.split(":")[0]: int(l.split()[1]) for l in f}
        with open("/proc/sys/vm/overcommit_memory") as f:
            overcommit = f.read().strip()
        if kib["MemTotal"] + kib["SwapTotal"] > 48 << 20 or overcommit == "1":
            self.skipTest("this machine could map 64 GB of task records")
        spec = self.spec(SPEC.replace("noop: { tasks: 40 }", "noop: { tasks: 1000000000 }")
                         .replace("[{ noop", "[{ noop: { tasks: 5 } }, { noop"), "huge.yaml")
        self.conlab("run", spec, "-o", self.out, "-q", rc=1)
        rows = read_csv(os.path.join(self.out, "results.csv"))
        huge = [r for r in rows if "1000000000" in r["cell"]]
        self.assertEqual(len(huge), 2)  # one per strategy: its cell ended there
        for r in huge:
            self.assertEqual((r["repetition"], r["status"]), ("0", "error"))
            self.assertIn("cannot map records for 1000000000 tasks", r["detail"])
        summ = {s["cell"]: s for s in read_csv(os.path.join(self.out, "summary.csv"))}
        for r in huge:
            self.assertEqual(summ[r["cell"]]["status"], "error")
        # the error row is the cell's state: a resume keeps it, runs nothing
        was = lines(os.path.join(self.out, "results.csv"))
        p = self.conlab("run", spec, "--resume", self.out, rc=1)
        self.assertIn("resuming: 4 of 4 cells already done", p.stderr)
        self.assertEqual(lines(os.path.join(self.out, "results.csv")), was)

    def test_an_old_fnv1a64_spec_hash_still_resumes(self):
        """A run.yaml from before the SHA-256 records fnv1a64 of the spec
        text: the same spec resumes, another is refused."""
        results, _ = self.first_run()
        was = lines(results)
        run_yaml = os.path.join(self.out, "run.yaml")
        meta = slurp(run_yaml)
        self.assertRegex(meta, r"\nspec_hash: sha256:[0-9a-f]{64}\n")

        def set_hash(text):
            h = 1469598103934665603  # conlab's cl_fnv1a64, as it always was
            for b in text.encode():
                h = ((h ^ b) * 1099511628211) % 2**64
            with open(run_yaml, "w") as f:
                f.write(re.sub(r"\nspec_hash: \S+\n", "\nspec_hash: fnv1a64:%016x\n" % h, meta))

        set_hash(SPEC)
        p = self.resume()
        self.assertEqual(lines(results), was)  # nothing measured again
        self.assertIn("spec_hash: sha256:", slurp(run_yaml))  # rewritten
        set_hash(SPEC + "# another spec\n")
        p = self.resume(rc=2)
        self.assertIn("different spec (fnv1a64:", p.stderr)

    def test_a_changed_plugin_file_is_refused(self):
        """run.yaml records each plugin's sha256; --resume refuses when a
        plugin file changed (naming it, old and new hash), --force takes it
        and records the new hash."""
        so = self.path("mine.so")
        plugins = os.path.join(os.path.dirname(e2e.CONLAB), "plugins")
        shutil.copy(os.path.join(plugins, "workload_noop.so"), so)
        self.spec_path = self.spec(SPEC.replace("{ noop: { tasks: 40 } }",
                                                "{ mine: { plugin: %s, tasks: 40 } }" % so))

        def sha(path):
            with open(path, "rb") as f:
                return hashlib.sha256(f.read()).hexdigest()
        old = sha(so)
        self.first_run()
        run_yaml = os.path.join(self.out, "run.yaml")
        meta = slurp(run_yaml)
        self.assertIn("plugins:", meta)
        self.assertIn("path: %s\n" % so, meta)
        self.assertIn("sha256: %s\n" % old, meta)
        self.assertIn("sha256: %s\n" % sha(os.path.join(plugins, "strategy_threads.so")), meta)
        self.resume()  # unchanged: fine
        with open(so, "ab") as f:
            f.write(b"\0")
        new = sha(so)
        p = self.resume(rc=2)
        self.assertIn("workload plugin 'noop' (%s) changed" % so, p.stderr)
        self.assertIn("sha256 %s, now %s" % (old, new), p.stderr)
        self.assertIn("sha256: %s\n" % old, slurp(run_yaml))  # nothing changed
        self.resume("--force")
        meta = slurp(run_yaml)
        self.assertIn("sha256: %s\n" % new, meta)
        self.assertNotIn(old, meta)


if __name__ == "__main__":
    _, argv = e2e.start(sys.argv, "CONLAB")
    unittest.main(argv=argv, verbosity=2)
