"""baseline.py — what the Python baselines in bench/py/ share: the command
line (tasks, concurrency, seconds, URL), the target of the HTTP ones, and the
one JSON line each prints.  Standard library only."""
import argparse
import json
import re
import sys
import urllib.parse


def parser(doc, http=False):
    """An ArgumentParser with --tasks and --concurrency, and either the
    base URL, --path and --no-keepalive (http) or --seconds."""
    p = argparse.ArgumentParser(description=doc,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tasks", "-n", type=int, required=True, help="how many tasks")
    p.add_argument("--concurrency", "-c", type=int, required=True,
                   help="tasks in flight at once (coroutines, or pool threads)")
    if http:
        p.add_argument("base_url", help="e.g. http://127.0.0.1:8080 (conlab serve's URL line)")
        p.add_argument("--path", default="/bytes/275?delay=50ms",
                       help="path and query of every GET (default %(default)s)")
        p.add_argument("--no-keepalive", action="store_true",
                       help="a new connection per request (default: one kept-alive "
                            "connection per coroutine or thread)")
    else:
        p.add_argument("--seconds", "-d", type=float, required=True,
                       help="how long each task sleeps")
    return p


def check_positive(p, args):
    if args.tasks < 1 or args.concurrency < 1:
        p.error("--tasks and --concurrency must be at least 1")


def target(base_url, path):
    """(host, port, path) to ask for, and the body size /bytes/N promises
    (None for any other path)."""
    u = urllib.parse.urlsplit(base_url)
    if u.scheme != "http" or not u.hostname:
        sys.exit("baseline: want an http://HOST:PORT base URL, not %r" % base_url)
    m = re.match(r"/bytes/(\d+)", path)
    return u.hostname, u.port or 80, path, int(m.group(1)) if m else None


def emit(name, args, wall, ok):
    """The result line: {"baseline", "tasks", "concurrency", "wall_s", "ok"}."""
    print(json.dumps({"baseline": name, "tasks": args.tasks,
                      "concurrency": args.concurrency, "wall_s": round(wall, 6),
                      "ok": ok}), flush=True)
