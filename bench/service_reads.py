"""What one read costs ``minutes serve``: CPU milliseconds a request and latency, per route, one
client asking one request at a time (no load beside it), so that the figures are the route's
own and not the machine's contention. ``/healthz`` is the floor beside them: the same
middleware (metrics, tracing, body limit) without a key check or a query.

The store is a fresh database on the PostgreSQL at 127.0.0.1:5432 (dropped after), the broker a
private ``redis-server`` (so the per-key rate limit is the shared one, a Redis script per
request, as in production). The meetings are queued, never run: no worker is started.

    python bench/service_reads.py [--requests 2000] [--transcript FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

# the load bench's process helpers, beside this file
sys.path.insert(0, str(Path(__file__).resolve().parent))

from service_load import (
    EXAMPLE,
    cpu_s,
    family,
    free_port,
    fresh_postgres,
    private_redis,
    spawn,
    stop,
    wait_port,
)

from minutes.store.db import open_store
from minutes.store.keys import create_key

ROUTES = ("/v1/jobs/{id}", "/v1/meetings?limit=20", "/v1/meetings/{meeting}", "/healthz")
MEETINGS = 20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="timed requests a route")
    parser.add_argument("--transcript", type=Path, default=EXAMPLE, help="what is posted")
    args = parser.parse_args()
    text = args.transcript.read_text(encoding="utf-8")

    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="svc-reads-")))
        db_url = stack.enter_context(fresh_postgres())
        broker = stack.enter_context(private_redis(folder))
        env = {**os.environ, "MINUTES_DATABASE_URL": db_url, "MINUTES_BROKER_URL": broker}
        store = open_store(db_url)
        with store.transaction() as session:
            key = create_key(session, "bench", requests_per_minute=10_000_000).key
        store.close()
        port = free_port()
        serve = spawn(["serve", "--port", str(port)], env, folder / "serve.log")
        stack.callback(stop, serve)
        wait_port(port, 60)
        auth = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=auth, timeout=30) as c:
            posted = []
            for i in range(MEETINGS):
                body = {"text": f"{text}\nZed: reads meeting {i}.", "options": {"engine": "llm"}}
                response = c.post("/v1/meetings", json=body)
                response.raise_for_status()
                posted.append(response.json())
            print(
                f"{args.requests} requests a route, one at a time; {MEETINGS} queued meetings of "
                f"{len(text.encode()) // 1024} KB ({args.transcript.name}); PostgreSQL, Redis\n"
            )
            print("| route | serve CPU ms / request | p50 ms | p99 ms |")
            print("|---|---|---|---|")
            pids = family(serve.pid)
            for route in ROUTES:

                def path(i: int, route: str = route) -> str:
                    p = posted[i % MEETINGS]
                    return route.format(id=p["job_id"], meeting=p["meeting_id"])

                for i in range(100):  # warm: caches, the pool's connections
                    c.get(path(i)).raise_for_status()
                before = cpu_s(pids)
                latencies = []
                for i in range(args.requests):
                    t0 = time.perf_counter()
                    c.get(path(i)).raise_for_status()
                    latencies.append((time.perf_counter() - t0) * 1000)
                cpu_ms = (cpu_s(pids) - before) * 1000 / args.requests
                latencies.sort()
                p50 = latencies[len(latencies) // 2]
                p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
                print(f"| `GET {route}` | {cpu_ms:.2f} | {p50:.2f} | {p99:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
