#!/usr/bin/env python3
"""End-to-end tests of `conlab validate` against `conlab run`: whatever run
refuses before running, validate refuses with the same first message; input
is bounded (spec size, cells, topology); --no-load loads no plugin.  Run by
ctest:

    python3 test_validate.py CONLAB TEST_PLUGIN_DIR [ClassName]
"""
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

CONLAB = None
TEST_PLUGINS = None


def conlab(*args, timeout=60, env=None):
    e = dict(os.environ)
    if env:
        e.update(env)
    return subprocess.run([CONLAB, *args], capture_output=True, text=True,
                          timeout=timeout, env=e)


class Case(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="conlab-validate-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def first_error(self, p):
        lines = [l for l in p.stderr.splitlines() if ": error: " in l]
        self.assertTrue(lines, p.stderr)
        return lines[0]


class Agree(Case):
    """validate and run refuse the same specs, with the same first error."""

    CASES = {
        "urls-empty": ("urls: []", "is an empty list; give at least one URL"),
        "url-crlf": ('urls: ["builtin:/bytes/1\\r\\nX: y"]', "it has a CR"),
        "url-lf": ('urls: ["http://127.0.0.1/\\nx"]', "it has a line feed"),
        "url-space": ('urls: ["http://127.0.0.1/a b"]', "it has a space"),
        "url-file": ('urls: ["file:///etc/passwd"]', "scheme 'file'"),
        "url-gopher": ('urls: ["gopher://127.0.0.1/"]', "scheme 'gopher'"),
        "url-ftp": ('urls: ["ftp://127.0.0.1/x"]', "scheme 'ftp'"),
    }

    def spec(self, name, http_params, pinning="none"):
        return self.write(name + ".yaml", """\
experiment: %s
repeat: 1
warmup: 0
pinning: %s
strategies: [sequential]
workloads:
  - http: { tasks: 2, %s }
""" % (name, pinning, http_params))

    def both(self, path):
        v = conlab("validate", path)
        r = conlab("run", path, "-o", os.path.join(self.dir, "out"))
        self.assertEqual(v.returncode, 2, v.stdout + v.stderr)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertEqual(self.first_error(v), self.first_error(r))
        self.assertFalse(os.path.exists(os.path.join(self.dir, "out")))
        return self.first_error(v)

    def test_bad_urls(self):
        for name, (params, needle) in self.CASES.items():
            with self.subTest(case=name):
                err = self.both(self.spec(name, params))
                self.assertIn("parameter 'urls'", err)
                self.assertIn(needle, err)

    def test_pinning_past_this_machine(self):
        path = self.spec("pin", 'urls: ["builtin:/bytes/1"]', "[9999]")
        err = self.both(path)
        self.assertIn("pin.yaml:4:10: error: pinning:", err)
        self.assertIn("PU 9999", err)

    def test_good_urls_pass(self):
        path = self.spec("good", 'urls: ["builtin:/bytes/1", '
                         '"HTTP://127.0.0.1:1/x", "https://example.org/"]',
                         "[0]")
        v = conlab("validate", path)
        self.assertEqual(v.returncode, 0, v.stderr)
        d = conlab("run", path, "--dry-run")
        self.assertEqual(d.returncode, 0, d.stderr)


class Limits(Case):
    def test_dev_zero_is_refused_at_once(self):
        t0 = time.monotonic()
        p = conlab("validate", "/dev/zero", timeout=20)
        self.assertEqual(p.returncode, 2)
        self.assertIn("/dev/zero: error: cannot read the spec: it is a "
                      "character device, not a file", p.stderr)
        self.assertLess(time.monotonic() - t0, 5)

    def test_a_big_file_is_refused(self):
        path = os.path.join(self.dir, "big.yaml")
        with open(path, "w") as f:
            f.write("#" * (16 * 1024 * 1024 + 1))
        p = conlab("validate", path)
        self.assertEqual(p.returncode, 2)
        self.assertIn("larger than 16 MiB", p.stderr)

    def test_a_fifo_is_read_but_bounded(self):
        fifo = os.path.join(self.dir, "spec.fifo")
        os.mkfifo(fifo)

        def feed(data):
            try:
                with open(fifo, "wb") as f:
                    f.write(data)
            except BrokenPipeError:
                pass  # conlab stopped reading: what we want

        ok = b"strategies: [sequential]\nworkloads: [sleep]\n"
        t = threading.Thread(target=feed, args=(ok,))
        t.start()
        p = conlab("validate", fifo)
        t.join()
        self.assertEqual(p.returncode, 0, p.stderr)
        t = threading.Thread(target=feed, args=(b"#" * (17 << 20),))
        t.start()
        p = conlab("validate", fifo)
        t.join()
        self.assertEqual(p.returncode, 2)
        self.assertIn("larger than 16 MiB", p.stderr)

    def test_too_many_cells(self):
        path = self.write("sweep.yaml", """\
strategies:
  - threads: {workers: [%s]}
workloads:
  - sleep: {seconds: [%s]}
""" % (",".join(str(i) for i in range(1, 4001)),
            ",".join("%dms" % i for i in range(1, 2001))))
        for args in (["validate", path], ["run", path, "--dry-run"]):
            with self.subTest(cmd=args[0]):
                t0 = time.monotonic()
                p = conlab(*args)
                self.assertEqual(p.returncode, 2)
                self.assertIn("sweep.yaml:3:1: error: 4000 strategy x 2000 "
                              "workload variants make 8000000 cells, more "
                              "than the 100000", p.stderr)
                self.assertLess(time.monotonic() - t0, 20)

    def test_huge_topology_is_refused(self):
        for topo, needle in (("pack:65536 pu:65536", "level count of 65536"),
                             ("pack:16 core:64 pu:64", "more than 16384 PUs")):
            with self.subTest(topo=topo):
                p = conlab("topology", "--input", topo, timeout=20)
                self.assertNotEqual(p.returncode, 0)
                self.assertIn(needle, p.stderr)

    def test_memory_bounds(self):
        for value, rc in (("1PiB", 0), ("1EiB", 0), ("2EiB", 2),
                          ("512KiB", 2)):
            with self.subTest(memory=value):
                path = self.write("mem.yaml", "memory: %s\nstrategies: "
                                  "[sequential]\nworkloads: [sleep]\n" % value)
                p = conlab("validate", path)
                self.assertEqual(p.returncode, rc, p.stderr)
                if rc:
                    self.assertIn("expects a size from 1MiB to 1EiB",
                                  p.stderr)

    def test_empty_output_dir_is_a_usage_error(self):
        for opt in ("-o", "--resume"):
            with self.subTest(opt=opt):
                p = conlab("run", opt, "")
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn("not an empty string", p.stderr)


class NoLoad(Case):
    """validate loads the plugins a spec names (their constructors run);
    --no-load loads none."""

    def spec(self):
        plugin = os.path.join(TEST_PLUGINS, "ctor", "strategy_ctor-marker.so")
        self.assertTrue(os.path.exists(plugin), plugin)
        return self.write("ctor.yaml", """\
strategies:
  - mine: {plugin: %s}
workloads: [sleep]
""" % plugin)

    def test_no_load_runs_no_plugin_code(self):
        path, mark = self.spec(), os.path.join(self.dir, "mark")
        env = {"CONLAB_TEST_CTOR_MARK": mark}
        p = conlab("validate", "--no-load", path, env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("plugins not loaded", p.stdout)
        self.assertFalse(os.path.exists(mark))
        p = conlab("validate", path, env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(os.path.exists(mark), "validate without --no-load "
                        "loads the plugin, as its --help says")

    def test_no_load_still_checks_the_document(self):
        path = self.write("bad.yaml", "repeat: 0\nstrategies: [Bad!]\n"
                          "workloads: [sleep]\n")
        p = conlab("validate", "--no-load", path)
        self.assertEqual(p.returncode, 2)
        self.assertIn("bad.yaml:1:9: error: 'repeat'", p.stderr)
        self.assertIn("bad.yaml:2:14: error: 'Bad!' is not a strategy name",
                      p.stderr)

    def test_help_says_it(self):
        p = conlab("validate", "--help")
        self.assertEqual(p.returncode, 0)
        self.assertIn("--no-load", p.stdout)
        self.assertIn("runs their library constructors", p.stdout)
        self.assertIn("100000 cells", p.stdout)
        p = conlab("validate", "--bogus", "x.yaml")
        self.assertEqual(p.returncode, 2)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: test_validate.py CONLAB TEST_PLUGIN_DIR [ClassName...]")
    CONLAB = os.path.abspath(sys.argv[1])
    TEST_PLUGINS = os.path.abspath(sys.argv[2])
    unittest.main(argv=[sys.argv[0], "-v", *sys.argv[3:]])
