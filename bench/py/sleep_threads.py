#!/usr/bin/env python3
"""sleep_threads.py — N tasks of time.sleep(D) on a ThreadPoolExecutor of C
threads.  Prints one JSON line:
  {"baseline": "threads-sleep", "tasks": N, "concurrency": C, "wall_s": W, "ok": K}
The ideal wall is ceil(N / C) * D; the wall includes starting and joining
the pool.
example:
  python3 bench/py/sleep_threads.py -n 1000 -c 1000 -d 0.1
"""
import concurrent.futures
import time

import baseline


def task(seconds):
    time.sleep(seconds)
    return True


def main(args):
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.concurrency) as ex:
        return sum(ex.map(task, [args.seconds] * args.tasks))


if __name__ == "__main__":
    p = baseline.parser(__doc__)
    a = p.parse_args()
    baseline.check_positive(p, a)
    t0 = time.perf_counter()
    k = main(a)
    baseline.emit("threads-sleep", a, time.perf_counter() - t0, k)
