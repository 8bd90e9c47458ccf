"""One scheduler for every LLM call of the process: limits per provider and model.

Per (provider, endpoint, model) a bucket holds an ``asyncio.Semaphore`` (requests in flight)
and two ``aiolimiter.AsyncLimiter`` leaky buckets: requests per minute and tokens per minute,
a call's token cost being its counted prompt tokens plus its reply ceiling (``max_tokens``).
A 429 that gets through anyway pauses the whole bucket for its Retry-After, so that the other
calls to that model wait too instead of each meeting its own 429.

``Scheduled`` is the gateway layer, innermost (just around ``ProviderCall``): every attempt,
retries and structured re-asks included, waits for the limiter. Buckets are made per event
loop, because semaphores and limiters bind to the loop that first waits on them, and a second
``asyncio.run`` in one process (two ``minutes.summarize()`` calls) must not inherit them.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from aiolimiter import AsyncLimiter

from minutes.config import Limits, SchedulerSettings
from minutes.errors import RateLimited
from minutes.llm.calls import CallFn, ModelCall, ModelReply, Sleep
from minutes.llm.layers.budget import estimate_tokens
from minutes.llm.providers.endpoints import base_url
from minutes.llm.registry import ModelEntry

# When a 429 carries no Retry-After, the bucket still pauses a little: the next requests would
# meet the same limit.
DEFAULT_PAUSE_S = 1.0


def limits_for(entry: ModelEntry, settings: SchedulerSettings) -> Limits:
    """The model's limits: config ``models`` over the registry's fields over the provider's
    fallbacks, field by field."""
    fallback = settings.providers.get(entry.provider, Limits())
    override = settings.models.get(entry.name, Limits())

    def pick(name: str) -> int | None:
        for source in (getattr(override, name), getattr(entry, name), getattr(fallback, name)):
            if source is not None:
                return int(source)
        return None

    return Limits(
        max_concurrency=pick("max_concurrency"),
        requests_per_minute=pick("requests_per_minute"),
        tokens_per_minute=pick("tokens_per_minute"),
    )


@dataclass
class BucketStats:
    """What one bucket let through, for tests and the benchmark."""

    requests: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    rate_limited: int = 0
    waited_s: float = 0.0


@dataclass
class Bucket:
    """The limits of one model on one event loop."""

    limits: Limits
    burst_s: float
    semaphore: asyncio.Semaphore | None = None
    rpm: AsyncLimiter | None = None
    tpm: AsyncLimiter | None = None
    paused_until: float = 0.0
    stats: BucketStats = field(default_factory=BucketStats)

    def __post_init__(self) -> None:
        lim = self.limits
        if lim.max_concurrency is not None:
            self.semaphore = asyncio.Semaphore(lim.max_concurrency)
        if lim.requests_per_minute is not None:
            # The rate of a minute, but only ``burst_s`` seconds' worth of it at once (at
            # least one request): providers enforce "per minute" over shorter windows.
            capacity = max(1.0, lim.requests_per_minute * self.burst_s / 60)
            self.rpm = AsyncLimiter(capacity, capacity * 60 / lim.requests_per_minute)
        if lim.tokens_per_minute is not None:
            self.tpm = AsyncLimiter(lim.tokens_per_minute, 60)

    @contextlib.asynccontextmanager
    async def slot(self, tokens: int, sleep: Sleep, *, paused: bool = True) -> AsyncIterator[None]:
        """Wait for a concurrency slot, the end of any pause (unless ``paused`` is False), and
        the rates; hold the slot while the request runs."""
        started = time.monotonic()
        async with self.semaphore or contextlib.nullcontext():
            while paused and (wait := self.paused_until - time.monotonic()) > 0:
                await sleep(wait)
                if self.paused_until - time.monotonic() >= wait:
                    break  # an injected sleep that does not wait: do not spin
            if self.rpm is not None:
                await self.rpm.acquire()
            if self.tpm is not None:
                # A request larger than a minute's allowance takes the whole minute.
                await self.tpm.acquire(min(float(tokens), self.tpm.max_rate))
            s = self.stats
            s.waited_s += time.monotonic() - started
            s.requests += 1
            s.in_flight += 1
            s.max_in_flight = max(s.max_in_flight, s.in_flight)
            try:
                yield
            finally:
                s.in_flight -= 1

    def pause(self, seconds: float) -> None:
        self.stats.rate_limited += 1
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)


BucketKey = tuple[str, str, str, int | None, int | None, int | None]


class Scheduler:
    """Buckets per event loop, keyed by provider, endpoint, model id and limits (two gateways
    configured with different limits for one model keep separate buckets)."""

    def __init__(self) -> None:
        self._loops: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[BucketKey, Bucket]
        ] = weakref.WeakKeyDictionary()

    def bucket(self, entry: ModelEntry, limits: Limits, burst_s: float) -> Bucket:
        buckets = self._loops.setdefault(asyncio.get_running_loop(), {})
        key: BucketKey = (
            entry.provider,
            base_url(entry) or "",
            entry.model_id,
            limits.max_concurrency,
            limits.requests_per_minute,
            limits.tokens_per_minute,
        )
        if key not in buckets:
            buckets[key] = Bucket(limits, burst_s)
        return buckets[key]

    def stats(self) -> dict[str, BucketStats]:
        """Per model id, the running loop's figures (summed over endpoints and limits)."""
        out: dict[str, BucketStats] = {}
        with contextlib.suppress(RuntimeError):
            for key, b in self._loops.get(asyncio.get_running_loop(), {}).items():
                s = out.setdefault(key[2], BucketStats())
                s.requests += b.stats.requests
                s.max_in_flight = max(s.max_in_flight, b.stats.max_in_flight)
                s.rate_limited += b.stats.rate_limited
                s.waited_s += b.stats.waited_s
        return out


_SHARED = Scheduler()


def shared_scheduler() -> Scheduler:
    """The process's scheduler, which every Gateway uses unless given another."""
    return _SHARED


class Scheduled:
    """Layer: each attempt waits for its model's bucket; a 429 pauses the bucket."""

    def __init__(
        self,
        inner: CallFn,
        scheduler: Scheduler,
        settings: SchedulerSettings,
        sleep: Sleep = asyncio.sleep,
        limits: Callable[[ModelEntry, SchedulerSettings], Limits] = limits_for,
    ) -> None:
        self._inner = inner
        self._scheduler = scheduler
        self._settings = settings
        self._sleep = sleep
        self._limits = limits
        self._pausers: set[int] = set()

    async def __call__(self, call: ModelCall) -> ModelReply:
        if not self._settings.enabled:
            return await self._inner(call)
        entry = call.entry
        bucket = self._scheduler.bucket(
            entry, self._limits(entry, self._settings), self._settings.burst_s
        )
        prompt, output = estimate_tokens(call)
        # The call whose 429 started the pause has waited its Retry-After in the retry layer
        # already: only the others wait it out here.
        mine = id(call) in self._pausers
        self._pausers.discard(id(call))
        async with bucket.slot(prompt + output, self._sleep, paused=not mine):
            try:
                return await self._inner(call)
            except RateLimited as exc:
                bucket.pause(exc.retry_after if exc.retry_after is not None else DEFAULT_PAUSE_S)
                self._pausers.add(id(call))
                raise
