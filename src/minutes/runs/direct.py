"""The Python API: ``summarize`` (sync) and ``asummarize`` (async)."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from pathlib import Path

from minutes.llm.gateway import Gateway
from minutes.notes import MeetingNotes
from minutes.pipeline.options import EngineChoice, PipelineOptions, Strategy
from minutes.pipeline.runner import run_pipeline
from minutes.transcripts import load_transcript


async def asummarize(
    path: str | Path,
    *,
    format: str | None = None,
    title: str | None = None,
    date: dt.date | None = None,
    timezone: str | None = None,
    model: str | None = None,
    provider: str | None = None,
    max_cost: Decimal | float | str | None = None,
    strategy: Strategy = "map_reduce",
    engine: EngineChoice = "auto",
    gateway: Gateway | None = None,
) -> MeetingNotes:
    """Notes for the transcript at ``path``: LLM stages when a model is available, the
    extractive engine otherwise (and for any stage whose models all fail)."""
    transcript = load_transcript(path, format=format, title=title, date=date, timezone=timezone)
    options = PipelineOptions(
        engine=engine,
        strategy=strategy,
        model=model,
        provider=provider,
        max_cost=Decimal(str(max_cost)) if max_cost is not None else None,
        meeting_date=date,
        timezone=timezone,
        title=title,
    )
    return await run_pipeline(transcript, options=options, gateway=gateway)


def summarize(path: str | Path, **kwargs: object) -> MeetingNotes:
    """Synchronous ``asummarize``; not for use inside a running event loop."""
    return asyncio.run(asummarize(path, **kwargs))  # type: ignore[arg-type]
