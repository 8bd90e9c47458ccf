"""Many meetings at once on the fake server: wall time against the sum of call times and the
critical path, calls and tokens per meeting, and 429s with the scheduler's limits on and off.

Every call takes ``--latency`` seconds (default 0.2); the server refuses (429, Retry-After
0.2 s) requests beyond ``--server-limit`` in flight, as a provider's concurrency limit does;
the limits-on run gives the model that same concurrency. Prints a Markdown table.

    python bench/batch_many_meetings.py [--meetings 20] [--latency 0.2] [--server-limit 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
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


async def one_run(
    srv: FakeLLMServer, paths: list[Path], *, limits: bool, server_limit: int, db: str
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
    outcomes = await summarize_many(
        paths,
        PipelineOptions(model="gpt-4-turbo"),
        settings,
        store,
        save=False,
        force=True,
        max_meetings=len(paths),
        gateway=gateway,
    )
    wall = time.monotonic() - started
    gateway.close()
    store.close()
    ok = [o for o in outcomes if o.notes is not None]
    answered = [r for r in srv.requests if r.api == "openai"]
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
    }


LATENCY = 0.2


def main() -> None:
    global LATENCY
    parser = argparse.ArgumentParser()
    parser.add_argument("--meetings", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--server-limit", type=int, default=8)
    args = parser.parse_args()
    LATENCY = args.latency
    os.environ.setdefault("OPENAI_API_KEY", "sk-bench")
    with tempfile.TemporaryDirectory() as tmp, FakeLLMServer() as srv:
        folder = Path(tmp)
        paths = meetings(args.meetings, folder)
        db = f"sqlite:///{folder / 'bench.db'}"
        on = asyncio.run(one_run(srv, paths, limits=True, server_limit=args.server_limit, db=db))
        off = asyncio.run(one_run(srv, paths, limits=False, server_limit=args.server_limit, db=db))
    # One meeting's critical path: map, then reduce, then narrative, then TL;DR (the
    # extraction calls run beside the map; priority beside the narrative).
    critical = 4 * args.latency
    print(
        f"{args.meetings} meetings, {args.latency * 1000:.0f} ms a call, server refuses "
        f"more than {args.server_limit} in flight\n"
    )
    print(
        "| limits | wall s | sum of call times s | critical path s | calls/meeting | "
        "tokens/meeting | 429s | degraded meetings |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, r in (("on", on), ("off", off)):
        sum_calls = (r["requests"] - r["overloaded"]) * args.latency  # 429s answer at once
        print(
            f"| {name} | {r['wall']:.1f} | {sum_calls:.1f} | {critical:.1f} | "
            f"{r['calls_per_meeting']:.1f} | {r['tokens_per_meeting']:.0f} | "
            f"{r['overloaded']} | {r['degraded']} |"
        )


if __name__ == "__main__":
    main()
