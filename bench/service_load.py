"""The service under load: meetings posted concurrently to a ``minutes serve`` process whose
jobs go through Redis to ``minutes worker`` processes, every LLM call answered by the fake
server after ``--latency`` seconds (default 0.2). Run with two workers, then with one.

Per run: throughput (meetings a second, from the first job queued to the last finished), p50
and p95 time to notes (queued -> finished, the store's timestamps), every job done exactly
once (status, attempts, one notes row each), ledger rows against the requests the fake server
saw, read latency p99 of ``GET /v1/meetings`` and ``GET /v1/jobs/{id}`` while the load runs,
each worker's memory (main process + pool children; PSS and RSS) before and after, and the
CPU seconds each part (workers, serve, PostgreSQL, Redis, this process with the fake server)
spent per meeting. Prints Markdown tables and the two-to-one throughput ratio.

The store is a fresh database on the PostgreSQL at 127.0.0.1:5432 (dropped after), or
``--database-url``; the broker a private ``redis-server`` on a free port. The exact cache is
off, so every meeting pays its calls.

    python bench/service_load.py [--meetings 200] [--latency 0.2] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from minutes.store.db import open_store
from minutes.store.keys import create_key
from minutes.store.models import Job, LLMCall, NotesRow
from minutes.testing import FakeLLMServer

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "src" / "minutes" / "examples" / "one_on_one.txt"
MINUTES = Path(sys.executable).with_name("minutes")
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def scripted(req: Any) -> str:  # the tests' minimal valid reply per prompt
    sys.path.insert(0, str(HERE.parent / "tests"))
    from scripted_replies import scripted as reply

    return reply(req)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.1)
    raise SystemExit(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


@contextlib.contextmanager
def fresh_postgres() -> Iterator[str]:
    name = f"minutes_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def private_redis(folder: Path) -> Iterator[str]:
    server = shutil.which("redis-server")
    if server is None:
        raise SystemExit("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(20)


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(MINUTES), *args],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def _stat(pid: int | str) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (the state is [0])."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def family(pid: int) -> set[int]:
    """A process and its children (a worker's pool processes)."""
    pids = {pid}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                if int(_stat(entry.name)[1]) == pid:
                    pids.add(int(entry.name))
    return pids


TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pids: set[int]) -> float:
    """User + system CPU seconds these processes (alive now) and their reaped children used."""
    total = 0
    for p in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = _stat(p)
            # utime, stime, and cutime, cstime: children it reaped (a backend that exited)
            total += sum(int(f) for f in fields[11:15])
    return total / TICK


def named(name: str) -> set[int]:
    """Every process whose command is ``name`` (PostgreSQL's backends, Redis)."""
    out = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == name:
                    out.add(int(entry.name))
    return out


