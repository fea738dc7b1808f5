#!/usr/bin/env python3
"""End-to-end tests of `conlab report`, `conlab plot`, `conlab compare` and
the progress display of `conlab run`.  Run by ctest:

    python3 test_report.py CONLAB [ClassName...]

Real runs are small (sleep tasks of a few milliseconds); the warnings are
checked on synthetic run directories written here, where the numbers are
known.  The HTML is loaded in headless Chromium when it is installed (the
test says so and skips otherwise).
"""
import csv
import html.parser
import io
import json
import math
import os
import pty
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

import e2e
from e2e import read_csv
from e2e import run as conlab

SVG = "{http://www.w3.org/2000/svg}"


def close(a, b, rel=1e-6):
    return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=1e-12)


# ---- synthetic run directories ----------------------------------------------

RESULTS_HEADER = [
    "experiment", "cell", "strategy", "workload", "repetition", "status",
    "tasks", "tasks_ok", "tasks_failed", "wall_s", "user_s", "sys_s",
    "throughput_per_s", "lat_p50_s", "lat_p99_s", "lat_max_s", "max_rss_kib",
    "vol_ctxsw", "invol_ctxsw", "strategy.workers", "workload.tasks", "pinning",
    "workers", "tasks_missing", "tasks_duplicated", "tasks_wrong", "detail",
    "failure_reasons"]

RUN_YAML_OK = """experiment: synth
state: complete
started: 2026-01-01T00:00:00+0000
repeat: 5
warmup: 0
pinning: compact
pinning_possible: true
host:
  hostname: testhost
  cpu: Test CPU
  online_cpus: 8
  loadavg_1m: 0.25
  governor: performance
  virtualized: false
"""

RUN_YAML_BAD = """experiment: synth
state: interrupted
repeat: 5
warmup: 0
pinning: compact
pinning_possible: false
pinning_note: hwloc cannot bind threads here
host:
  hostname: testhost
  online_cpus: 2
  loadavg_1m: 5.5
  governor: powersave,performance
  virtualized: true
  hypervisor: KVM
"""


