#!/usr/bin/env python3
"""`conlab calibrate`: the machine floors as a table and as JSON, on every
CPU and on one, its --help, its usage errors; `conlab run --calibrate` (and
`calibrate: true`) records them in run.yaml, and the report says which
cells they dominate.  Run by ctest (label e2e):
    python3 test_calibrate.py CONLAB [ClassName]
"""
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
import unittest

import e2e

FLOORS = ["clock_read", "syscall", "page_first_touch", "thread_create_join", "fork_wait",
          "switch_threads", "switch_processes", "sleep_overshoot", "wake_cross_cpu"]
# "  KEY   12.3 µs   10 µs .. 15 µs   n=100   what"  or  "  KEY   n/a   reason"
ROW = re.compile(r"^  (\w+) +(?:([\d.]+) (ns|µs|ms) .* n=(\d+) |(n/a|failed) )")
UNIT = {"ns": 1, "µs": 1e3, "ms": 1e6}


def rows(text):
    """{key: (median_ns or None, samples or None, status)} from the table."""
    out = {}
    for line in text.splitlines()[1:]:
        m = ROW.match(line)
        if m is None:
            raise AssertionError("not a floor row: %r" % line)
        if m.group(5):
            out[m.group(1)] = (None, None, m.group(5))
        else:
            out[m.group(1)] = (float(m.group(2)) * UNIT[m.group(3)], int(m.group(4)), "ok")
    return out


class Calibrate(unittest.TestCase):
    def calibrate(self, *args, prefix=()):
        t0 = time.monotonic()
        if prefix:
            p = subprocess.run(list(prefix) + [e2e.CONLAB, "calibrate"] + list(args),
                               capture_output=True, text=True, timeout=60)
        else:
            p = e2e.run(["calibrate"] + list(args), timeout=60)
        took = time.monotonic() - t0
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr, "")
        if not e2e.SLOW:
            self.assertLess(took, 4.0)  # 2 s is the design; a loaded VM gets slack
        return p.stdout

    def test_text(self):
        r = rows(self.calibrate())
        self.assertEqual(list(r), FLOORS)
        cpus = len(os.sched_getaffinity(0))
        for key, (median, n, status) in r.items():
            if key == "wake_cross_cpu" and cpus < 2:
                self.assertEqual(status, "n/a")
                continue
            self.assertEqual(status, "ok", key)
            self.assertTrue(math.isfinite(median) and median > 0, key)
            self.assertGreaterEqual(n, 5, key)
            self.assertLessEqual(n, 1000, key)
        self.assertGreater(r["fork_wait"][0], r["clock_read"][0])
        self.assertGreater(r["thread_create_join"][0], r["clock_read"][0])

    def test_json_has_the_same_floors(self):
        doc = json.loads(self.calibrate("--format", "json", "--quick"))
        self.assertEqual(list(doc["floors"]), FLOORS)
        self.assertEqual(doc["cpus"], len(os.sched_getaffinity(0)))
        self.assertGreater(doc["elapsed_s"], 0)
        for key, f in doc["floors"].items():
            self.assertTrue(f["what"], key)
            if f["status"] != "ok":
                self.assertEqual((key, f["status"]), ("wake_cross_cpu", "n/a"))
                self.assertIn("one CPU", f["reason"])
                continue
            for v in ("median_ns", "p10_ns", "p90_ns"):
                self.assertTrue(math.isfinite(f[v]) and f[v] > 0, (key, v))
            self.assertLessEqual(f["p10_ns"], f["median_ns"])
            self.assertLessEqual(f["median_ns"], f["p90_ns"])
            self.assertTrue(5 <= f["samples"] <= 100, key)  # --quick's cap
        fl = doc["floors"]
        self.assertGreater(fl["fork_wait"]["median_ns"], fl["clock_read"]["median_ns"])
        self.assertGreater(fl["thread_create_join"]["median_ns"], fl["clock_read"]["median_ns"])

    def test_one_cpu(self):
        taskset = shutil.which("taskset")
        if not taskset or e2e.SLOW:
            self.skipTest("taskset not installed" if not taskset else "under valgrind")
        cpu = str(min(os.sched_getaffinity(0)))
        out = self.calibrate("--quick", prefix=(taskset, "-c", cpu))
        self.assertIn("1 CPU usable", out)
        r = rows(out)
        self.assertEqual(list(r), FLOORS)
        self.assertEqual(r["wake_cross_cpu"][2], "n/a")
        self.assertIn("only one CPU is usable", out)
        self.assertEqual([k for k, v in r.items() if v[2] != "ok"], ["wake_cross_cpu"])

    def test_help_names_every_floor(self):
        for args in (["calibrate", "--help"], ["help", "calibrate"]):
            p = e2e.run(args)
            self.assertEqual(p.returncode, 0)
            for key in FLOORS:
                self.assertRegex(p.stdout, r"\n  %s: \S" % key)
            self.assertIn("--quick", p.stdout)
        self.assertIn("calibrate", e2e.run(["--help"]).stdout)

    def test_usage_errors(self):
        for args, says in ((["--format", "xml"], "text or json, not 'xml'"),
                           (["--bogus"], "unknown option '--bogus'"),
                           (["--format"], "needs a value"),
                           (["extra"], "unexpected argument 'extra'")):
            p = e2e.run(["calibrate"] + args)
            self.assertEqual(p.returncode, 2, args)
            self.assertIn(says, p.stderr)
            self.assertIn("usage: conlab calibrate", p.stderr)
            self.assertEqual(p.stdout, "")


