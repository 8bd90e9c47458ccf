"""Layer: a circuit breaker per provider.

The breaker is a small state machine rather than a library (pybreaker, purgatory) because the
router must ask it "may I call this provider now?" *before* choosing a model, to skip an open
provider without spending an attempt, and only provider-health failures may count towards it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Literal

from minutes.config import ResilienceSettings
from minutes.errors import AuthenticationFailed, CircuitOpen, ProviderError
from minutes.llm.calls import CallFn, Clock, ModelCall, ModelReply

log = logging.getLogger(__name__)

BreakerState = Literal["closed", "open", "half_open"]
Permit = Literal["call", "probe"]


@dataclass
class _Circuit:
    failures: int = 0
    opened_at: float | None = None
    probing: bool = False


def counts_against_health(exc: BaseException) -> bool:
    """Only faults that say something about the provider's health count: a bad request, an
    unparsable answer or a cancelled call is the caller's or the model's problem."""
    return isinstance(exc, ProviderError) and (
        exc.retryable or isinstance(exc, AuthenticationFailed)
    )


@dataclass
class CircuitBreaker:
    """Per-provider breaker: ``threshold`` consecutive failures open it for ``cooldown_s``;
    then one probe call is let through (half-open): success closes it, a health failure
    re-opens it, and any other end of the probe (a bad request, an invalid reply, a
    cancellation) hands the probe back so that the next call may probe."""

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

    def acquire(self, provider: str) -> Permit | None:
        """Leave to call ``provider`` now: a plain call, the one probe of a half-open circuit,
        or None (open, or a probe is already in flight)."""
        state = self.state(provider)
        if state == "closed":
            return "call"
        if state == "open":
            return None
        c = self._circuit(provider)
        if c.probing:
            return None
        c.probing = True
        return "probe"

    def allow(self, provider: str) -> bool:
        """Whether a call may go to ``provider`` now; half-open lets one probe through."""
        return self.acquire(provider) is not None

    def record_success(self, provider: str) -> None:
        self._circuits[provider] = _Circuit()

    def record_failure(
        self, provider: str, exc: BaseException, *, probe: bool | None = None
    ) -> None:
        """Count a failed call. ``probe``: whether it was the half-open probe (default: the
        circuit is probing, for callers that did not take a permit)."""
        c = self._circuit(provider)
        was_probe = c.probing if probe is None else probe
        if was_probe:
            c.probing = False
        if not counts_against_health(exc):
            return
        c.failures += 1
        if was_probe or c.failures >= self.threshold:
            if c.opened_at is None or was_probe:
                log.warning("circuit for %s opened after %d failure(s)", provider, c.failures)
            c.opened_at = self.clock()


class Breaking:
    """Layer: refuses calls to a provider whose circuit is open; feeds outcomes to the breaker."""

    def __init__(self, inner: CallFn, breaker: CircuitBreaker) -> None:
        self._inner = inner
        self._breaker = breaker

    async def __call__(self, call: ModelCall) -> ModelReply:
        provider = call.entry.provider
        permit = self._breaker.acquire(provider)
        if permit is None:
            raise CircuitOpen(
                f"circuit open for provider {provider!r}", provider=provider, model=call.entry.name
            )
        try:
            reply = await self._inner(call)
        except BaseException as exc:  # CancelledError too: a cancelled probe is handed back
            self._breaker.record_failure(provider, exc, probe=permit == "probe")
            raise
        self._breaker.record_success(provider)
        return reply