def memory_mb(pid: int) -> tuple[float, float]:
    """RSS and PSS (shared pages split among their sharers) of a process and its children,
    in MiB: the pool children share the pages of the main process, which RSS counts each
    time."""
    rss = pss = 0
    for p in family(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
    return rss / 1024, pss / 1024


def wait_ready(log: Path, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if " ready." in log.read_text(errors="replace"):
            return
        if process.poll() is not None:
            raise SystemExit(f"a worker exited:\n{log.read_text()}")
        time.sleep(0.2)
    raise SystemExit(f"a worker was not ready in {timeout} s:\n{log.read_text()}")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Run:
    workers: int
    meetings: int
    wall_s: float = 0.0
    throughput: float = 0.0
    p50_s: float = 0.0
    p95_s: float = 0.0
    done: int = 0
    failed: int = 0
    attempts_over_1: int = 0
    notes_rows: int = 0
    ledger_rows: int = 0
    requests: int = 0
    reads_ms: dict[str, list[float]] = field(default_factory=dict)
    rss_start: list[tuple[float, float]] = field(default_factory=list)
    rss_end: list[tuple[float, float]] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds during the load, by part
    pss_quarters: list[list[float]] = field(default_factory=list)  # per worker, at 25/50/75 %


async def load(
    base: str,
    key: str,
    n: int,
    tag: str,
    reads: dict[str, list[float]],
    on_finished: Callable[[int], None] = lambda finished: None,
) -> tuple[list[str], float]:
    """Post ``n`` meetings at once, read while they run; the job ids and the posting time."""
    text = EXAMPLE.read_text(encoding="utf-8")
    auth = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base, headers=auth, timeout=60, limits=limits) as c:

        async def post(i: int) -> str:
            body = {
                "text": f"{text}\nZed: load {tag} meeting {i}, item {uuid.uuid4().hex}.",
                "title": f"load {tag} {i}",
                "options": {"engine": "llm"},
            }
            response = await c.post("/v1/meetings", json=body)
            response.raise_for_status()
            return str(response.json()["job_id"])

        started = time.monotonic()
        ids = await asyncio.gather(*(post(i) for i in range(n)))
        posted = time.monotonic() - started
        pending = set(ids)

        async def timed(kind: str, path: str) -> dict[str, Any]:
            t0 = time.perf_counter()
            response = await c.get(path)
            reads.setdefault(kind, []).append((time.perf_counter() - t0) * 1000)
            response.raise_for_status()
            out: dict[str, Any] = response.json()
            return out

        async def reader() -> None:  # a dashboard: the meetings list, one job
            i = 0
            while pending:
                await timed("GET /v1/meetings", "/v1/meetings?limit=20")
                await timed("GET /v1/jobs/{id}", f"/v1/jobs/{ids[i % n]}")
                i += 1
                await asyncio.sleep(0.05)

        async def poller() -> None:  # the submitters waiting for their notes
            while pending:
                for job_id in list(pending):
                    job = await timed("GET /v1/jobs/{id}", f"/v1/jobs/{job_id}")
                    if job["status"] in ("done", "failed"):
                        pending.discard(job_id)
                        on_finished(n - len(pending))
                await asyncio.sleep(0.5)

        await asyncio.wait_for(asyncio.gather(reader(), poller()), timeout=1800)
    return ids, posted


def measure(
    run: Run,
    env: dict[str, str],
    base: str,
    key: str,
    folder: Path,
    concurrency: int,
    serve_pid: int,
) -> None:
    workers = []
    for i in range(run.workers):
        log = folder / f"worker-{run.workers}-{i}.log"
        workers.append((spawn(["worker", "--concurrency", str(concurrency)], env, log), log))
    try:
        for process, log in workers:
            wait_ready(log, process)
        run.rss_start = [memory_mb(p.pid) for p, _ in workers]
        parts = {
            "workers": lambda: cpu_s({q for p, _ in workers for q in family(p.pid)}),
            "serve": lambda: cpu_s(family(serve_pid)),
            "postgres": lambda: cpu_s(named("postgres")),
            "redis": lambda: cpu_s(named("redis-server")),
            "bench + fake server": lambda: sum(os.times()[:2]),
        }
        before = {name: read() for name, read in parts.items()}
        quarters = [run.meetings * q // 4 for q in (1, 2, 3)]

        def sample(finished: int) -> None:  # memory as a quarter, a half, ... are finished
            while quarters and finished >= quarters[0]:
                quarters.pop(0)
                run.pss_quarters.append([memory_mb(p.pid)[1] for p, _ in workers])

        started = time.monotonic()
        ids, _ = asyncio.run(load(base, key, run.meetings, f"w{run.workers}", run.reads_ms, sample))
        run.wall_s = time.monotonic() - started
        run.cpu = {name: read() - before[name] for name, read in parts.items()}
        run.rss_end = [memory_mb(p.pid) for p, _ in workers]
    finally:
        for process, _ in workers:
            stop(process)
    store = open_store(env["MINUTES_DATABASE_URL"])
    try:
        with store.read() as session:
            jobs = list(session.scalars(sa.select(Job).where(Job.id.in_(ids))))
            meeting_ids = [j.meeting_id for j in jobs]
            run.notes_rows = int(
                session.scalar(
                    sa.select(sa.func.count())
                    .select_from(NotesRow)
                    .where(NotesRow.meeting_id.in_(meeting_ids))
                )
            )
            run.ledger_rows = int(
                session.scalar(
                    sa.select(sa.func.count())
                    .select_from(LLMCall)
                    .where(LLMCall.meeting_id.in_(meeting_ids), LLMCall.cache == "none")
                )
            )
    finally:
        store.close()
    run.done = sum(j.status == "done" for j in jobs)
    run.failed = sum(j.status == "failed" for j in jobs)
    run.attempts_over_1 = sum(j.attempts > 1 for j in jobs)
    finished = [j for j in jobs if j.finished_at is not None]
    times = [(j.finished_at - j.created_at).total_seconds() for j in finished]
    run.p50_s, run.p95_s = pct(times, 0.5), pct(times, 0.95)
    first: dt.datetime = min(j.created_at for j in jobs)
    last: dt.datetime = max(j.finished_at for j in finished)
    run.throughput = len(finished) / max((last - first).total_seconds(), 1e-9)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per LLM call")
    parser.add_argument("--concurrency", type=int, default=4, help="meetings per worker")
    parser.add_argument("--database-url", default=None, help="default: a fresh PostgreSQL db")
    args = parser.parse_args()

    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="svc-load-")))
        db_url = args.database_url or stack.enter_context(fresh_postgres())
        broker = stack.enter_context(private_redis(folder))
        fake = stack.enter_context(FakeLLMServer())
        fake.latency = args.latency
        fake.default_reply = scripted
        config = folder / "minutes.toml"
        lines = ["[cache]", "enabled = false"]
        for name, url in {
            "gpt-4-turbo": fake.openai_base_url,
            "gpt-3.5-turbo": fake.openai_base_url,
            "claude-3-opus": fake.anthropic_base_url,
            "claude-3-sonnet": fake.anthropic_base_url,
            "deepseek-v2": fake.openai_base_url,
            "llama-3-70b": fake.ollama_base_url,
        }.items():
            lines += [f'[models."{name}"]', f'base_url = "{url}"']
        config.write_text("\n".join(lines) + "\n")
        port = free_port()
        env = {
            **os.environ,
            "MINUTES_CONFIG": str(config),
            "MINUTES_DATABASE_URL": db_url,
            "MINUTES_BROKER_URL": broker,
            "OPENAI_API_KEY": "sk-bench",
            "ANTHROPIC_API_KEY": "sk-ant-bench",
            "DEEPSEEK_API_KEY": "sk-ds-bench",
            "OLLAMA_HOST": f"127.0.0.1:{fake.port}",
            # every model of the registry, not only those named above: the router picks
            # today's models (gpt-4.1-mini, ...), which would otherwise call the real APIs
            "OPENAI_BASE_URL": fake.openai_base_url,
            "ANTHROPIC_BASE_URL": fake.anthropic_base_url,
            "DEEPSEEK_BASE_URL": fake.openai_base_url,
            "PYTHONUNBUFFERED": "1",
        }
        store = open_store(db_url)  # migrates the fresh database
        with store.transaction() as session:
            key = create_key(session, "bench", requests_per_minute=10_000_000).key
        store.close()
        serve = spawn(["serve", "--port", str(port)], env, folder / "serve.log")
        stack.callback(stop, serve)
        wait_port(port, 60)
        base = f"http://127.0.0.1:{port}"

        runs = []
        for n_workers in (2, 1):
            fake.reset()
            fake.latency = args.latency
            fake.default_reply = scripted
            run = Run(workers=n_workers, meetings=args.meetings)
            print(f"{n_workers} worker(s): posting {args.meetings} meetings…", file=sys.stderr)
            measure(run, env, base, key, folder, args.concurrency, serve.pid)
            run.requests = len(fake.requests)
            runs.append(run)

    print(
        f"\n{args.meetings} meetings, {args.latency * 1000:.0f} ms per LLM call, "
        f"{args.concurrency} meetings per worker, Redis broker, "
        f"{'PostgreSQL' if 'postgresql' in db_url else db_url.split(':')[0]} store, "
        f"{os.cpu_count()} CPU cores\n"
    )
    header = (
        "| workers | wall s | meetings/s | p50 s | p95 s | done | failed | attempts>1 | notes "
        "| ledger rows | server requests | p99 GET /v1/meetings ms | p99 GET /v1/jobs/{id} ms "
        "| per worker PSS (RSS) MiB, start → end |"
    )
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for r in runs:
        rss = ", ".join(
            f"{a[1]:.0f} → {b[1]:.0f} ({a[0]:.0f} → {b[0]:.0f})"
            for a, b in zip(r.rss_start, r.rss_end, strict=True)
        )
        meetings_ms = r.reads_ms.get("GET /v1/meetings", [])
        jobs_ms = r.reads_ms.get("GET /v1/jobs/{id}", [])
        print(
            f"| {r.workers} | {r.wall_s:.1f} | {r.throughput:.2f} | {r.p50_s:.1f} | "
            f"{r.p95_s:.1f} | {r.done}/{r.meetings} | {r.failed} | {r.attempts_over_1} | "
            f"{r.notes_rows} | {r.ledger_rows} | {r.requests} | "
            f"{pct(meetings_ms, 0.99):.0f} (n={len(meetings_ms)}) | "
            f"{pct(jobs_ms, 0.99):.0f} (n={len(jobs_ms)}) | {rss} |"
        )
    print("\nPSS per worker (MiB) at the start, as 25 / 50 / 75 % of the jobs are finished, end:")
    for r in runs:
        for w in range(r.workers):
            marks = [r.rss_start[w][1], *(q[w] for q in r.pss_quarters), r.rss_end[w][1]]
            print(f"  {r.workers} worker(s), #{w + 1}: " + " → ".join(f"{m:.0f}" for m in marks))
    print("\nCPU seconds per meeting during the load (the machine has", os.cpu_count(), "cores):")
    print("| workers | " + " | ".join(runs[0].cpu) + " | all | all / wall s |")
    print("|" + "---|" * (len(runs[0].cpu) + 3))
    for r in runs:
        total = sum(r.cpu.values())
        cells = " | ".join(f"{v / r.meetings:.3f}" for v in r.cpu.values())
        print(f"| {r.workers} | {cells} | {total / r.meetings:.3f} | {total / r.wall_s:.2f} |")
    ratio = runs[0].throughput / runs[1].throughput if runs[1].throughput else float("nan")
    print(f"\nthroughput, two workers / one: {ratio:.2f}x")
    ok = all(
        r.done == r.meetings and r.notes_rows == r.meetings and r.ledger_rows == r.requests
        for r in runs
    )
    print("every job done once, ledger = requests:", "yes" if ok else "NO")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