FLOOR_SPEC = """experiment: floors
repeat: 3
warmup: 0
%s
strategies:
  - threads: { workers: 2 }
  - processes: { workers: 2 }
workloads:
  - sleep: { tasks: 4, seconds: 1ms }
"""


def set_floors(run_dir, values):
    """Rewrite the floors: of run_dir/run.yaml with {key: value}."""
    path = os.path.join(run_dir, "run.yaml")
    with open(path) as f:
        text = f.read()
    for key, value in values.items():
        text, n = re.subn(r"(?m)^  %s: .*$" % re.escape(key), "  %s: %s" % (key, value), text)
        assert n == 1, key
    with open(path, "w") as f:
        f.write(text)


class RunCalibrate(e2e.Case):
    def floors_of(self, run_dir):
        with open(os.path.join(run_dir, "run.yaml")) as f:
            text = f.read()
        m = re.search(r"(?m)^floors:\n((?:  .*\n)+)", text)
        if m is None:
            return None
        return dict(line.strip().split(": ", 1) for line in m.group(1).splitlines())

    def notes(self, run_dir):
        p = e2e.run(["report", run_dir, "--format", "json"])
        self.assertEqual(p.returncode, 0, p.stderr)
        return {c["strategy_label"]: [w for w in c["warnings"] if "floors" in w]
                for w in json.loads(p.stdout)["workloads"] for c in w["cells"]}

    def test_floors_recorded_and_read_back(self):
        d, p = self.run_spec(FLOOR_SPEC % "calibrate: true", ["-q"], name="spec")
        floors = self.floors_of(d)
        self.assertIsNotNone(floors)
        for key in FLOORS:
            self.assertIn(key, floors)
            if floors[key] != "n/a":
                self.assertGreater(float(floors[key]), 0, key)
                self.assertGreaterEqual(int(floors[key + ".samples"]), 5, key)
        # the figures are this machine's: set them so the verdict is known
        # (fork + wait 1 s: far over any cell; a thread start 1 ns: nothing)
        set_floors(d, {"fork_wait": 1e9, "thread_create_join": 1,
                       "sleep_overshoot": 1})
        notes = self.notes(d)
        self.assertEqual(notes["threads(workers=2)"], [])
        (note,) = notes["processes(workers=2)"]
        self.assertRegex(note, r"^2 processes × 1 s to fork and wait = 2 s, \d+% of "
                               r"this cell's median [\d.]+ ms: it measures the "
                               r"machine's floors \(conlab calibrate\)")
        text = e2e.run(["report", d]).stdout
        self.assertIn("2 processes × 1 s to fork and wait", text.replace("\n      ", " "))
        out = self.path("plots")
        p = e2e.run(["plot", d, "-o", out])
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(out, "report.html")) as f:
            self.assertIn("2 processes × 1 s to fork and wait", f.read())

    def test_option_and_none_without(self):
        d, p = self.run_spec(FLOOR_SPEC % "", ["--calibrate"], name="opt")
        self.assertIn("measuring the machine's floors", p.stderr)
        self.assertIsNotNone(self.floors_of(d))
        d, _ = self.run_spec(FLOOR_SPEC % "", ["-q"], name="plain")
        self.assertIsNone(self.floors_of(d))
        self.assertEqual(self.notes(d), {"threads(workers=2)": [], "processes(workers=2)": []})
        self.assertIn("--calibrate", e2e.run(["run", "--help"]).stdout)


if __name__ == "__main__":
    _, argv = e2e.start(sys.argv, "CONLAB")
    unittest.main(argv=argv, verbosity=2)
