"""Many meetings at once on the fake server: wall time against the sum of call times and the
critical path, calls and tokens per meeting, and 429s with the scheduler's limits on and off.

Every call takes ``--latency`` seconds (default 0.2); the server refuses (429, Retry-After
0.2 s) requests beyond ``--server-limit`` in flight, as a provider's concurrency limit does;
the limits-on run gives the model that same concurrency. Meetings run ``--jobs`` at a time
(the CLI's default, 8). Prints a Markdown table with, for the limits-on run, what the limits
allow: the slowest of the calls answered times their latency spread over the model's
concurrency, its requests per minute, its tokens per minute as the scheduler charges them
(prompt plus reply ceiling), and one meeting's critical path; and the process's resident
memory at each quarter of the run, so that growth with the number of meetings shows.

    python bench/batch_many_meetings.py [--meetings 20] [--latency 0.2] [--server-limit 8]
                                        [--jobs 8] [--limits-on-only]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from minutes.config import ResilienceSettings, RouterSettings, SchedulerSettings, Settings
from minutes.llm.gateway import Gateway
from minutes.llm.registry import load_registry
from minutes.pipeline.options import PipelineOptions
from minutes.runs.many import summarize_many
from minutes.store.db import open_store
from minutes.testing import FakeLLMServer, RecordedRequest
from minutes.tokens import count_tokens

HERE = Path(__file__).resolve().parent
sys_path = str(HERE.parent / "tests" / "pipeline")


def meetings(n: int, folder: Path) -> list[Path]:
    """``n`` distinct copies of the hand-written launch meeting, as JSON transcripts."""
    import sys

    sys.path.insert(0, sys_path)
    from scripted import make_transcript  # the test suite's meeting and scripted model

    base = make_transcript()
    paths = []
    for i in range(n):
        t = base.model_copy(update={"title": f"Launch sync {i}"})
        segments = [s.model_copy(update={"text": f"{s.text} (meeting {i})"}) for s in t.segments]
        t = t.model_copy(update={"segments": segments})
        path = folder / f"meeting_{i:02d}.json"
        body = {
            "title": t.title,
            "date": "2026-03-11",
            "segments": [s.model_dump(mode="json") for s in t.segments],
        }
        path.write_text(json.dumps(body))
        paths.append(path)
    return paths


def responder() -> Any:
    import sys

    sys.path.insert(0, sys_path)
    from scripted import good_model

    def answer(req: RecordedRequest) -> str:
        return good_model(req)

    return answer


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


class MemorySampler:
    """The process's resident set every ``every`` seconds, in a thread, while it runs."""

    def __init__(self, every: float = 0.25) -> None:
        self.every = every
        self.samples: list[tuple[float, float]] = []
        self._started = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.monotonic() - self._started, rss_mb()))
            self._stop.wait(self.every)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append((time.monotonic() - self._started, rss_mb()))

    def quarters(self) -> list[float]:
        """The largest resident set seen up to 25, 50, 75 and 100 % of the run."""
        end = self.samples[-1][0] or 1.0
        return [max(rss for t, rss in self.samples if t <= end * q) for q in (0.25, 0.5, 0.75, 1.0)]


