#!/usr/bin/env python3
"""End-to-end tests of the `http` workload: the real `conlab` binary against a
small loopback HTTP/1.1 server started by the test (keep-alive, counted
connections).  Run by ctest, one class per entry:
    python3 test_http.py CONLAB TEST_PLUGIN_DIR [ClassName]

Server routes:
  /bytes/N[?delay=50ms]  N bytes of deterministic content
  /status/CODE           that status, a short body
  /reset/N               announces N bytes, sends half, then resets (RST)
  /stall                 answers nothing until the test ends
"""
import os
import re
import socket
import struct
import sys
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import e2e
from e2e import SLOW, read_csv, run

STRATEGIES = {  # strategy spec -> its number of workers
    "sequential": 1,
    "threads: { workers: 3 }": 3,
    "processes: { workers: 2 }": 2,
    "coroutines: { concurrency: 4 }": 4,
    "gil: { workers: 3 }": 3,
}
def once(name):
    """The head of the spec of experiment http-NAME: like every spec here,
    its cells run once, without a warm-up."""
    return "experiment: http-%s\nrepeat: 1\nwarmup: 0\n" % name


STALL_LIMIT_S = 30  # a stalled request never holds the server longer


def payload(n):
    """The deterministic body of /bytes/N."""
    pattern = bytes(range(32, 127))
    return (pattern * (n // len(pattern) + 1))[:n]


def parse_duration(text):
    for unit, scale in (("ms", 1e-3), ("us", 1e-6), ("s", 1.0)):
        if text.endswith(unit):
            return float(text[:-len(unit)]) * scale
    return float(text)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive

    def log_message(self, fmt, *args):
        pass

    def send_body(self, code, body, send=True):
        self.send_response(code)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send:
            self.wfile.write(body)

    def route(self, send_body):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        url = urlsplit(self.path)
        parts = url.path.strip("/").split("/")
        query = parse_qs(url.query)
        if "delay" in query:
            time.sleep(parse_duration(query["delay"][0]))
        if len(parts) == 2 and parts[0] == "bytes" and parts[1].isdigit():
            self.send_body(200, payload(int(parts[1])), send_body)
        elif len(parts) == 2 and parts[0] == "status" and parts[1].isdigit():
            self.send_body(int(parts[1]), b"status %s\n" % parts[1].encode(), send_body)
        elif len(parts) == 2 and parts[0] == "reset" and parts[1].isdigit():
            self.reset_mid_body(int(parts[1]))
        elif parts == ["stall"]:
            self.server.release.wait(STALL_LIMIT_S)
            self.close_connection = True
        else:
            self.send_body(404, b"no such route\n", send_body)

    def reset_mid_body(self, n):
        self.send_response(200)
        self.send_header("Content-Length", str(n))
        self.end_headers()
        self.wfile.write(payload(n)[: n // 2])
        self.wfile.flush()
        time.sleep(0.05)  # let the client read the half it got
        # Linger 0: close() sends RST, not FIN.  close() here only marks the
        # socket; the fd really closes when finish() drops rfile/wfile, before
        # socketserver's shutdown(SHUT_WR) could send a FIN.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                   struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def do_GET(self):
        self.route(True)

    def do_POST(self):
        self.route(True)

    def do_HEAD(self):
        self.route(False)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.accepts = 0
        self.release = threading.Event()

    def get_request(self):
        conn, addr = super().get_request()
        with self.lock:
            self.accepts += 1
        return conn, addr

    def take_accepts(self):
        with self.lock:
            n, self.accepts = self.accepts, 0
        return n

    @property
    def base(self):
        return "http://127.0.0.1:%d" % self.server_address[1]


def closed_port():
    """A loopback port nobody listens on (bound, then released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Case(e2e.Case):
    @classmethod
    def setUpClass(cls):
        cls.server = Server()
        cls.thread = threading.Thread(target=cls.server.serve_forever,
                                      kwargs={"poll_interval": 0.05}, daemon=True)
        cls.thread.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.release.set()
        cls.server.shutdown()
        cls.server.server_close()
        cls.thread.join(10)

    def setUp(self):
        super().setUp()
        self.server.take_accepts()

    def run_tasks(self, text, expect_rc=0, timeout=120, name="run"):
        """run_spec with --tasks: results.csv's rows, tasks.csv's (none when
        it was not written) and the process."""
        out, p = self.run_spec(text, extra=["--tasks"], expect_rc=expect_rc,
                               timeout=timeout, name=name)
        results = read_csv(os.path.join(out, "results.csv"))
        tasks_path = os.path.join(out, "tasks.csv")
        tasks = read_csv(tasks_path) if os.path.exists(tasks_path) else []
        return results, tasks, p


class Strategies(Case):
    """40 GETs of two sizes under every strategy, with and without reuse."""

    def spec_text(self, strategy, reuse):
        return once("reuse" if reuse else "fresh") + """\
timeout: 60s
strategies:
  - %s
workloads:
  - http: { tasks: 40, reuse: %s, urls: ["%s/bytes/10282", "%s/bytes/275"] }
""" % ("{ %s }" % strategy if ":" in strategy else strategy,
       "true" if reuse else "false", self.server.base, self.server.base)

    def check_all_ok(self, results, tasks):
        self.assertEqual(len(results), 1)
        r = results[0]
        self.assertEqual((r["status"], r["tasks_ok"], r["tasks_failed"]), ("ok", "40", "0"), r)
        self.assertEqual(sorted(int(t["task"]) for t in tasks), list(range(40)))
        for t in tasks:
            want = 10282 if int(t["task"]) % 2 == 0 else 275
            self.assertEqual(t["status"], "ok", t)
            self.assertEqual((int(t["bytes"]), int(t["value"]), t["code"]),
                             (want, want, "200"), t)

    def test_every_strategy_keeps_connections_alive(self):
        for strategy, workers in STRATEGIES.items():
            with self.subTest(strategy=strategy):
                self.server.take_accepts()
                results, tasks, _ = self.run_tasks(self.spec_text(strategy, True))
                self.check_all_ok(results, tasks)
                accepts = self.server.take_accepts()
                # one keep-alive connection per worker at most
                self.assertGreaterEqual(accepts, 1)
                self.assertLessEqual(accepts, workers, strategy)

    @unittest.skipIf(SLOW, "timing means nothing under valgrind")
    def test_waits_overlap_without_busy_polling(self):
        # 16 requests the server answers after 200 ms, 8 at a time: 0.4 s
        # when the waits overlap (3.2 s one after another), and next to no
        # CPU when every worker waits in the waiter instead of spinning.
        results, _, _ = self.run_tasks(once("overlap") + """\
strategies: [{ coroutines: { concurrency: 8 } }, { threads: { workers: 8 } }, { gil: { workers: 8 } }]
workloads:
  - http: { tasks: 16, urls: ["%s/bytes/275?delay=200ms"] }
""" % self.server.base)
        self.assertEqual(len(results), 3)
        for r in results:
            wall, cpu = float(r["wall_s"]), float(r["user_s"]) + float(r["sys_s"])
            self.assertEqual(r["status"], "ok", r)
            self.assertLess(wall, 1.2, r["strategy"])
            self.assertLess(cpu, 0.25 * wall, r["strategy"])

    def test_every_strategy_without_reuse_connects_per_request(self):
        for strategy in STRATEGIES:
            with self.subTest(strategy=strategy):
                self.server.take_accepts()
                results, tasks, _ = self.run_tasks(self.spec_text(strategy, False))
                self.check_all_ok(results, tasks)
                self.assertEqual(self.server.take_accepts(), 40, strategy)


class Faults(Case):
    """Every failure is a failed task with a short reason; every cell ends."""

    def test_failures_are_named(self):
        base = self.server.base
        dead = "http://127.0.0.1:%d" % closed_port()
        start = time.monotonic()
        results, tasks, p = self.run_tasks(once("faults") + """\
timeout: 60s
strategies: [sequential, { threads: { workers: 3 } }, { coroutines: { concurrency: 4 } }]
workloads:
  - http: { tasks: 6, urls: ["%s/bytes/100"] }
  - http: { tasks: 6, urls: ["%s/status/500"] }
  - http: { tasks: 4, timeout: 300ms, urls: ["%s/stall"] }
  - http: { tasks: 6, urls: ["%s/reset/100000"] }
  - http: { tasks: 6, expect_status: 404, urls: ["%s/status/404"] }
""" % (dead, base, base, base, base), expect_rc=1)
        elapsed = time.monotonic() - start
        want = {
            dead: ("failed", {"connection refused"}),
            "/status/500": ("failed", {"HTTP 500"}),
            "/stall": ("failed", {"timeout"}),
            # libcurl reports the RST as a receive error (ECONNRESET); a
            # close that came as a FIN would read as "short body" instead.
            "/reset/": ("failed", {"connection reset"}),
            "/status/404": ("ok", set()),
        }
        self.assertEqual(len(results), 3 * len(want))
        for r in results:
            key = [k for k in want if k in r["workload_label"]]
            self.assertEqual(len(key), 1, r["workload_label"])
            status, reasons = want[key[0]]
            self.assertEqual(r["status"], status, r)
            if status == "failed":
                self.assertEqual(r["tasks_ok"], "0", r)
                self.assertEqual(r["tasks_failed"], r["tasks"], r)
                got = {x.rsplit(":", 1)[0] for x in r["failure_reasons"].split(";") if x}
                self.assertEqual(got, reasons, r)
        for t in tasks:
            if "/status/500" in t["cell"]:
                self.assertEqual((t["code"], t["reason"]), ("500", "HTTP 500"))
            if "/reset/" in t["cell"]:
                self.assertLess(int(t["bytes"]), 100000, t)
        if not SLOW:
            # 3 x 4 stalls of 300 ms, at most 4 at once: well under a minute
            self.assertLess(elapsed, 20, p.stderr)

    def test_wrong_size_is_caught_by_the_value_check(self):
        base = self.server.base
        results, _, _ = self.run_tasks(once("bytes") + """\
strategies: [{ threads: { workers: 2 } }]
workloads:
  - http: { tasks: 4, expect_bytes: 275, urls: ["%s/bytes/275"] }
  - http: { tasks: 4, expect_bytes: 274, urls: ["%s/bytes/275"] }
""" % (base, base), expect_rc=1)
        by = {r["workload_label"]: r for r in results}
        ok = [r for w, r in by.items() if "expect_bytes=275" in w]
        wrong = [r for w, r in by.items() if "expect_bytes=274" in w]
        self.assertEqual(len(ok), 1, by.keys())
        self.assertEqual(len(wrong), 1, by.keys())
        self.assertEqual(ok[0]["status"], "ok", ok[0])
        self.assertEqual((wrong[0]["status"], wrong[0]["tasks_wrong"]), ("wrong", "4"), wrong[0])

    def test_builtin_url_needs_the_builtin_server(self):
        serves = self.host_serves()
        results, tasks, p = self.run_tasks(once("builtin") + """\
strategies: [sequential]
workloads:
  - http: { tasks: 2, urls: ["builtin:/bytes/275"] }
""", expect_rc=0 if serves else 1, name="builtin")
        r = results[0]
        if serves:  # the host started its server and handed us its URL
            self.assertEqual(r["status"], "ok", r)
            self.assertEqual([int(t["bytes"]) for t in tasks], [275, 275])
        else:
            self.assertEqual(r["status"], "error", r)
            self.assertIn("needs the host's built-in server", p.stderr)

    @staticmethod
    def host_serves():
        """Whether this conlab has its built-in server (`conlab serve`)."""
        p = run(["--help"])
        return re.search(r"^\s+serve\b", p.stdout, re.M) is not None

    def test_bad_url_is_refused_before_running(self):
        """The host checks URLs at load (as `conlab validate` does): a bad
        scheme never reaches the plugin's create, nothing runs."""
        path = self.spec(once("badurl") + """\
strategies: [sequential]
workloads:
  - http: { tasks: 2, urls: ["ftp://127.0.0.1/x"] }
""", "badurl.yaml")
        out = self.path("badurl")
        p = run(["run", path, "-o", out], timeout=120)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("scheme 'ftp' is not http, https or builtin", p.stderr)
        self.assertFalse(os.path.exists(out))


class Methods(Case):
    def test_head_and_post(self):
        base = self.server.base
        results, tasks, _ = self.run_tasks(once("methods") + """\
strategies: [{ coroutines: { concurrency: 2 } }]
workloads:
  - http: { tasks: 4, method: HEAD, urls: ["%s/bytes/275"] }
  - http: { tasks: 4, method: POST, urls: ["%s/bytes/275?delay=10ms"] }
""" % (base, base))
        for r in results:
            self.assertEqual(r["status"], "ok", r)
        for t in tasks:
            want = 0 if "HEAD" in t["cell"] else 275
            self.assertEqual((int(t["bytes"]), t["code"]), (want, "200"), t)


if __name__ == "__main__":
    _, argv = e2e.start(sys.argv, "CONLAB TEST_PLUGIN_DIR")
    unittest.main(argv=argv, verbosity=2)
