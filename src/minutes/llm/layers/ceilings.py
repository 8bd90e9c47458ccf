"""Output ceilings from the ledger's history: a task whose past answers were all far under
its ``max_tokens`` is asked with a ceiling sized to them, so that the budget reserves, and the
scheduler counts, what the answer will take rather than a fixed ceiling.

A task's ceiling is ``HEADROOM`` times the 99th percentile of its last answers (successful,
uncached calls), rounded up to 64 tokens and never under ``FLOOR``, once it has
``MIN_CALLS`` answers; it only ever lowers the caller's own ``max_tokens``. An answer that
reaches a lowered ceiling (cut short) or fails validation is asked again once with the
caller's ceiling, so a longer meeting than usual is never truncated for the saving.

``Ceilinged`` sits under the caches (their keys keep the caller's ceiling, so a re-run still
hits them) and over the budget layer (which reserves by the lowered ceiling).
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Protocol

from minutes.errors import OutputInvalid
from minutes.llm.calls import (
    AttemptRecord,
    CallFn,
    ModelCall,
    ModelReply,
    attach_records,
    records_of,
)

MIN_CALLS = 30
HEADROOM = 1.5
FLOOR = 256
STEP = 64


def ceiling_for(p99: int) -> int:
    """The ceiling for a task whose answers' 99th percentile is ``p99`` tokens."""
    return max(FLOOR, math.ceil(p99 * HEADROOM / STEP) * STEP)


class AnswerSizes(Protocol):
    """A task's past answers (``store.ledger.OutputSize``)."""

    @property
    def calls(self) -> int: ...

    @property
    def p99(self) -> int: ...


def ceilings_from(sizes: Mapping[str, AnswerSizes]) -> dict[str, int]:
    """Each task's ceiling, for the tasks with enough answers to go by."""
    return {t: ceiling_for(z.p99) for t, z in sizes.items() if z.calls >= MIN_CALLS}


class Ceilinged:
    """Layer: ``max_tokens`` lowered to the task's ceiling from history (read once, lazily,
    by ``load``: task → ceiling); the caller's ceiling again when the lowered one was hit."""

    def __init__(self, inner: CallFn, load: Callable[[], Mapping[str, int]]) -> None:
        self._inner = inner
        self._load = load
        self._ceilings: dict[str, int] | None = None
        self._lock = asyncio.Lock()

    async def ceilings(self) -> dict[str, int]:
        if self._ceilings is None:
            async with self._lock:
                if self._ceilings is None:
                    self._ceilings = dict(await asyncio.to_thread(self._load))
        return self._ceilings

    async def __call__(self, call: ModelCall) -> ModelReply:
        asked = call.request.max_tokens
        ceiling = (await self.ceilings()).get(call.request.task)
        if asked is None or ceiling is None or ceiling >= asked:
            return await self._inner(call)
        lowered = dataclasses.replace(
            call, request=call.request.model_copy(update={"max_tokens": ceiling})
        )
        try:
            reply = await self._inner(lowered)
        except OutputInvalid as exc:  # perhaps cut short: once more with the full ceiling
            return await self._again(call, records_of(exc))
        if reply.usage.output >= ceiling:  # cut short
            return await self._again(call, reply.records)
        return reply

    async def _again(self, call: ModelCall, earlier: tuple[AttemptRecord, ...]) -> ModelReply:
        # The first attempt's ledger rows ride along, whatever the second one does.
        try:
            again = await self._inner(call)
        except Exception as exc:
            attach_records(exc, (*earlier, *records_of(exc)))
            raise
        return dataclasses.replace(again, records=(*earlier, *again.records))
