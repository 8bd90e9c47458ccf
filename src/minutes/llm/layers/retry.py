"""Layer: retries with exponential backoff that honour Retry-After (tenacity)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)
from tenacity.wait import wait_base

from minutes.config import ResilienceSettings
from minutes.errors import ProviderError, RateLimited
from minutes.llm.calls import (
    AttemptRecord,
    CallFn,
    ModelCall,
    ModelReply,
    Sleep,
    attach_records,
    records_of,
)

log = logging.getLogger(__name__)
T = TypeVar("T")


def should_retry(exc: BaseException, settings: ResilienceSettings) -> bool:
    """Retry transient provider faults; a Retry-After longer than we will wait moves on instead."""
    if not isinstance(exc, ProviderError) or not exc.retryable:
        return False
    return not (
        isinstance(exc, RateLimited)
        and exc.retry_after is not None
        and exc.retry_after > settings.max_retry_after_s
    )


class wait_retry_after_or_backoff(wait_base):
    """The server's Retry-After when it sent one, else exponential backoff with jitter."""

    def __init__(self, settings: ResilienceSettings) -> None:
        self._backoff = wait_exponential_jitter(
            multiplier=settings.backoff_initial_s,
            max=settings.backoff_max_s,
            jitter=settings.backoff_initial_s / 2,
        )

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            return exc.retry_after
        return float(self._backoff(retry_state))


async def call_with_retry(
    fn: Callable[[], Awaitable[T]],
    *,
    settings: ResilienceSettings,
    sleep: Sleep = asyncio.sleep,
    on_retry: Callable[[BaseException, int, float], None] | None = None,
) -> T:
    """Run ``fn`` until it succeeds, a non-retryable error occurs, or attempts run out.

    ``on_retry(error, attempt_number, seconds_to_wait)`` is told of each retried failure.
    The last error is re-raised as it was.
    """

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        wait = state.next_action.sleep if state.next_action is not None else 0.0
        log.info("attempt %d failed (%s); retrying in %.2fs", state.attempt_number, exc, wait)
        if on_retry is not None and exc is not None:
            on_retry(exc, state.attempt_number, wait)

    retrying = AsyncRetrying(
        stop=stop_after_attempt(settings.max_attempts),
        wait=wait_retry_after_or_backoff(settings),
        retry=retry_if_exception(lambda e: should_retry(e, settings)),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    return await retrying(fn)


class Retrying:
    """Layer: retries the inner call on transient faults (see ``call_with_retry``); the reply
    (or the last error) carries the rows of every attempt, the failed ones first."""

    def __init__(self, inner: CallFn, settings: ResilienceSettings, sleep: Sleep) -> None:
        self._inner = inner
        self._settings = settings
        self._sleep = sleep

    async def __call__(self, call: ModelCall) -> ModelReply:
        failed: list[AttemptRecord] = []

        # A coroutine function, not a lambda: tenacity awaits only what it sees is async.
        async def attempt() -> ModelReply:
            try:
                return await self._inner(call)
            except BaseException as exc:
                failed.extend(records_of(exc))
                raise

        try:
            reply = await call_with_retry(attempt, settings=self._settings, sleep=self._sleep)
        except BaseException as exc:
            attach_records(exc, failed)
            raise
        if not failed:
            return reply
        return dataclasses.replace(reply, records=(*failed, *reply.records))
