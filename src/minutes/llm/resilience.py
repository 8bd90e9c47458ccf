"""Retries with exponential backoff that honour Retry-After (tenacity), and a circuit breaker
per provider.

The breaker is a small state machine rather than a library (pybreaker, purgatory) because the
router must ask it "may I call this provider now?" *before* choosing a model, to skip an open
provider without spending an attempt, and only provider-health failures may count towards it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)
from tenacity.wait import wait_base

from minutes.config import ResilienceSettings
from minutes.errors import AuthenticationFailed, CircuitOpen, ProviderError, RateLimited
from minutes.llm.calls import CallFn, ModelCall, ModelReply

log = logging.getLogger(__name__)
T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


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


BreakerState = Literal["closed", "open", "half_open"]


@dataclass
class _Circuit:
    failures: int = 0
    opened_at: float | None = None
    probing: bool = False


@dataclass
class CircuitBreaker:
    """Per-provider breaker: ``threshold`` consecutive failures open it for ``cooldown_s``;
    then one probe call is let through (half-open): success closes it, failure re-opens it."""

    threshold: int = 5
    cooldown_s: float = 30.0
    clock: Clock = time.monotonic
    _circuits: dict[str, _Circuit] = field(default_factory=dict)

    @classmethod
    def from_settings(
        cls, settings: ResilienceSettings, clock: Clock = time.monotonic
    ) -> CircuitBreaker:
        return cls(settings.breaker_threshold, settings.breaker_cooldown_s, clock)

    def _circuit(self, provider: str) -> _Circuit:
        return self._circuits.setdefault(provider, _Circuit())

    def state(self, provider: str) -> BreakerState:
        c = self._circuit(provider)
        if c.opened_at is None:
            return "closed"
        if self.clock() - c.opened_at >= self.cooldown_s:
            return "half_open"
        return "open"

    def allow(self, provider: str) -> bool:
        """Whether a call may go to ``provider`` now; half-open lets one probe through."""
        state = self.state(provider)
        if state == "closed":
            return True
        if state == "open":
            return False
        c = self._circuit(provider)
        if c.probing:
            return False
        c.probing = True
        return True

    def record_success(self, provider: str) -> None:
        self._circuits[provider] = _Circuit()

    def record_failure(self, provider: str, exc: BaseException) -> None:
        # Only faults that say something about the provider's health count: a bad request
        # or an unparsable answer is the caller's or the model's problem, not an outage.
        if not isinstance(exc, ProviderError) or not (
            exc.retryable or isinstance(exc, AuthenticationFailed)
        ):
            return
        c = self._circuit(provider)
        was_probe = c.probing
        c.probing = False
        c.failures += 1
        if was_probe or c.failures >= self.threshold:
            if c.opened_at is None or was_probe:
                log.warning("circuit for %s opened after %d failure(s)", provider, c.failures)
            c.opened_at = self.clock()


class Retrying:
    """Layer: retries the inner call on transient faults (see ``call_with_retry``)."""

    def __init__(self, inner: CallFn, settings: ResilienceSettings, sleep: Sleep) -> None:
        self._inner = inner
        self._settings = settings
        self._sleep = sleep

    async def __call__(self, call: ModelCall) -> ModelReply:
        # A coroutine function, not a lambda: tenacity awaits only what it sees is async.
        async def attempt() -> ModelReply:
            return await self._inner(call)

        return await call_with_retry(attempt, settings=self._settings, sleep=self._sleep)


class Breaking:
    """Layer: refuses calls to a provider whose circuit is open; feeds outcomes to the breaker."""

    def __init__(self, inner: CallFn, breaker: CircuitBreaker) -> None:
        self._inner = inner
        self._breaker = breaker

    async def __call__(self, call: ModelCall) -> ModelReply:
        provider = call.entry.provider
        if not self._breaker.allow(provider):
            raise CircuitOpen(
                f"circuit open for provider {provider!r}", provider=provider, model=call.entry.name
            )
        try:
            reply = await self._inner(call)
        except BaseException as exc:
            self._breaker.record_failure(provider, exc)
            raise
        self._breaker.record_success(provider)
        return reply
