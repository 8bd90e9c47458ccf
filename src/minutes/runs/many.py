"""Many meetings in one run: concurrently, through one gateway (one scheduler, one ledger),
each failing or succeeding on its own.

A meeting already stored with identical content is skipped unless ``force``. What each meeting
came to (engine and model, items found, cost, seconds, or its error) is a ``MeetingOutcome``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from minutes.config import Settings
from minutes.errors import MinutesError
from minutes.llm.gateway import Gateway
from minutes.notes import MeetingNotes
from minutes.pipeline.options import PipelineOptions
from minutes.pipeline.runner import run_pipeline
from minutes.store.db import Store
from minutes.store.meetings import already_stored, meeting_id_for, save_meeting
from minutes.transcripts import load_transcript

TRANSCRIPT_SUFFIXES = (".txt", ".md", ".vtt", ".srt", ".json")


class MeetingOutcome(BaseModel):
    source: str
    status: Literal["done", "failed", "skipped"]
    meeting_id: str | None = None
    notes: MeetingNotes | None = None
    error: str | None = None
    seconds: float = 0.0

    @property
    def models(self) -> str:
        if self.notes is None:
            return ""
        names = dict.fromkeys(
            m.strip() for p in self.notes.provenance if p.model for m in p.model.split(",")
        )
        return ", ".join(names)

    @property
    def items_found(self) -> int:
        n = self.notes
        return len(n.key_points) + len(n.action_items) + len(n.decisions) if n else 0

    @property
    def cost_usd(self) -> Decimal:
        return self.notes.cost_usd if self.notes else Decimal(0)


def expand_inputs(paths: Sequence[Path]) -> list[Path]:
    """Files as given; directories as their transcript files (by suffix), sorted."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(
                f for f in p.iterdir() if f.is_file() and f.suffix.lower() in TRANSCRIPT_SUFFIXES
            )
        else:
            out.append(p)
    return out


Progress = Callable[[int, str], None]  # (meeting's position, stage or "done"/"failed")


async def summarize_many(
    paths: Sequence[Path],
    options: PipelineOptions,
    settings: Settings,
    store: Store,
    *,
    save: bool = True,
    force: bool = False,
    max_meetings: int = 8,
    on_progress: Progress | None = None,
    gateway: Gateway | None = None,
) -> list[MeetingOutcome]:
    """Notes for every path, ``max_meetings`` at a time; outcomes in input order."""
    gw = gateway or Gateway(settings, store=store)
    gate = asyncio.Semaphore(max_meetings)
    tell = on_progress or (lambda _i, _s: None)

    async def one(position: int, path: Path) -> MeetingOutcome:
        started = time.monotonic()
        async with gate:
            try:
                transcript = await asyncio.to_thread(
                    load_transcript,
                    path,
                    title=options.title,
                    date=options.meeting_date,
                    timezone=options.timezone,
                )
                if not force and (
                    stored := already_stored(store, transcript, tenant=settings.tenant)
                ):
                    tell(position, "skipped")
                    return MeetingOutcome(source=str(path), status="skipped", meeting_id=stored)
                with store.read() as session:
                    meeting_id = meeting_id_for(session, transcript)
                opts = options.model_copy(update={"meeting_id": meeting_id if save else None})
                notes = await run_pipeline(
                    transcript,
                    options=opts,
                    gateway=gw,
                    on_progress=lambda stage: tell(position, stage),
                )
                if save:
                    with store.transaction() as session:
                        save_meeting(
                            session, transcript, notes, meeting_id=meeting_id, source_path=path
                        )
            except MinutesError as exc:
                tell(position, "failed")
                return MeetingOutcome(
                    source=str(path),
                    status="failed",
                    error=f"{type(exc).__name__}: {exc}",
                    seconds=time.monotonic() - started,
                )
        tell(position, "done")
        return MeetingOutcome(
            source=str(path),
            status="done",
            meeting_id=meeting_id if save else None,
            notes=notes,
            seconds=time.monotonic() - started,
        )

    try:
        return list(await asyncio.gather(*(one(i, p) for i, p in enumerate(paths))))
    finally:
        if gateway is None:
            await asyncio.to_thread(gw.close)
