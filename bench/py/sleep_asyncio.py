#!/usr/bin/env python3
"""sleep_asyncio.py — N tasks of asyncio.sleep(D) on one loop, at most C in
flight (C >= N: all at once).  Prints one JSON line:
  {"baseline": "asyncio-sleep", "tasks": N, "concurrency": C, "wall_s": W, "ok": K}
The ideal wall is ceil(N / C) * D.
example:
  python3 bench/py/sleep_asyncio.py -n 10000 -c 10000 -d 0.1
"""
import asyncio
import time

import baseline


async def main(args):
    todo = iter(range(args.tasks))

    async def worker():
        done = 0
        for _ in todo:  # shared: each coroutine takes the next task
            await asyncio.sleep(args.seconds)
            done += 1
        return done

    return sum(await asyncio.gather(*(worker() for _ in range(min(args.concurrency, args.tasks)))))


if __name__ == "__main__":
    p = baseline.parser(__doc__)
    a = p.parse_args()
    baseline.check_positive(p, a)
    t0 = time.perf_counter()
    k = asyncio.run(main(a))
    baseline.emit("asyncio-sleep", a, time.perf_counter() - t0, k)
