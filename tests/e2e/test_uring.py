#!/usr/bin/env python3
"""End-to-end tests of the `uring` strategy: `conlab check` passes (with and
without sqpoll), sleep/http/fib/noop run with every value checked, its
counters land in results.csv, and a process where io_uring is unavailable (a
seccomp filter refusing io_uring_setup) gets a clear error status, not a
crash.  Run by ctest:

    python3 test_uring.py CONLAB [ClassName]
"""
import ctypes
import errno
import os
import platform
import struct
import subprocess
import sys
import unittest

import e2e
from e2e import Case, read_csv

# io_uring_setup has the same number on every architecture (since 5.1).
NR_IO_URING_SETUP = 425
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000


def refuse_io_uring():
    """preexec_fn: a seccomp filter making io_uring_setup fail with ENOSYS,
    as a container's default profile does."""
    def insn(code, jt, jf, k):
        return struct.pack("HBBI", code, jt, jf, k)
    prog = b"".join([
        insn(0x20, 0, 0, 0),                        # ld  [nr]
        insn(0x15, 0, 1, NR_IO_URING_SETUP),        # jeq io_uring_setup
        insn(0x06, 0, 0, SECCOMP_RET_ERRNO | errno.ENOSYS),
        insn(0x06, 0, 0, SECCOMP_RET_ALLOW),
    ])
    buf = ctypes.create_string_buffer(prog, len(prog))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
    fprog = SockFprog(len(prog) // 8, ctypes.addressof(buf))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or \
            libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER,
                       ctypes.byref(fprog), 0, 0) != 0:
        os._exit(97)


def check(*args):
    e = dict(os.environ)
    e.pop("CONLAB_PLUGIN_PATH", None)
    return subprocess.run(e2e.conlab_cmd() + ["check", "uring", *args],
                          capture_output=True, text=True, timeout=600, env=e)


class Check(unittest.TestCase):
    def test_conformance(self):
        for params in ([], ["--param", "sqpoll=true"],
                       ["--param", "stack_kib=16", "--param", "concurrency=3"]):
            with self.subTest(params=params):
                p = check(*params)
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
                self.assertRegex(p.stdout, r"\n\d+ passed, 0 failed")
                self.assertNotIn("FAIL", p.stdout)


class Workloads(Case):
    def test_every_workload_checked(self):
        out, _ = self.run_spec("""\
experiment: uring-e2e
repeat: 1
warmup: 0
timeout: 120s
strategies:
  - uring: { concurrency: 64 }
  - uring: { concurrency: 7, sqpoll: true, stack_kib: 32 }
workloads:
  - sleep: { tasks: 300, seconds: 5ms }
  - http: { tasks: 120, urls: ["builtin:/bytes/10282?delay=2ms", "builtin:/bytes/275"] }
  - fib: { tasks: 6, n: [18] }
  - noop: { tasks: 5000 }
""", extra=["--tasks"])
        rows = read_csv(os.path.join(out, "results.csv"))
        self.assertEqual(len(rows), 8)
        want = {"sleep": 300, "http": 120, "fib": 6, "noop": 5000}
        for r in rows:
            kind = r["workload"].split("(")[0]
            with self.subTest(cell=r["strategy"] + " " + r["workload"]):
                self.assertEqual((r["status"], r["tasks_ok"], r["tasks_failed"]),
                                 ("ok", str(want[kind]), "0"), r["detail"])
        tasks = read_csv(os.path.join(out, "tasks.csv"))
        http = [t for t in tasks if " x http(" in t["cell"]]
        self.assertEqual(len(http), 240)
        for t in http:  # even tasks fetch the 10282-byte page, odd the 275
            size = 10282 if int(t["task"]) % 2 == 0 else 275
            self.assertEqual((t["status"], t["value"]), ("ok", str(size)), t)
        fib = {t["value"] for t in tasks if " x fib(" in t["cell"]}
        self.assertEqual(fib, {"2584"})  # fib(18)

    def test_timed_out_polls_are_cancelled(self):
        # 30 requests the server answers after 2 s, each limited to 100 ms:
        # every wait ends by its timer, its poll cancelled, and the cell
        # ends long before the server would have answered.
        out, _ = self.run_spec("""\
experiment: uring-timeouts
repeat: 1
warmup: 0
timeout: 60s
strategies: [{ uring: { concurrency: 10 } }]
workloads:
  - http: { tasks: 30, timeout: 100ms, urls: ["builtin:/bytes/275?delay=2s"] }
""", extra=["--tasks"], expect_rc=1)
        r = read_csv(os.path.join(out, "results.csv"))[0]
        self.assertEqual((r["tasks_ok"], r["tasks_failed"]), ("0", "30"), r["detail"])
        self.assertLess(float(r["wall_s"]), 1.9)
        for t in read_csv(os.path.join(out, "tasks.csv")):
            self.assertEqual((t["status"], t["reason"]), ("failed", "timeout"), t)
            self.assertLess(float(t["end_s"]) - float(t["start_s"]), 1.0, t)

    def test_counters(self):
        out, _ = self.run_spec("""\
experiment: uring-counters
repeat: 1
warmup: 0
strategies: [{ uring: { concurrency: 100 } }]
workloads: [{ sleep: { tasks: 400, seconds: 2ms } }]
""")
        r = read_csv(os.path.join(out, "results.csv"))[0]
        self.assertEqual(r["status"], "ok", r["detail"])
        # one IORING_OP_TIMEOUT for the nearest deadline of the timer heap:
        # sleeps that fall due together share it, so there are at least one
        # and at most about one per sleep (plus re-arms), never none
        subs, cqes = int(r["counter.submissions"]), int(r["counter.completions"])
        self.assertGreaterEqual(subs, 4)  # 400 sleeps, 100 at a time
        self.assertLessEqual(subs, 2 * 400 + 100)
        self.assertGreaterEqual(cqes, 4)
        self.assertLessEqual(cqes, subs)
        self.assertGreater(int(r["counter.loop_iterations"]), 1)


@unittest.skipUnless(platform.machine() in ("x86_64", "aarch64"),
                     "the seccomp filter reads the syscall number only")
class Unavailable(Case):
    def test_clear_error_not_a_crash(self):
        spec = self.spec("""\
experiment: uring-denied
repeat: 1
warmup: 0
strategies: [{ uring: { concurrency: 4 } }]
workloads: [{ sleep: { tasks: 4, seconds: 1ms } }]
""")
        out = self.path("run")
        p = subprocess.run(e2e.conlab_cmd() + ["run", spec, "-o", out],
                           capture_output=True, text=True, timeout=120,
                           preexec_fn=refuse_io_uring)
        self.assertNotEqual(p.returncode, 97, "could not install the filter")
        self.assertGreater(p.returncode, 0, p.stdout + p.stderr)  # an exit, no signal
        self.assertIn("io_uring is unavailable here", p.stderr)
        r = read_csv(os.path.join(out, "results.csv"))[0]
        self.assertEqual(r["tasks_ok"], "0")
        self.assertNotIn(r["status"], ("ok", "crashed"), r)
        self.assertIn("not supported", r["detail"], r)


if __name__ == "__main__":
    _, argv = e2e.start(sys.argv, "CONLAB")
    e2e.CONLAB = os.path.abspath(sys.argv[1])
    unittest.main(argv=argv, verbosity=2)