def write_run(path, cells, run_yaml=RUN_YAML_OK, summary=True, workload="sleep(tasks=10)"):
    """cells: list of (strategy label, workers, [wall_s per repetition]) or
    (label, workers, walls, status).  Writes results.csv, summary.csv (the
    cell statuses; figures are the report's business) and run.yaml."""
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "run.yaml"), "w") as f:
        f.write(run_yaml)
    with open(os.path.join(path, "results.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(RESULTS_HEADER)
        for cell in cells:
            label, workers, walls = cell[:3]
            status = cell[3] if len(cell) > 3 else "ok"
            name = "%s x %s" % (label, workload)
            for i, wall in enumerate(walls, 1):
                w.writerow(["synth", name, label, workload, i, status, 10, 10, 0,
                            wall, wall * 0.5, wall * 0.1, 10 / wall, "", "", "",
                            1000, 1, 1, workers if label != "sequential" else "",
                            10, "compact", workers, 0, 0, 0, "", ""])
    if summary:
        with open(os.path.join(path, "summary.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["experiment", "cell", "strategy", "workload", "status",
                        "reps", "workers", "tasks", "detail"])
            for cell in cells:
                label, workers, walls = cell[:3]
                status = cell[3] if len(cell) > 3 else "ok"
                w.writerow(["synth", "%s x %s" % (label, workload), label, workload,
                            status, len(walls), workers, 10, ""])


STEADY = [0.1000, 0.1010, 0.0990, 0.1005, 0.0998]


class Case(e2e.Case):
    def report_json(self, d):
        p = conlab(["report", d, "--format", "json"])
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)

    def cells(self, rep):
        return {c["strategy_label"]: c for w in rep["workloads"] for c in w["cells"]}


SMALL = """experiment: small
repeat: 5
warmup: 1
timeout: 60s
strategies:
  - sequential
  - threads: { workers: [2, 4] }
  - coroutines: { concurrency: 4 }
workloads:
  - sleep: { tasks: 8, seconds: 4ms }
"""


class Report(Case):
    """The report of a real run agrees with summary.csv."""

    @classmethod
    def setUpClass(cls):
        cls.tmp_class = tempfile.TemporaryDirectory(prefix="conlab-report-run-")
        cls.run_dir = os.path.join(cls.tmp_class.name, "run")
        spec = os.path.join(cls.tmp_class.name, "small.yaml")
        with open(spec, "w") as f:
            f.write(SMALL)
        cls.proc = conlab(["run", spec, "-o", cls.run_dir, "--tasks"])
        if cls.proc.returncode != 0:
            raise RuntimeError("conlab run failed:\n" + cls.proc.stdout + cls.proc.stderr)

    @classmethod
    def tearDownClass(cls):
        cls.tmp_class.cleanup()

    def test_csv_matches_summary(self):
        p = conlab(["report", self.run_dir, "--format", "csv"])
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = {r["cell"]: r for r in csv.DictReader(io.StringIO(p.stdout))}
        summary = read_csv(os.path.join(self.run_dir, "summary.csv"))
        results = read_csv(os.path.join(self.run_dir, "results.csv"))
        self.assertEqual(len(rows), 4)
        self.assertEqual(set(rows), {s["cell"] for s in summary})
        for s in summary:
            r = rows[s["cell"]]
            self.assertEqual(r["status"], s["status"])
            self.assertEqual(int(r["ok_reps"]), int(s["reps"]))
            self.assertEqual(int(r["workers"]), int(s["workers"]))
            for mine, theirs in [("wall_mean_s", "wall_mean_s"), ("wall_sd_s", "wall_sd_s"),
                                 ("wall_median_s", "wall_median_s"),
                                 ("wall_ci95_lo_s", "wall_ci95_lo_s"),
                                 ("wall_ci95_hi_s", "wall_ci95_hi_s"),
                                 ("speedup", "speedup")]:
                self.assertTrue(close(r[mine], s[theirs]), "%s %s: %s vs %s" % (
                    s["cell"], mine, r[mine], s[theirs]))
            # efficiency and CPU use follow from the same numbers
            self.assertTrue(close(r["efficiency"], float(s["speedup"]) / int(s["workers"])))
            # cpu_util is the mean over ok repetitions of (user + sys) / wall
            # (not a ratio of means, which drifts apart on a loaded machine)
            reps = [x for x in results if x["cell"] == s["cell"] and x["status"] == "ok"]
            cpu = sum((float(x["user_s"]) + float(x["sys_s"])) / float(x["wall_s"])
                      for x in reps) / len(reps)
            self.assertTrue(close(r["cpu_util"], cpu, rel=0.01), (s["cell"], r["cpu_util"], cpu))
        # the lowest median is the fastest, or ties with the runner-up
        fastest = [r for r in rows.values() if r["fastest"] == "1"]
        tied = [r for r in rows.values() if r["tie"] == "1"]
        best = min(summary, key=lambda s: float(s["wall_median_s"]))
        self.assertEqual(len(fastest) + len(tied) // 2, 1, rows)
        self.assertIn(best["cell"], [r["cell"] for r in fastest + tied])
        for s in summary:  # speedups of medians, against summary's baseline
            self.assertEqual(s["baseline"], "sequential")
            self.assertTrue(float(s["speedup_ci95_lo"]) <= float(s["speedup"])
                            <= float(s["speedup_ci95_hi"]), s)

    def test_text_table(self):
        p = conlab(["report", self.run_dir])
        self.assertEqual(p.returncode, 0, p.stderr)
        out = p.stdout
        self.assertIn("small: complete, 4 cells", out)
        self.assertIn("sleep(tasks=8,seconds=0.004)", out)
        header = [l for l in out.splitlines() if "strategy" in l and "speedup" in l]
        self.assertEqual(len(header), 1, out)
        for word in ["mean", "median", "95% CI", "efficiency", "CPU", "failed", "status"]:
            self.assertIn(word, header[0])
        marked = [l for l in out.splitlines() if l.startswith("*  ")]
        tied = [l for l in out.splitlines() if l.startswith("=  ")]
        self.assertEqual(len(marked) + len(tied) // 2, 1, out)
        if tied:
            self.assertIn("ties with", out)
        seq = [l for l in out.splitlines() if re.match(r"^[*=]?\s+sequential\s", l)]
        self.assertEqual(len(seq), 1, out)
        self.assertIn("1.00x", seq[0])
        self.assertIn("100%", seq[0])  # efficiency of the baseline

    def test_printed_after_run(self):
        out = self.proc.stdout
        self.assertIn("small: complete", out)
        self.assertIn("threads(workers=4)", out)
        self.assertIn("speedup", out)
        self.assertIn("results: %s/" % self.run_dir, out)
        # stderr is not a terminal here: a plain line per cell
        self.assertEqual(len(re.findall(r"^\[\d/4\] .* ok ", self.proc.stderr, re.M)), 4,
                         self.proc.stderr)

    def test_markdown_and_json(self):
        p = conlab(["report", self.run_dir, "--format", "md"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("| strategy |", p.stdout.replace("\\", ""))
        self.assertRegex(p.stdout, r"\| (\*\*fastest\*\*|=) \|")
        self.assertEqual(p.stdout.count("\n## "), 1)
        rep = self.report_json(self.run_dir)
        self.assertEqual(rep["experiment"], "small")
        self.assertEqual(rep["state"], "complete")
        cells = self.cells(rep)
        self.assertEqual(len(cells["threads(workers=2)"]["walls_s"]), 5)
        self.assertEqual(cells["coroutines(concurrency=4)"]["sweep"], 4)
        self.assertEqual(cells["sequential"]["speedup"], 1)

    def test_bad_arguments(self):
        p = conlab(["report", self.path("nowhere")])
        self.assertEqual(p.returncode, 2)
        self.assertIn("results.csv", p.stderr)
        p = conlab(["report", self.run_dir, "--format", "xml"])
        self.assertEqual(p.returncode, 2)
        self.assertIn("unknown format", p.stderr)
        p = conlab(["report"])
        self.assertEqual(p.returncode, 2)
        p = conlab(["report", "--help"])
        self.assertEqual(p.returncode, 0)
        self.assertIn("modified", p.stdout)


class Warnings(Case):
    """Each warning fires on the numbers made to trigger it, and only there."""

    def warnings_of(self, cells, **kw):
        d = self.path("run")
        write_run(d, cells, **kw)
        rep = self.report_json(d)
        return rep, {k: c["warnings"] for k, c in self.cells(rep).items()}

    def test_each_warning(self):
        rep, w = self.warnings_of([
            ("sequential", 1, STEADY),
            ("threads(workers=2)", 2, [0.10, 0.13, 0.08, 0.12, 0.095]),   # CV 19%
            ("threads(workers=3)", 3, [0.100, 0.101, 0.099, 0.100, 0.150]),  # an outlier
            ("threads(workers=4)", 4, [0.0010, 0.0011, 0.0010, 0.0011, 0.0010]),  # tiny
            ("threads(workers=5)", 5, [0.300, 0.100, 0.101, 0.099, 0.100]),  # cold start
        ])
        self.assertEqual(rep["warnings"], [])
        self.assertEqual(w["sequential"], [])
        self.assertEqual(len(w["threads(workers=2)"]), 1, w)
        self.assertIn("varies a lot", w["threads(workers=2)"][0])
        self.assertIn("CV 19%", w["threads(workers=2)"][0])
        self.assertEqual(len(w["threads(workers=3)"]), 2, w)  # the outlier makes the CV too
        self.assertIn("repetition 5 (150 ms) is an outlier", w["threads(workers=3)"][0])
        self.assertEqual(len(w["threads(workers=4)"]), 1, w)
        self.assertIn("too short", w["threads(workers=4)"][0])
        cold = w["threads(workers=5)"]
        self.assertIn("first repetition (300 ms) was 3.0x slower", cold[0])
        self.assertIn("warmup", cold[0])
        self.assertFalse(any("outlier" in x for x in cold), cold)  # said once, as a cold start
        # the text report shows them under the table, marked in the status column
        p = conlab(["report", self.path("run")])
        self.assertIn("! threads(workers=3): repetition 5", p.stdout)
        self.assertRegex(p.stdout, r"threads\(workers=2\).*ok !")

    def test_steady_run_has_none(self):
        rep, w = self.warnings_of([("sequential", 1, STEADY),
                                   ("threads(workers=2)", 2, [x / 2 for x in STEADY])])
        self.assertEqual(rep["warnings"], [])
        self.assertEqual(w, {"sequential": [], "threads(workers=2)": []})
        self.assertAlmostEqual(self.cells(rep)["threads(workers=2)"]["speedup"], 2, places=6)
        self.assertAlmostEqual(self.cells(rep)["threads(workers=2)"]["efficiency"], 1, places=6)

    def test_machine_warnings(self):
        rep, _ = self.warnings_of([("sequential", 1, STEADY)], run_yaml=RUN_YAML_BAD)
        text = " | ".join(rep["warnings"])
        self.assertIn("the run is interrupted", text)
        self.assertIn("frequency scaling", text)
        self.assertIn("powersave", text)
        self.assertIn("load average 5.50 on 2 CPUs", text)
        self.assertIn("virtual machine (KVM)", text)
        self.assertIn("pinning compact was asked but could not be applied", text)
        self.assertIn("hwloc cannot bind threads here", text)
        self.assertEqual(rep["host"]["loadavg_1m"], 5.5)
        self.assertIs(rep["host"]["virtualized"], True)
        # CSV keeps a row per cell: the run's warnings go to stderr
        p = conlab(["report", self.path("run"), "--format", "csv"])
        self.assertEqual(p.returncode, 0)
        self.assertIn("warning: CPU frequency scaling", p.stderr)

    def test_failed_cells_and_no_sequential(self):
        rep, w = self.warnings_of([("threads(workers=2)", 2, STEADY),
                                   ("threads(workers=4)", 4, STEADY, "failed")])
        self.assertIn("no baseline for sleep", " ".join(rep["warnings"]))
        self.assertTrue(w["threads(workers=4)"][0].startswith("failed"))
        self.assertIsNone(self.cells(rep)["threads(workers=2)"]["speedup"])

    def test_partial_run(self):
        """No summary.csv yet, run.yaml says running: the cells so far."""
        d = self.path("run")
        write_run(d, [("sequential", 1, STEADY[:2])], summary=False,
                  run_yaml=RUN_YAML_OK.replace("state: complete", "state: running"))
        with open(os.path.join(d, "results.csv"), "a") as f:
            f.write('synth,"torn x sleep(tasks=10)",torn,sleep')  # a torn last line
        rep = self.report_json(d)
        cells = self.cells(rep)
        self.assertEqual(list(cells), ["sequential"])
        self.assertEqual(cells["sequential"]["status"], "running")
        self.assertIn("still running", cells["sequential"]["warnings"][0])
        self.assertIn("still running", rep["warnings"][0])
        p = conlab(["report", d])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("running", p.stdout)


class Compare(Case):
    def test_synthetic_change_and_noise(self):
        a, b = self.path("a"), self.path("b")
        noise = [0.1003, 0.0996, 0.1001, 0.0999, 0.1004]
        write_run(a, [("sequential", 1, STEADY), ("threads(workers=2)", 2, STEADY),
                      ("threads(workers=4)", 4, STEADY)])
        write_run(b, [("sequential", 1, noise),
                      ("threads(workers=2)", 2, [2 * x for x in noise]),
                      ("threads(workers=8)", 8, STEADY)])
        p = conlab(["compare", a, b, "--format", "json"])
        self.assertEqual(p.returncode, 0, p.stderr)
        got = {c["cell"].split(" x ")[0]: c for c in json.loads(p.stdout)["cells"]}
        self.assertEqual(got["sequential"]["verdict"], "same")
        self.assertFalse(got["sequential"]["changed"])
        self.assertEqual(got["threads(workers=2)"]["verdict"], "slower")
        self.assertTrue(got["threads(workers=2)"]["changed"])
        self.assertAlmostEqual(got["threads(workers=2)"]["ratio"], 2, delta=0.02)
        self.assertAlmostEqual(got["threads(workers=2)"]["p"], 2 / 252, places=6)
        self.assertEqual(got["threads(workers=4)"]["verdict"], "only in A")
        self.assertEqual(got["threads(workers=8)"]["verdict"], "only in B")
        # three repetitions a side can never reach p < 0.05: said so
        write_run(a, [("sequential", 1, STEADY[:3])])
        write_run(b, [("sequential", 1, [2 * x for x in STEADY[:3]])])
        p = conlab(["compare", a, b, "--format", "csv"])
        row = next(csv.DictReader(io.StringIO(p.stdout)))
        self.assertEqual(row["verdict"], "too few")
        self.assertEqual(row["changed"], "0")
        p = conlab(["compare", a, b])
        self.assertEqual(p.returncode, 0)
        self.assertIn("too few", p.stdout)
        self.assertIn("Mann-Whitney", p.stdout)
        p = conlab(["compare", a])
        self.assertEqual(p.returncode, 2)
        p = conlab(["compare", a, b, "--threshold", "lots"])
        self.assertEqual(p.returncode, 2)

    def test_real_2x_change_and_real_noise(self):
        spec = """experiment: cmp
repeat: 6
warmup: 1
strategies: [sequential]
workloads:
  - sleep: { tasks: 6, seconds: %s }
"""
        a, a2, b = self.path("a"), self.path("a2"), self.path("b")
        self.run_spec(spec % "10ms", ["-q"], name="a")
        self.run_spec(spec % "10ms", ["-q"], name="a2")
        self.run_spec(spec % "20ms", ["-q"], name="b")
        # B measured a workload twice as long: name its cell as A's
        for name in ("results.csv", "summary.csv"):
            path = os.path.join(b, name)
            with open(path) as f:
                text = f.read()
            with open(path, "w") as f:
                f.write(text.replace("seconds=0.02", "seconds=0.01"))
        p = conlab(["compare", a, b, "--format", "json"])
        self.assertEqual(p.returncode, 0, p.stderr)
        (cell,) = json.loads(p.stdout)["cells"]
        self.assertEqual(cell["verdict"], "slower", cell)
        # twice the sleep, plus the same timer overshoot and start-up on both
        # sides: a clear slow-down, a little under 2x on a loaded machine
        self.assertGreater(cell["ratio"], 1.5, cell)
        self.assertLess(cell["ratio"], 2.2, cell)
        self.assertLess(cell["p"], 0.01)
        p = conlab(["compare", a, a2, "--format", "json"])
        (cell,) = json.loads(p.stdout)["cells"]
        self.assertFalse(cell["changed"], cell)
        self.assertAlmostEqual(cell["ratio"], 1, delta=0.3)


class Tags(html.parser.HTMLParser):
    """Figures of report.html: id -> counts of the SVG elements inside."""

    def __init__(self):
        super().__init__()
        self.figures, self.stack, self.notes = {}, [], []
        self.in_note = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "figure":
            self.stack.append(a.get("id"))
            self.figures[a.get("id")] = {}
        elif self.stack:
            d = self.figures[self.stack[-1]]
            d[tag] = d.get(tag, 0) + 1
        if tag == "p" and a.get("class") == "note":
            self.in_note = True

    def handle_endtag(self, tag):
        if tag == "figure" and self.stack:
            self.stack.pop()
        if tag == "p":
            self.in_note = False

    def handle_data(self, data):
        if self.in_note:
            self.notes.append(data)


def svg_counts(path):
    root = ET.parse(path).getroot()
    counts = {}
    for el in root.iter():
        tag = el.tag.replace(SVG, "")
        counts[tag] = counts.get(tag, 0) + 1
    return root, counts


class Plot(Case):
    SPEC = """experiment: plotme
repeat: 3
warmup: 0
strategies:
  - sequential
  - threads: { workers: [1, 2, 4, 8] }
  - coroutines: { concurrency: 8 }
workloads:
  - sleep: { tasks: 16, seconds: 3ms }
"""

    def check_svgs(self, out):
        files = sorted(f for f in os.listdir(out) if f.endswith(".svg"))
        for f in files:
            root, counts = svg_counts(os.path.join(out, f))
            self.assertEqual(root.tag, SVG + "svg", f)
            self.assertGreater(float(root.get("width")), 100)
            self.assertGreater(counts.get("text", 0), 3, f)
        return files

    def test_figures_and_html(self):
        run = self.path("run")
        self.run_spec(self.SPEC, ["-q", "--tasks"], name="run")
        p = conlab(["plot", run])
        self.assertEqual(p.returncode, 0, p.stderr)
        out = os.path.join(run, "plots")
        files = self.check_svgs(out)
        self.assertEqual(files, ["speedup-1.svg", "timeline-01.svg", "timeline-02.svg",
                                 "timeline-03.svg", "timeline-04.svg", "timeline-05.svg",
                                 "timeline-06.svg", "wall-1.svg"])
        # a timeline has a bar per task of repetition 1; lanes per worker
        root = ET.parse(os.path.join(out, "timeline-05.svg")).getroot()  # threads(workers=8)
        bars = [r for r in root.iter(SVG + "rect") if r.find(SVG + "title") is not None]
        self.assertEqual(len(bars), 16)
        labels = [t.text for t in root.iter(SVG + "text") if re.match(r"w\d+", t.text or "")]
        workers = {r["worker"] for r in read_csv(os.path.join(run, "tasks.csv"))
                   if r["cell"].startswith("threads(workers=8) x") and r["repetition"] == "1"}
        self.assertEqual(len(labels), len(workers), labels)
        self.assertGreaterEqual(len(labels), 2)
        # the wall chart has a bar per cell, the speedup chart a point per cell
        root = ET.parse(os.path.join(out, "wall-1.svg")).getroot()
        self.assertEqual(len([g for g in root.iter(SVG + "g")]), 6)
        root = ET.parse(os.path.join(out, "speedup-1.svg")).getroot()
        self.assertEqual(len([c for c in root.iter(SVG + "circle")
                              if c.find(SVG + "title") is not None]), 6)
        # report.html: every figure inline, as in its file
        with open(os.path.join(out, "report.html")) as f:
            page = f.read()
        t = Tags()
        t.feed(page)
        self.assertEqual(len(t.figures), len(files))
        for f in files:
            fid = f[:-4].replace("timeline-0", "timeline-")
            self.assertIn(fid, t.figures)
            _, counts = svg_counts(os.path.join(out, f))
            self.assertEqual(t.figures[fid].get("rect"), counts.get("rect"), f)
        self.assertIn('class="summary"', page)
        self.assertNotIn("<script", page)
        self.assertNotRegex(page, r"(src|href)=\"https?:")
        self.chromium(out, files)

    def chromium(self, out, files):
        exe = shutil.which("chromium") or shutil.which("chromium-browser")
        if not exe:
            print("\nSKIP chromium check: no chromium installed "
                  "(apt-get install chromium)", file=sys.stderr)
            return
        page = "file://" + os.path.abspath(os.path.join(out, "report.html"))
        base = [exe, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--user-data-dir=" + self.path("chromium"),
                "--enable-logging=stderr", "--v=0"]
        p = subprocess.run(base + ["--dump-dom", page], capture_output=True,
                           text=True, timeout=180)
        self.assertEqual(p.returncode, 0, p.stderr[-2000:])
        self.assertNotRegex(p.stderr, r"CONSOLE|Uncaught|Failed to load resource")
        t = Tags()
        t.feed(p.stdout)
        self.assertEqual(len(t.figures), len(files), p.stdout[:500])
        for f in files:
            fid = f[:-4].replace("timeline-0", "timeline-")
            _, counts = svg_counts(os.path.join(out, f))
            got = t.figures.get(fid, {})
            self.assertEqual(got.get("svg"), 1, fid)
            for tag in ("rect", "text", "line"):
                self.assertEqual(got.get(tag, 0), counts.get(tag, 0), "%s <%s>" % (fid, tag))
        shot = self.path("shot.png")
        p = subprocess.run(base + ["--hide-scrollbars", "--window-size=1100,3000",
                                   "--screenshot=" + shot, page],
                           capture_output=True, text=True, timeout=180)
        self.assertEqual(p.returncode, 0, p.stderr[-2000:])
        with open(shot, "rb") as f:
            png = f.read()
        self.assertEqual(png[:8], b"\x89PNG\r\n\x1a\n")
        self.assertGreater(len(png), 20000)

    def test_without_tasks(self):
        run = self.path("run")
        self.run_spec(self.SPEC, ["-q"], name="run")
        out = self.path("figs")
        p = conlab(["plot", run, "-o", out])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("no tasks.csv", p.stdout)
        self.assertIn("--tasks", p.stdout)
        files = self.check_svgs(out)
        self.assertEqual(files, ["speedup-1.svg", "wall-1.svg"])
        t = Tags()
        with open(os.path.join(out, "report.html")) as f:
            t.feed(f.read())
        self.assertTrue(any("--tasks" in n for n in t.notes), t.notes)

    def test_caps(self):
        """100 workers and 20,000 tasks: 64 lanes, about 5,000 bars, both said."""
        d = self.path("run")
        label = "threads(workers=100)"
        write_run(d, [("sequential", 1, [0.5] * 3), (label, 100, [0.2] * 3)])
        with open(os.path.join(d, "tasks.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["cell", "repetition", "task", "worker", "cpu", "start_s", "end_s",
                        "status", "reason", "value", "bytes", "code"])
            for i in range(20000):
                st = "failed" if i % 1000 == 7 else "ok"
                w.writerow(["%s x sleep(tasks=10)" % label, 1, i, i % 100, i % 2,
                            (i // 100) * 0.001, (i // 100) * 0.001 + 0.0009, st,
                            "boom" if st == "failed" else "", i, 0, 0])
            w.writerow(["%s x sleep(tasks=10)" % label, 1, 20000, "", "", "", "",
                        "missing", "", "", "", ""])
        p = conlab(["plot", d])
        self.assertEqual(p.returncode, 0, p.stderr)
        path = os.path.join(d, "plots", "timeline-02.svg")
        root = ET.parse(path).getroot()
        rects = [r for r in root.iter(SVG + "rect") if r.find(SVG + "title") is not None]
        failed = [r for r in rects if "failed" in r.find(SVG + "title").text]
        # every failed task of a drawn worker is kept
        drawn_workers = {int(re.search(r"worker (\d+)", r.find(SVG + "title").text).group(1))
                         for r in rects}
        self.assertEqual(drawn_workers, set(range(64)))
        want_failed = sum(1 for i in range(20000) if i % 1000 == 7 and i % 100 < 64)
        self.assertEqual(len(failed), want_failed)
        self.assertLessEqual(len(rects), 5000 + want_failed)
        self.assertGreater(len(rects), 4000)
        texts = " ".join(t.text or "" for t in root.iter(SVG + "text"))
        self.assertIn("showing 64 of 100 workers", texts)
        self.assertIn("tasks drawn", texts)
        self.assertIn("1 task never ran", texts)


class Progress(Case):
    SPEC = """experiment: prog
repeat: 2
warmup: 0
strategies: [sequential, { threads: { workers: 2 } }]
workloads:
  - sleep: { tasks: 4, seconds: 2ms }
"""

    def run_on_terminal(self, extra=()):
        spec = self.path("prog.yaml")
        with open(spec, "w") as f:
            f.write(self.SPEC)
        master, slave = pty.openpty()
        p = subprocess.Popen([e2e.CONLAB, "run", spec, "-o", self.path("out"), *extra],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=slave)
        os.close(slave)
        seen = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        out, _ = p.communicate(timeout=120)
        os.close(master)
        self.assertEqual(p.returncode, 0, seen.decode(errors="replace"))
        return seen.decode("utf-8", errors="replace"), out.decode()

    def test_bar_on_a_terminal(self):
        err, out = self.run_on_terminal()
        self.assertIn("\r[1/2] ", err)
        self.assertIn("\r[2/2] ", err)
        self.assertIn("ETA", err)
        self.assertIn("\x1b[K", err)
        self.assertRegex(err, r"rep 2/2")
        self.assertIn("conlab: 2 of 2 cells run in", err)
        self.assertNotIn(" ok  ", err)  # no per-cell lines when all is well
        self.assertIn("prog: complete", out)

    def test_quiet_on_a_terminal(self):
        err, out = self.run_on_terminal(["--quiet"])
        self.assertNotIn("[1/2]", err)
        self.assertEqual(out, "")


if __name__ == "__main__":
    _, argv = e2e.start(sys.argv, "CONLAB")
    unittest.main(argv=argv, verbosity=2)
