#!/usr/bin/env python3
"""End-to-end tests of `conlab plot`'s layout (issue 12 item 4): every text
of every figure lies inside the SVG's viewBox — by a conservative width
estimate, and as headless Chromium really lays it out — legends included,
however long their entries; --x / --y / --by for any parameter column;
a strategy plugin's colour fixed across runs; coincident points apart.
Run by ctest:

    python3 test_plot.py CONLAB [ClassName...]
"""
import json
import os
import re
import shutil
import subprocess
import sys
import unittest
import xml.etree.ElementTree as ET

import e2e

SVG = "{http://www.w3.org/2000/svg}"

# Per-character widths in ems, rounded up from DejaVu Sans, the widest font
# the figures name: what host/plot_svg.c sizes room with.
WIDE, UPPER_SYM, NARROW, SEMI = "mwMW@%", "=+<>~#&", "ijlI.,:;|!'` ", "frt()[]{}/\\-\"*"


def em(c):
    if ord(c) >= 0x80:
        return 1.0
    if c in WIDE:
        return 1.0
    if c in UPPER_SYM:
        return 0.85
    if c.isupper():
        return 0.78
    if c.isdigit():
        return 0.65
    if c in NARROW:
        return 0.36
    if c in SEMI:
        return 0.45
    return 0.64


def text_extent(el):
    """(x0, x1) of a <text> element by the estimate, or None (rotated)."""
    if el.get("transform"):
        return None
    s = "".join(el.itertext())
    size = float(el.get("font-size", "12"))
    w = sum(em(c) for c in s) * size * (1.12 if el.get("font-weight") else 1)
    x = float(el.get("x"))
    anchor = el.get("text-anchor", "start")
    x0 = x - w if anchor == "end" else x - w / 2 if anchor == "middle" else x
    return x0, x0 + w


# Strategy variants whose labels are long, and a workload variant whose
# parameter value is very long: legend entries wrap.
LONG_N = "[" + ", ".join(["7"] * 45) + "]"
SPEC = """experiment: layout
repeat: 2
warmup: 0
strategies:
  - sequential
  - threads: { workers: [1, 2], stack_kib: [64, 1048576] }
  - coroutines: { concurrency: [1, 2] }
workloads:
  - fib: { tasks: 2, n: [%s, [8]] }
""" % LONG_N


