#!/usr/bin/env python3
"""End-to-end tests of `conlab check`'s fork-join checks (ABI 1.1 spawn and
sync): `spawning` and `spawn-errors` pass for every built-in strategy (the
host's serial elision) and for a correct strategy with its own spawner
(tests/plugins `lifo`), and name the fault of each broken spawner: a lost
child, a child run twice, a sync that never returns.  Run by ctest:

    python3 test_spawn.py CONLAB TEST_PLUGIN_DIR [ClassName]
"""
import os
import sys
import unittest

import test_check as tc

ONLY = ["--only", "spawning,spawn-errors"]


class Spawning(tc.Case):
    def test_builtins_pass(self):
        for s in tc.STRATEGIES:
            with self.subTest(strategy=s):
                r = self.run_check([s, *ONLY], rc=0)
                self.assertVerdict(r, "spawning", "PASS", "40 trees of 64 leaves",
                                   "every child once")
                self.assertVerdict(r, "spawn-errors", "PASS", "through sync")

    def test_own_spawner_passes(self):
        r = self.run_check([tc.test_plugin("strategy", "lifo"), *ONLY], rc=0)
        self.assertVerdict(r, "spawning", "PASS", "every child once")
        self.assertVerdict(r, "spawn-errors", "PASS")

    def test_lost_child_named(self):
        r = self.run_check([tc.test_plugin("strategy", "drops-child"), *ONLY],
                           rc=1)
        # the 3rd spawn of the run is a subtree of 16 leaves of task 0
        self.assertVerdict(r, "spawning", "FAIL", "a spawned child was lost",
                           "task 0 counted 48 of 64", "job->run_child")

    def test_child_run_twice_named(self):
        r = self.run_check([tc.test_plugin("strategy", "child-twice"), *ONLY],
                           rc=1)
        self.assertVerdict(r, "spawning", "FAIL",
                           "a spawned child ran more than once",
                           "more leaves than spawned")

    def test_sync_deadlock_named(self):
        r = self.run_check([tc.test_plugin("strategy", "sync-hangs"),
                            "--only", "spawning", "--timeout", "2s"], rc=1)
        self.assertVerdict(r, "spawning", "FAIL", "sync deadlocked",
                           "cell timeout of 2s", "must never block")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: test_spawn.py CONLAB TEST_PLUGIN_DIR [ClassName...]")
    tc.CONLAB = os.path.abspath(sys.argv[1])
    tc.TEST_PLUGINS = os.path.abspath(sys.argv[2])
    unittest.main(argv=[sys.argv[0], "-v", *sys.argv[3:]])
