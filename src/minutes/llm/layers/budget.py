"""Daily, monthly and per-meeting spending limits, checked before each call (a gateway layer).

A meeting's limit (``budget.max_usd_per_meeting``, or the request's own ``meeting_max_usd``,
the tighter of the two) holds the calls that share a ``meeting_id``; the day's and month's
hold every call of the tenant.

The estimate of a call is its counted prompt tokens plus its output ceiling (``max_tokens``,
else the model's maximum) at the registry's prices: an upper bound, so a call that passes
cannot cross the limit by more than a structured re-ask. Spend = what the ledger holds for
the UTC day/month when the guard first looks, plus what calls since have cost, plus the
estimates of calls in flight (so that concurrent calls cannot all squeeze under the limit).

Over the limit, ``budget.on_exceed`` decides: ``downgrade`` tries the most capable cheaper
available model whose estimate fits, then gives up; ``extractive`` gives up at once; ``fail``
gives up with a fatal error. Giving up is ``BudgetExceeded``: the pipeline then uses the
extractive engine for the stage, unless the error is fatal.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal

from minutes.config import BudgetSettings
from minutes.errors import BudgetExceeded
from minutes.llm.calls import CallFn, LLMRequest, ModelCall, ModelReply, records_of
from minutes.llm.cost import estimate
from minutes.llm.registry import ModelEntry
from minutes.tokens import count_tokens
from minutes.units import utcnow

log = logging.getLogger(__name__)

# Spend recorded in [start, end), from the ledger.
SpendSource = Callable[[dt.datetime, dt.datetime], Decimal]
Now = Callable[[], dt.datetime]
# Per-message framing tokens the providers add around each message.
MESSAGE_OVERHEAD_TOKENS = 4


def estimate_tokens(call: ModelCall, entry: ModelEntry | None = None) -> tuple[int, int]:
    """(prompt tokens, output ceiling) of ``call`` on ``entry`` (default: the call's model)."""
    entry = entry or call.entry
    prompt = sum(count_tokens(m.content) + MESSAGE_OVERHEAD_TOKENS for m in call.messages)
    output = min(call.request.max_tokens or entry.max_output_tokens, entry.max_output_tokens)
    return prompt, output


def estimate_call(call: ModelCall, entry: ModelEntry | None = None) -> Decimal:
    entry = entry or call.entry
    prompt, output = estimate_tokens(call, entry)
    return estimate(entry, prompt, output)


@dataclass
class _Period:
    name: str  # "daily" / "monthly"
    limit: Decimal
    key: str | None = None  # the UTC day or month the base was read for
    base: Decimal = Decimal(0)  # from the ledger, when the period was first seen
    local: Decimal = Decimal(0)  # spent by calls through this guard since

    @property
    def spent(self) -> Decimal:
        return self.base + self.local


class BudgetGuard:
    """Spend so far against the limits, for one process."""

    def __init__(
        self, settings: BudgetSettings, *, spent: SpendSource | None = None, now: Now = utcnow
    ) -> None:
        self.settings = settings
        self._source = spent
        self._now = now
        self._periods = [
            _Period(name, limit)
            for name, limit in (("daily", settings.daily_usd), ("monthly", settings.monthly_usd))
            if limit is not None
        ]
        self._reserved = Decimal(0)
        self._lock = asyncio.Lock()
        # Per meeting (its calls' meeting_id): spent by settled calls, and reserved in flight.
        self._meeting_spent: dict[str | None, Decimal] = {}
        self._meeting_reserved: dict[str | None, Decimal] = {}

    @property
    def active(self) -> bool:
        """Whether any limit may apply to every call: a period's, or the per-meeting one."""
        return bool(self._periods) or self.settings.max_usd_per_meeting is not None

    @property
    def has_periods(self) -> bool:
        return bool(self._periods)

    def meeting_limit(self, request: LLMRequest) -> Decimal | None:
        """The tighter of the configured per-meeting limit and the request's own."""
        limits = [
            x for x in (self.settings.max_usd_per_meeting, request.meeting_max_usd) if x is not None
        ]
        return min(limits) if limits else None

    def meeting_spent(self, meeting_id: str | None) -> Decimal:
        return self._meeting_spent.get(meeting_id, Decimal(0))

    def _bounds(self, period: _Period) -> tuple[str, dt.datetime, dt.datetime]:
        now = self._now().astimezone(dt.UTC).replace(tzinfo=None)
        if period.name == "daily":
            start = now.replace(hour=0, minute=0, second=0, microsecond=0)
            return start.date().isoformat(), start, start + dt.timedelta(days=1)
        start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        end = (start + dt.timedelta(days=32)).replace(day=1)
        return start.strftime("%Y-%m"), start, end

    async def refresh(self) -> None:
        """Read the ledger's spend for a period seen for the first time (or a new day/month)."""
        for period in self._periods:
            key, start, end = self._bounds(period)
            if period.key == key:
                continue
            async with self._lock:
                if period.key == key:
                    continue
                base = Decimal(0)
                if self._source is not None:
                    try:
                        base = await asyncio.to_thread(self._source, start, end)
                    except Exception as exc:  # the ledger is unreadable: count from zero
                        log.warning("budget: cannot read spend from the ledger (%s)", exc)
                period.key, period.base, period.local = key, base, Decimal(0)

    def over(
        self, amount: Decimal, meeting: tuple[str | None, Decimal] | None = None
    ) -> _Period | None:
        """The first limit that ``amount`` more would cross, else None; ``meeting``: the
        call's meeting id and that meeting's limit."""
        for period in self._periods:
            if period.spent + self._reserved + amount > period.limit:
                return period
        if meeting is not None:
            key, limit = meeting
            spent = self.meeting_spent(key)
            if spent + self._meeting_reserved.get(key, Decimal(0)) + amount > limit:
                return _Period("per-meeting", limit, base=spent)
        return None

    def reserve(self, amount: Decimal, meeting_id: str | None = None) -> None:
        self._reserved += amount
        self._meeting_reserved[meeting_id] = (
            self._meeting_reserved.get(meeting_id, Decimal(0)) + amount
        )

    def settle(self, reserved: Decimal, actual: Decimal, meeting_id: str | None = None) -> None:
        self._reserved -= reserved
        self._meeting_reserved[meeting_id] = (
            self._meeting_reserved.get(meeting_id, Decimal(0)) - reserved
        )
        self._meeting_spent[meeting_id] = self.meeting_spent(meeting_id) + actual
        for period in self._periods:
            period.local += actual

    def remaining(self) -> dict[str, Decimal]:
        return {p.name: p.limit - p.spent - self._reserved for p in self._periods}


Cheaper = Callable[[ModelCall], Awaitable[list[ModelEntry]]]


class Budgeted:
    """Layer: refuse, or move to a cheaper model, a call whose estimate would cross a limit.

    ``cheaper(call)`` lists the candidates for a downgrade, best first; the first whose
    estimate fits is used (its reply and ledger rows carry its own name).
    """

    def __init__(self, inner: CallFn, guard: BudgetGuard, cheaper: Cheaper) -> None:
        self._inner = inner
        self._guard = guard
        self._cheaper = cheaper

    async def __call__(self, call: ModelCall) -> ModelReply:
        guard = self._guard
        limit = guard.meeting_limit(call.request)
        if not guard.has_periods and limit is None:
            return await self._inner(call)  # no limit applies: nothing to count
        await guard.refresh()
        meeting = (call.request.meeting_id, limit) if limit is not None else None
        cost = estimate_call(call)
        period = guard.over(cost, meeting)
        if period is None:
            return await self._run(call, cost)
        mode = guard.settings.on_exceed
        if mode == "downgrade":
            for entry in await self._cheaper(call):
                alt = estimate_call(call, entry)
                if alt < cost and guard.over(alt, meeting) is None:
                    log.warning(
                        "budget: %s would cost up to $%s and cross the %s limit; using %s "
                        "(up to $%s)",
                        call.entry.name,
                        cost,
                        period.name,
                        entry.name,
                        alt,
                    )
                    return await self._run(dataclasses.replace(call, entry=entry), alt)
        raise BudgetExceeded(
            f"the {period.name} budget of ${period.limit} would be crossed: "
            f"${period.spent:.4f} spent, a call to {call.entry.name} ({call.request.task}) "
            f"could cost ${cost:.4f}"
            + (" and no cheaper model fits" if mode == "downgrade" else ""),
            fatal=mode == "fail",
        )

    async def _run(self, call: ModelCall, reserved: Decimal) -> ModelReply:
        meeting_id = call.request.meeting_id
        self._guard.reserve(reserved, meeting_id)
        actual = Decimal(0)
        try:
            reply = await self._inner(call)
            actual = reply.spent_usd
            return reply
        except BaseException as exc:
            # A failure can have cost something too (an answer that stayed invalid).
            actual = sum((r.cost_usd for r in records_of(exc)), Decimal(0))
            raise
        finally:
            self._guard.settle(reserved, actual, meeting_id)