class Layout(e2e.Case):
    @classmethod
    def setUpClass(cls):
        cls.tmpdir = __import__("tempfile").TemporaryDirectory(prefix="conlab-plot-")
        cls.run_dir = os.path.join(cls.tmpdir.name, "run")
        spec = os.path.join(cls.tmpdir.name, "spec.yaml")
        with open(spec, "w") as f:
            f.write(SPEC)
        p = e2e.run(["run", spec, "-o", cls.run_dir, "-q", "--tasks"])
        if p.returncode != 0:
            raise AssertionError(p.stdout + p.stderr)

    @classmethod
    def tearDownClass(cls):
        cls.tmpdir.cleanup()

    def plot(self, out, *args, rc=0):
        p = e2e.run(["plot", self.run_dir, "-o", out, *args])
        self.assertEqual(p.returncode, rc, p.stdout + p.stderr)
        return p

    def svgs(self, out):
        return sorted(os.path.join(out, f) for f in os.listdir(out) if f.endswith(".svg"))

    def assert_texts_inside(self, path):
        root = ET.parse(path).getroot()
        _, _, w, h = (float(v) for v in root.get("viewBox").split())
        n = 0
        for t in root.iter(SVG + "text"):
            ext = text_extent(t)
            if ext is None:
                continue
            n += 1
            self.assertGreaterEqual(ext[0], 0, "%s: %r" % (path, "".join(t.itertext())))
            self.assertLessEqual(ext[1], w, "%s: %r ends at %.0f of %.0f" %
                                 (path, "".join(t.itertext()), ext[1], w))
            self.assertLessEqual(float(t.get("y")), h)
        return n

    def legend_texts(self, path):
        root = ET.parse(path).getroot()
        return ["".join(t.itertext()) for t in root.iter(SVG + "text")
                if float(t.get("x", 0)) > 700]

    def test_every_text_fits_the_viewbox(self):
        out = self.path("default")
        self.plot(out)
        files = self.svgs(out)
        self.assertIn(os.path.join(out, "speedup-1.svg"), files)
        self.assertIn(os.path.join(out, "timeline-01.svg"), files)
        for f in files:
            self.assertGreater(self.assert_texts_inside(f), 3, f)
        # the long fib(n=7;7;...) variant as series: entries wrap, all inside
        out = self.path("by-n")
        self.plot(out, "--by", "workload.n", "--y", "wall")
        (fig,) = [f for f in self.svgs(out) if "-by-workload.n-" in f]
        self.assert_texts_inside(fig)
        legend = self.legend_texts(fig)
        self.assertTrue(any("7;7;7" in t for t in legend), legend)
        # every series of the wrapped entries is there, and no line is cut
        self.assertFalse(any(t.endswith("…") for t in legend), legend)
        self.chromium_fits(files + [fig])

    def chromium_fits(self, files):
        """Every <text> of every figure inside its SVG, as Chromium lays it
        out (getBoundingClientRect against the svg's)."""
        exe = shutil.which("chromium") or shutil.which("chromium-browser")
        if not exe:
            print("\nSKIP chromium layout check: no chromium installed", file=sys.stderr)
            return
        body = []
        for f in files:
            with open(f) as fh:
                body.append(re.sub(r"^<\?xml[^>]*>\s*", "", fh.read()))
        page = self.path("fit.html")
        with open(page, "w") as fh:
            fh.write("<!DOCTYPE html><html><head><meta charset='utf-8'><style>"
                     "body{margin:0;width:4000px}svg{display:block;max-width:none}"
                     "</style></head><body>%s<pre id='out'></pre><script>\n"
                     "const bad=[];let n=0;\n"
                     "document.querySelectorAll('body>svg').forEach((s,i)=>{\n"
                     " const r=s.getBoundingClientRect();\n"
                     " s.querySelectorAll('text').forEach(t=>{n++;\n"
                     "  const b=t.getBoundingClientRect();\n"
                     "  if(b.left<r.left-1||b.right>r.right+1||b.top<r.top-1||b.bottom>r.bottom+1)\n"
                     "   bad.push(i+': '+t.textContent+' ['+Math.round(b.left-r.left)+','"
                     "+Math.round(b.right-r.left)+'] of '+Math.round(r.width));});});\n"
                     "document.getElementById('out').textContent=JSON.stringify({n:n,bad:bad});\n"
                     "</script></body></html>" % "\n".join(body))
        p = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu",
                            "--no-first-run", "--user-data-dir=" + self.path("chromium"),
                            "--dump-dom", "file://" + page],
                           capture_output=True, text=True, timeout=180)
        self.assertEqual(p.returncode, 0, p.stderr[-2000:])
        m = re.search(r"<pre id=\"out\">(.*?)</pre>", p.stdout, re.S)
        self.assertIsNotNone(m, p.stdout[-1000:])
        got = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&")
                         .replace("&lt;", "<").replace("&gt;", ">"))
        self.assertGreater(got["n"], 20 * len(files) // 2)
        self.assertEqual(got["bad"], [])

    def test_x_y_by_any_column(self):
        out = self.path("xy")
        self.plot(out, "--x", "strategy.stack_kib", "--y", "throughput", "--by",
                  "strategy")
        figs = [f for f in self.svgs(out) if "-vs-" in f]
        self.assertEqual([os.path.basename(f) for f in figs],
                         ["throughput-vs-strategy.stack_kib-by-strategy-1.svg",
                          "throughput-vs-strategy.stack_kib-by-strategy-2.svg"])
        root = ET.parse(figs[0]).getroot()
        texts = ["".join(t.itertext()) for t in root.iter(SVG + "text")]
        self.assertIn("throughput (tasks/s)", texts)
        self.assertTrue(any(t.startswith("strategy.stack_kib") for t in texts), texts)
        # threads' points: one per cell, with whiskers (2 repetitions)
        pts = [e for e in root.iter() if e.find(SVG + "title") is not None
               and e.tag != SVG + "svg"]
        self.assertEqual(len([e for e in pts if "threads(" in e.find(SVG + "title").text]), 4)
        # a categorical x (a workload parameter: one figure per other value)
        out = self.path("cat")
        self.plot(out, "--x", "workload.n", "--y", "wall")
        (fig,) = [f for f in self.svgs(out) if "-vs-" in f]
        root = ET.parse(fig).getroot()
        ticks = ["".join(t.itertext()) for t in root.iter(SVG + "text")
                 if t.get("text-anchor") == "middle" and t.get("font-size") == "11"]
        self.assertEqual(len(ticks), 2, ticks)
        self.assertIn("8", ticks)
        self.assertTrue(ticks[0].endswith("…") or ticks[1].endswith("…"), ticks)
        # bad names and measures
        p = self.plot(self.path("bad"), "--x", "workload.nope", rc=2)
        self.assertIn("--x workload.nope: no such column", p.stderr)
        self.assertIn("strategy.stack_kib", p.stderr)
        p = self.plot(self.path("bad2"), "--y", "latency", rc=2)
        self.assertIn("one of wall, speedup, throughput", p.stderr)
        p = e2e.run(["plot", "--help"])
        for opt in ("--x PARAM", "--y MEASURE", "--by PARAM"):
            self.assertIn(opt, p.stdout)

    def series_marks(self, path):
        """The figure's root and its point markers (the elements with a
        <title>, but the svg)."""
        root = ET.parse(path).getroot()
        marks = [e for e in root.iter() if e.find(SVG + "title") is not None
                 and e.tag != SVG + "svg"]
        return root, marks

    def test_colours_fixed_and_points_apart(self):
        out = self.path("c")
        self.plot(out)
        root, marks = self.series_marks(os.path.join(out, "speedup-1.svg"))
        fills = {}
        for m in marks:
            plugin = m.find(SVG + "title").text.split("(")[0].split(" ")[0]
            fills.setdefault(plugin, set()).add(m.get("fill"))
        # conlab's own strategies keep these colours in every run
        self.assertEqual(fills["threads"], {"#4e79a7"})
        self.assertEqual(fills["coroutines"], {"#76b7b2"})
        self.assertEqual(fills["sequential"], {"#4d4d4d"})
        # every marker outlined; threads' two stack sizes: two shapes
        for m in marks:
            self.assertEqual(m.get("stroke"), "#fff")
        shapes = {m.tag for m in marks if "threads(" in m.find(SVG + "title").text}
        self.assertEqual(len(shapes), 2, shapes)
        # at workers=1 the threads, coroutines and sequential points share x:
        # nudged apart, never on the same pixel column
        xs = []
        for m in marks:
            x = m.get("cx") or m.get("x") or re.match(r"M([\d.]+)", m.get("d")).group(1)
            xs.append(round(float(x) + (4 if m.tag == SVG + "rect" else 0), 1))
        at1 = sorted(xs)[:5]
        self.assertEqual(len(set(at1)), len(at1), at1)


if __name__ == "__main__":
    _, argv = e2e.start(sys.argv, "CONLAB")
    unittest.main(argv=argv, verbosity=2)
