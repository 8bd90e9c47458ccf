"""One pass per chunk (``extraction="one-pass"``): a single structured call per chunk, the
``chunk_notes`` prompt, returns the chunk's key points, action items and decisions together,
so the transcript is read once instead of three times (key-point map, action items,
decisions).

The calls are made once per run and shared by the three stages, which then go on exactly as
with their own prompts: key points are grounded and reduced (collapsing when over
``reduce_token_max``); action items and decisions are grounded, merged and deduplicated, due
dates resolved. Each stage labels its own output: a chunk whose call failed is covered by
the extractive engine for that chunk alone (the stage is then degraded, with the chunk in its
reason), and when every chunk's call failed each stage falls back whole.

The calls' tokens and cost are the key-point stage's (it also runs the reduce); the action
item and decision stages name the same prompt and model with no calls of their own, so that
the meeting's cost counts each call once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from minutes.pipeline.context import RunContext, StageTally
from minutes.pipeline.schemas import ChunkNotes
from minutes.transcripts.chunking import Chunk

T = TypeVar("T")

PROMPT = "chunk_notes"
# Output ceiling of one call: what the three stage prompts answer for a chunk together
# (2-3 points, a few items and decisions, each with its quote), well under their three
# separate ceilings of 1,500.
MAX_TOKENS = 2500


class ChunkPass:
    """The run's one-pass calls, one per chunk, made when a stage first asks for them."""

    def __init__(self, ctx: RunContext, chunks: list[Chunk]) -> None:
        self.ctx = ctx
        self.chunks = chunks
        self.tally = StageTally("one_pass")
        self._task: asyncio.Future[list[ChunkNotes | BaseException]] | None = None

    async def results(self) -> list[ChunkNotes | BaseException]:
        """Each chunk's notes, or the error its call ended with (in chunk order)."""
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())
        # Shielded: one stage being cancelled must not cancel the calls the others await.
        return await asyncio.shield(self._task)

    async def _run(self) -> list[ChunkNotes | BaseException]:
        ctx = self.ctx
        prompt = ctx.prompt(PROMPT)

        async def one(chunk: Chunk) -> ChunkNotes:
            return await ctx.structured(
                self.tally,
                prompt,
                ChunkNotes,
                {
                    "title": ctx.title,
                    "meeting_date": ctx.meeting_date_for_dates.isoformat(),
                    "participants": ctx.participants,
                    "chunk": chunk.text(),
                },
                max_tokens=MAX_TOKENS,
                chunk=chunk.index,
            )

        return list(await asyncio.gather(*(one(c) for c in self.chunks), return_exceptions=True))

    async def per_chunk(
        self, tally: StageTally, convert: Callable[[ChunkNotes], list[T]], *, usage: bool
    ) -> list[list[T] | BaseException]:
        """Each chunk's part for one stage (``convert`` picks it out of the notes), or the
        error of that chunk's call; ``tally`` takes what the calls used (see ``absorb``)."""
        results = await self.results()
        tally.absorb(self.tally, usage=usage)
        return [r if isinstance(r, BaseException) else convert(r) for r in results]
