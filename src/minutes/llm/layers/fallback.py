"""Layer: the fallback chain. The call's first model, then each of ``call.fallbacks`` in
order, until one answers; the reply carries the rows of every attempt, and when all fail,
``AllModelsFailed`` is an exception group of the real errors.

A provider failure (after that model's retries) or output that stays invalid moves on to the
next model; anything else (a budget the user stops on, a bug) ends the call at once.
"""

from __future__ import annotations

import dataclasses
import logging

from minutes.errors import AllModelsFailed, OutputInvalid, ProviderError
from minutes.llm.calls import (
    AttemptRecord,
    CallFn,
    ModelCall,
    ModelReply,
    attach_records,
    records_of,
)

log = logging.getLogger(__name__)


class Fallback:
    """Layer: tries ``call.entry``, then ``call.fallbacks``, one at a time."""

    def __init__(self, inner: CallFn) -> None:
        self._inner = inner

    async def __call__(self, call: ModelCall) -> ModelReply:
        errors: list[ProviderError | OutputInvalid] = []
        records: list[AttemptRecord] = []
        for entry in (call.entry, *call.fallbacks):
            try:
                reply = await self._inner(dataclasses.replace(call, entry=entry, fallbacks=()))
            except (ProviderError, OutputInvalid) as exc:
                log.warning(
                    "%s failed (%s: %s); trying the next model", entry.name, type(exc).__name__, exc
                )
                if not exc.model:
                    exc.model, exc.provider = entry.name, entry.provider
                errors.append(exc)
                records.extend(records_of(exc))
                continue
            if not records:
                return reply
            return dataclasses.replace(reply, records=(*records, *reply.records))
        failure = AllModelsFailed(errors)
        attach_records(failure, records)
        raise failure