async def one_run(
    srv: FakeLLMServer,
    paths: list[Path],
    *,
    limits: bool,
    server_limit: int,
    db: str,
    jobs: int,
) -> dict[str, Any]:
    srv.reset()
    srv.default_reply = responder()
    srv.latency = LATENCY
    srv.overload(server_limit, retry_after=0.2)
    models = {"gpt-4-turbo": {"base_url": srv.openai_base_url, "max_concurrency": server_limit}}
    settings = Settings(
        models=models,
        router=RouterSettings(fallback_chain=[]),
        resilience=ResilienceSettings(max_attempts=6, backoff_initial_s=0.2, timeout_s=30),
        scheduler=SchedulerSettings(enabled=limits),
    )
    settings.cache.enabled = False
    store = open_store(db)
    gateway = Gateway(settings, load_registry(None, models), store=store)
    started = time.monotonic()
    with MemorySampler() as memory:
        outcomes = await summarize_many(
            paths,
            PipelineOptions(model="gpt-4-turbo"),
            settings,
            store,
            save=False,
            force=True,
            max_meetings=jobs,
            gateway=gateway,
        )
    wall = time.monotonic() - started
    gateway.close()
    store.close()
    ok = [o for o in outcomes if o.notes is not None]
    answered = [r for r in srv.requests if r.api == "openai"]
    # What the scheduler charges a call against tokens per minute: its counted prompt plus
    # the reply ceiling it asked for (``max_tokens``).
    charged = sum(
        count_tokens(r.prompt_text)
        + int(r.body.get("max_tokens") or r.body.get("max_completion_tokens") or 0)
        for r in answered
    )
    entry = gateway.registry["gpt-4-turbo"]
    calls = sum(p.calls for o in ok for p in o.notes.provenance)  # type: ignore[union-attr]
    tokens = sum(
        p.input_tokens + p.output_tokens
        for o in ok
        for p in o.notes.provenance  # type: ignore[union-attr]
    )
    degraded = sum(1 for o in ok if o.notes and o.notes.degraded)
    return {
        "wall": wall,
        "requests": len(answered),
        "overloaded": srv.overloaded,
        "calls_per_meeting": calls / max(1, len(ok)),
        "tokens_per_meeting": tokens / max(1, len(ok)),
        "degraded": degraded,
        "meetings": len(ok),
        "memory": memory.quarters(),
        "charged_tokens": charged,
        "rpm": entry.requests_per_minute,
        "tpm": entry.tokens_per_minute,
    }


LATENCY = 0.2


def main() -> None:
    global LATENCY
    parser = argparse.ArgumentParser()
    parser.add_argument("--meetings", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--server-limit", type=int, default=8)
    parser.add_argument("--jobs", type=int, default=8, help="meetings at a time (CLI default)")
    parser.add_argument(
        "--limits-on-only", action="store_true", help="skip the run without the limits"
    )
    args = parser.parse_args()
    LATENCY = args.latency
    os.environ.setdefault("OPENAI_API_KEY", "sk-bench")
    with tempfile.TemporaryDirectory() as tmp, FakeLLMServer() as srv:
        folder = Path(tmp)
        paths = meetings(args.meetings, folder)
        db = f"sqlite:///{folder / 'bench.db'}"
        run = functools.partial(
            one_run, srv, paths, server_limit=args.server_limit, db=db, jobs=args.jobs
        )
        runs = [("on", asyncio.run(run(limits=True)))]
        if not args.limits_on_only:
            runs.append(("off", asyncio.run(run(limits=False))))
    # One meeting's critical path: map, then reduce, then narrative, then TL;DR (the
    # extraction calls run beside the map; priority beside the narrative).
    critical = 4 * args.latency
    print(
        f"{args.meetings} meetings, {args.latency * 1000:.0f} ms a call, server refuses "
        f"more than {args.server_limit} in flight, {args.jobs} meetings at a time\n"
    )
    print(
        "| limits | wall s | sum of call times s | limits allow s | wall / allowed | "
        "calls/meeting | tokens/meeting | 429s | degraded meetings | RSS MB at 25/50/75/100 % |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, r in runs:
        sum_calls = (r["requests"] - r["overloaded"]) * args.latency  # 429s answer at once
        # The slowest of the limits: the model's concurrency, its requests and its tokens per
        # minute (as the scheduler charges them), and one meeting's critical path.
        answered = r["requests"] - r["overloaded"]
        allowed = max(
            critical,
            sum_calls / args.server_limit,
            answered * 60 / r["rpm"] if r["rpm"] else 0.0,
            r["charged_tokens"] * 60 / r["tpm"] if r["tpm"] else 0.0,
        )
        ratio = f"{r['wall'] / allowed:.2f}" if name == "on" else ""
        memory = " / ".join(f"{m:.0f}" for m in r["memory"])
        print(
            f"| {name} | {r['wall']:.1f} | {sum_calls:.1f} | {allowed:.1f} | {ratio} | "
            f"{r['calls_per_meeting']:.1f} | {r['tokens_per_meeting']:.0f} | "
            f"{r['overloaded']} | {r['degraded']} | {memory} |"
        )


if __name__ == "__main__":
    main()
