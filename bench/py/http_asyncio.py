#!/usr/bin/env python3
"""http_asyncio.py — N HTTP/1.1 GETs with C in flight on one asyncio loop
(asyncio.open_connection, a hand-written HTTP/1.1 client: standard library
only).  Each of C coroutines keeps one connection alive and takes the next
request until all N are done.  Prints one JSON line:
  {"baseline": "asyncio-http", "tasks": N, "concurrency": C, "wall_s": W, "ok": K}
A request is ok when the status is 200 and the body has the promised length.
example:
  python3 bench/py/http_asyncio.py http://127.0.0.1:8080 -n 160 -c 160
"""
import asyncio
import time

import baseline


async def read_body(reader, headers):
    """The body, by Content-Length, chunks, or up to EOF; and whether the
    connection can carry another request."""
    if "content-length" in headers:
        return await reader.readexactly(int(headers["content-length"])), True
    if headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            if size == 0:
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts), True
            parts.append(await reader.readexactly(size))
            await reader.readline()
    return await reader.read(), False


async def get(reader, writer, host, path, keepalive):
    """One GET: (status, body length, reusable connection)."""
    writer.write(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: %s\r\n\r\n"
                  % (path, host, "keep-alive" if keepalive else "close")).encode())
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    headers = {}
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        k, _, v = line.decode("latin-1").partition(":")
        headers[k.strip().lower()] = v.strip()
    body, framed = await read_body(reader, headers)
    reusable = keepalive and framed and headers.get("connection", "").lower() != "close"
    return status, len(body), reusable


async def main(args):
    host, port, path, want = baseline.target(args.base_url, args.path)
    todo = iter(range(args.tasks))
    ok = 0

    async def worker():
        nonlocal ok
        conn = None
        for _ in todo:  # shared: each coroutine takes the next request
            try:
                if conn is None:
                    conn = await asyncio.open_connection(host, port)
                status, n, reusable = await get(*conn, host, path, not args.no_keepalive)
                ok += status == 200 and (want is None or n == want)
            except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
                reusable = False
            if not reusable and conn is not None:
                conn[1].close()
                conn = None
        if conn is not None:
            conn[1].close()

    await asyncio.gather(*(worker() for _ in range(min(args.concurrency, args.tasks))))
    return ok


if __name__ == "__main__":
    p = baseline.parser(__doc__, http=True)
    a = p.parse_args()
    baseline.check_positive(p, a)
    t0 = time.perf_counter()
    k = asyncio.run(main(a))
    baseline.emit("asyncio-http", a, time.perf_counter() - t0, k)
