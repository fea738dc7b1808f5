#!/usr/bin/env python3
"""http_threads.py — N HTTP/1.1 GETs on a ThreadPoolExecutor of C threads,
each with its own http.client connection, kept alive between its requests.
Prints one JSON line:
  {"baseline": "threads-http", "tasks": N, "concurrency": C, "wall_s": W, "ok": K}
A request is ok when the status is 200 and the body has the promised length.
The wall includes starting and joining the pool.
example:
  python3 bench/py/http_threads.py http://127.0.0.1:8080 -n 160 -c 160
"""
import concurrent.futures
import http.client
import threading
import time

import baseline


def main(args):
    host, port, path, want = baseline.target(args.base_url, args.path)
    local = threading.local()
    headers = {"Connection": "close"} if args.no_keepalive else {}

    def fetch(_):
        conn = getattr(local, "conn", None) or http.client.HTTPConnection(host, port, timeout=60)
        local.conn = None
        try:
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            body = resp.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            return False
        if args.no_keepalive or resp.will_close:
            conn.close()
        else:
            local.conn = conn
        return resp.status == 200 and (want is None or len(body) == want)

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.concurrency) as ex:
        return sum(ex.map(fetch, range(args.tasks)))


if __name__ == "__main__":
    p = baseline.parser(__doc__, http=True)
    a = p.parse_args()
    baseline.check_positive(p, a)
    t0 = time.perf_counter()
    k = main(a)
    baseline.emit("threads-http", a, time.perf_counter() - t0, k)
