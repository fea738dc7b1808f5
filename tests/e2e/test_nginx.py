#!/usr/bin/env python3
"""End to end against nginx, a real server none of us wrote: started on
loopback by scripts/nginx.sh with a config it writes, stopped after.
    python3 test_nginx.py CONLAB SOURCE_DIR
Skipped, with the reason printed, when nginx is not installed."""
import csv
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import unittest

CONLAB = SRC = None


def free_port():
    """A free port P whose P+1 is free too (scripts/nginx.sh serves h2c there)."""
    while True:
        with socket.socket() as s, socket.socket() as t:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            try:
                t.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            return port


NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)


@unittest.skipUnless(NGINX, "nginx is not installed (apt-get install nginx-light)")
class Nginx(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="conlab-nginx-")
        cls.port = free_port()
        cls.script = os.path.join(SRC, "scripts", "nginx.sh")
        subprocess.run(["bash", cls.script, "start", str(cls.port), cls.tmp], check=True,
                       capture_output=True, timeout=30)

    @classmethod
    def tearDownClass(cls):
        subprocess.run(["bash", cls.script, "stop", str(cls.port), cls.tmp], timeout=30)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def run_spec(self, name, text, rc, *args):
        """Write spec NAME.yaml, `conlab run` it into NAME-out (exit status
        rc wanted); the run directory."""
        spec = os.path.join(self.tmp, name + ".yaml")
        with open(spec, "w") as f:
            f.write(text)
        out = os.path.join(self.tmp, name + "-out")
        p = subprocess.run([CONLAB, "run", spec, "-o", out, *args], capture_output=True,
                           text=True, timeout=300)
        self.assertEqual(p.returncode, rc, p.stderr)
        return out

    @staticmethod
    def rows(out, name):
        with open(os.path.join(out, name), newline="") as f:
            return list(csv.DictReader(f))

    def test_every_strategy_downloads_every_page(self):
        base = "http://127.0.0.1:%d" % self.port
        # the 404 cells fail, by design: exit status 1
        out = self.run_spec("spec", """
experiment: nginx
repeat: 2
warmup: 1
strategies: [sequential, { threads: { workers: 5 } }, { processes: { workers: 2 } },
             { coroutines: { concurrency: 20 } }, { gil: { workers: 5 } }]
workloads:
  - http: { tasks: 200, urls: ["%s/10282.bin", "%s/275.bin"] }
  - http: { tasks: 4, urls: ["%s/missing.bin"] }
""" % (base, base, base), 1, "--tasks")
        for r in self.rows(out, "results.csv"):
            if "missing" in r["workload_label"]:
                self.assertEqual((r["status"], r["tasks_failed"]), ("failed", "4"), r)
                self.assertEqual(r["failure_reasons"], "HTTP 404:4")
            else:
                self.assertEqual((r["status"], r["tasks_ok"]), ("ok", "200"), r)
        for t in self.rows(out, "tasks.csv"):
            if "missing" in t["cell"]:
                continue
            self.assertEqual(t["code"], "200")
            self.assertEqual(int(t["bytes"]), 10282 if int(t["task"]) % 2 == 0 else 275)

    def test_http2_per_worker_sessions(self):
        """http2: each worker keeps a libcurl session of its own (transfers
        multiplex over one socket, which a thread's shared session cannot
        split between workers); every request is HTTP/2 (nginx logs it).
        reuse: false: libcurl 7.88 breaks reused h2c connections."""
        base = "http://127.0.0.1:%d" % (self.port + 1)
        log = os.path.join(self.tmp, "h2.log")
        before = os.path.getsize(log) if os.path.exists(log) else 0
        out = self.run_spec("h2", """
experiment: h2
repeat: 2
warmup: 0
strategies: [{ coroutines: { concurrency: 8 } }, { threads: { workers: 2 } }]
workloads:
  - http: { tasks: 40, urls: ["%s/275.bin"], http2: true, reuse: false }
""" % base, 0, "-q")
        rows = self.rows(out, "results.csv")
        self.assertEqual(len(rows), 4)
        for r in rows:
            self.assertEqual((r["status"], r["tasks_ok"]), ("ok", "40"), r)
        with open(log) as f:
            f.seek(before)
            protocols = f.read().split()
        self.assertEqual(len(protocols), 4 * 40)
        self.assertEqual(set(protocols), {"HTTP/2.0"})


if __name__ == "__main__":
    CONLAB, SRC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    unittest.main(argv=[sys.argv[0]] + sys.argv[3:], verbosity=2)
