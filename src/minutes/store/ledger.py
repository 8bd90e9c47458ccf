"""The cost ledger: every LLM attempt as one ``llm_calls`` row, and the queries over it.

``LedgerRecorder`` is the gateway's ``Recorder``. ``record()`` runs on the event loop, so it
only appends to a queue; a background thread writes batches. A failed write keeps its rows
and retries with backoff; rows still unwritten at ``close()`` are spilled to a JSON-lines
file that the next recorder on the same database writes first. A ledger problem never fails
a meeting.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, Protocol

import platformdirs
from pydantic import BaseModel
from sqlalchemy import Date, case, cast, func, insert, literal, select
from sqlalchemy.orm import Session

from minutes.store.db import Store
from minutes.store.models import DEFAULT_TENANT, LLMCall
from minutes.units import from_micros, to_micros

log = logging.getLogger(__name__)

GroupBy = Literal["day", "model", "task", "provider"]


class Attempt(Protocol):
    """What the ledger reads from ``minutes.llm.calls.AttemptRecord`` (the store sits below
    the gateway and does not import it)."""

    @property
    def at(self) -> dt.datetime: ...

    @property
    def task(self) -> str: ...

    @property
    def prompt_name(self) -> str | None: ...

    @property
    def prompt_version(self) -> str | None: ...

    @property
    def meeting_id(self) -> str | None: ...

    @property
    def provider(self) -> str: ...

    @property
    def model(self) -> str: ...

    @property
    def input_tokens(self) -> int: ...

    @property
    def output_tokens(self) -> int: ...

    @property
    def cached_tokens(self) -> int: ...

    @property
    def cache_write_tokens(self) -> int: ...

    @property
    def cost_usd(self) -> Decimal: ...

    @property
    def latency_ms(self) -> float: ...

    @property
    def outcome(self) -> str: ...

    @property
    def cache(self) -> str: ...


def row_of(attempt: Attempt, tenant: str = DEFAULT_TENANT) -> dict[str, Any]:
    at = attempt.at.astimezone(dt.UTC).replace(tzinfo=None) if attempt.at.tzinfo else attempt.at
    return {
        "at": at,
        "tenant": tenant,
        "meeting_id": attempt.meeting_id,
        "task": attempt.task,
        "prompt_name": attempt.prompt_name,
        "prompt_version": attempt.prompt_version,
        "provider": attempt.provider,
        "model": attempt.model,
        "input_tokens": attempt.input_tokens,
        "output_tokens": attempt.output_tokens,
        "cached_tokens": attempt.cached_tokens,
        "cache_write_tokens": attempt.cache_write_tokens,
        "cost_micros": to_micros(attempt.cost_usd),
        "latency_ms": float(attempt.latency_ms),
        "outcome": attempt.outcome,
        "cache": attempt.cache,
    }


def insert_rows(store: Store, rows: Sequence[dict[str, Any]]) -> None:
    with store.connect(write=True) as conn:
        conn.execute(insert(LLMCall), list(rows))


def default_spill_path(store: Store) -> Path:
    # One spill file per database, beside the other user data.
    digest = hashlib.sha256(store.display_url.encode()).hexdigest()[:12]
    return Path(platformdirs.user_data_dir("minutes")) / f"ledger-pending-{digest}.jsonl"


class LedgerRecorder:
    """A ``Recorder`` that writes to the store from a background thread.

    ``writer`` is the function that inserts a batch (tests inject failures through it);
    ``sleep`` the backoff wait. Thread-safe: ``record`` may be called from any thread.
    """

    def __init__(
        self,
        store: Store,
        *,
        tenant: str = DEFAULT_TENANT,
        spill_path: Path | None = None,
        writer: Callable[[Store, Sequence[dict[str, Any]]], None] = insert_rows,
        backoff_initial_s: float = 0.2,
        backoff_max_s: float = 10.0,
        batch_size: int = 500,
        linger_s: float = 0.02,
    ) -> None:
        self.store = store
        self.tenant = tenant
        self.spill_path = spill_path or default_spill_path(store)
        self._writer = writer
        self._backoff = (backoff_initial_s, backoff_max_s)
        self._batch_size = batch_size
        self._linger_s = linger_s
        self._flushing = 0
        self._pending: deque[dict[str, Any]] = deque()
        self._cond = threading.Condition()
        self._in_flight = 0
        self._closing = False
        self._thread: threading.Thread | None = None
        self.written = 0
        self.failures = 0
        self._claim_spill()

    # -- Recorder ---------------------------------------------------------------------------

    def record(self, attempt: Attempt) -> None:
        row = row_of(attempt, self.tenant)
        with self._cond:
            self._pending.append(row)
            self._ensure_thread()
            self._cond.notify_all()

    # -- draining ---------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        with self._cond:
            return len(self._pending) + self._in_flight

    def flush(self, timeout: float | None = 10.0) -> bool:
        """Wait until every recorded row is written; False when ``timeout`` ran out first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            self._flushing += 1  # no lingering while someone waits
            self._cond.notify_all()
            try:
                while self._pending or self._in_flight:
                    left = None if deadline is None else deadline - time.monotonic()
                    if left is not None and left <= 0:
                        return False
                    self._cond.wait(left if left is None else min(left, 0.5))
            finally:
                self._flushing -= 1
        return True

    def close(self, timeout: float = 10.0) -> None:
        """Flush, stop the thread, and spill to a file whatever could not be written."""
        flushed = self.flush(timeout)
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=max(1.0, timeout))
        if not flushed:
            self._spill()

    # -- the writer thread ------------------------------------------------------------------

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._closing = False
            self._thread = threading.Thread(target=self._run, name="minutes-ledger", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        delay = self._backoff[0]
        size_cap = self._batch_size
        while True:
            with self._cond:
                while not self._pending and not self._closing:
                    self._cond.wait()
                if not self._pending and self._closing:
                    return
                # Gather what the next few milliseconds bring into the same transaction: a
                # transaction per call held the GIL for about a millisecond of every call.
                self._cond.wait_for(
                    lambda: self._closing or self._flushing > 0 or len(self._pending) >= size_cap,
                    self._linger_s,
                )
                size = min(self._batch_size, len(self._pending))
                batch = [self._pending.popleft() for _ in range(size)]
                self._in_flight = len(batch)
            try:
                self._writer(self.store, batch)
            except Exception as exc:
                self.failures += 1
                log.warning(
                    "ledger write failed (%s: %s); %d row(s) kept, retrying in %.1fs",
                    type(exc).__name__,
                    str(exc).splitlines()[0] if str(exc) else "",
                    len(batch),
                    delay,
                )
                with self._cond:
                    self._pending.extendleft(reversed(batch))  # back in front, in order
                    self._in_flight = 0
                    self._cond.notify_all()
                    if self._closing:
                        return
                    self._cond.wait(delay)  # close() wakes us early
                delay = min(delay * 2, self._backoff[1])
                continue
            delay = self._backoff[0]
            with self._cond:
                self.written += len(batch)
                self._in_flight = 0
                self._cond.notify_all()

    # -- spill file -------------------------------------------------------------------------

    def _spill(self) -> None:
        with self._cond:
            rows = list(self._pending)
            self._pending.clear()
        if not rows:
            return
        try:
            self.spill_path.parent.mkdir(parents=True, exist_ok=True)
            with self.spill_path.open("a", encoding="utf-8") as fh:
                for row in rows:
                    fh.write(json.dumps(row, default=_json_default) + "\n")
            log.warning(
                "the ledger could not be written: %d row(s) kept in %s for the next run",
                len(rows),
                self.spill_path,
            )
        except OSError as exc:
            log.error(
                "the ledger lost %d row(s): cannot write %s: %s", len(rows), self.spill_path, exc
            )

    def _claim_spill(self) -> None:
        """Take over rows a previous run could not write (renamed first: one claimant)."""
        if not self.spill_path.exists():
            return
        claimed = self.spill_path.with_name(f"{self.spill_path.name}.{uuid.uuid4().hex}")
        try:
            os.replace(self.spill_path, claimed)
            lines = claimed.read_text("utf-8").splitlines()
        except OSError:
            return
        rows = []
        for line in lines:
            try:
                row = json.loads(line)
                row["at"] = dt.datetime.fromisoformat(row["at"])
                row.setdefault("cache_write_tokens", 0)  # spilled before the column existed
                rows.append(row)
            except (ValueError, KeyError):
                log.warning("skipping an unreadable line of %s", claimed)
        claimed.unlink(missing_ok=True)
        if rows:
            with self._cond:
                self._pending.extend(rows)
                self._ensure_thread()
                self._cond.notify_all()


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


# --- queries -------------------------------------------------------------------------------


class CostRow(BaseModel):
    key: str
    requests: int
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    cache_write_tokens: int = 0
    cache_hits: int
    failures: int
    cost_usd: Decimal


class MetricsRow(BaseModel):
    model: str
    requests: int
    provider_calls: int
    success_rate: float | None
    p50_latency_ms: float | None
    p95_latency_ms: float | None
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    cache_write_tokens: int = 0
    cost_usd: Decimal
    exact_hits: int
    semantic_hits: int
    cache_hit_rate: float | None


def _naive_utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value


def _window(
    query: Any,
    since: dt.datetime | None,
    until: dt.datetime | None,
    tenant: str | None = None,
) -> Any:
    if tenant is not None:
        query = query.where(LLMCall.tenant == tenant)
    if since is not None:
        query = query.where(LLMCall.at >= _naive_utc(since))
    if until is not None:
        query = query.where(LLMCall.at < _naive_utc(until))
    return query


def costs(
    session: Session,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    by: GroupBy = "day",
    tenant: str | None = None,
) -> list[CostRow]:
    """Spend and volume grouped by UTC day, model, task or provider, in key order."""
    if by == "day":
        sqlite = session.get_bind().dialect.name == "sqlite"
        key: Any = func.date(LLMCall.at) if sqlite else cast(LLMCall.at, Date)
    else:
        key = {"model": LLMCall.model, "task": LLMCall.task, "provider": LLMCall.provider}[by]
    query = (
        _window(
            select(
                key.label("key"),
                func.count(LLMCall.id),
                func.sum(LLMCall.input_tokens),
                func.sum(LLMCall.output_tokens),
                func.sum(LLMCall.cached_tokens),
                func.sum(LLMCall.cache_write_tokens),
                func.sum(case((LLMCall.cache != "none", 1), else_=0)),
                func.sum(case((LLMCall.outcome != "ok", 1), else_=0)),
                func.sum(LLMCall.cost_micros),
            ),
            since,
            until,
            tenant,
        )
        .group_by(key)
        .order_by(key)
    )
    return [
        CostRow(
            key=str(k),
            requests=int(n),
            input_tokens=int(i or 0),
            output_tokens=int(o or 0),
            cached_tokens=int(c or 0),
            cache_write_tokens=int(w or 0),
            cache_hits=int(h or 0),
            failures=int(f or 0),
            cost_usd=from_micros(cost),
        )
        for k, n, i, o, c, w, h, f, cost in session.execute(query).all()
    ]


def total_cost(
    session: Session,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    tenant: str | None = None,
) -> Decimal:
    query = _window(select(func.sum(LLMCall.cost_micros)), since, until, tenant)
    return from_micros(session.scalar(query))


def spend_between(
    store: Store, tenant: str | None = None
) -> Callable[[dt.datetime, dt.datetime], Decimal]:
    """What the ledger of ``store`` says was spent between two times (the budget's source);
    with ``tenant``, what that tenant spent (each tenant's budget counts its own spend)."""

    def spent(start: dt.datetime, end: dt.datetime) -> Decimal:
        with store.read() as session:
            return total_cost(session, since=start, until=end, tenant=tenant)

    return spent


def metrics(
    session: Session,
    *,
    since: dt.datetime,
    until: dt.datetime | None = None,
    model: str | None = None,
    tenant: str | None = None,
) -> list[MetricsRow]:
    """Per-model rows, then an ``(all)`` row.

    ``requests`` counts every row; success rate and latency percentiles are over the
    attempts that reached a provider (cache hits cannot fail and take no provider time);
    the cache hit rate is hits over all requests. p50/p95 are ``percentile_cont``
    (linear interpolation): in SQL on PostgreSQL, in Python on SQLite, the same numbers.
    """
    provider = LLMCall.cache == "none"
    base = _window(select(), since, until, tenant)
    if model:
        base = base.where(LLMCall.model == model)
    columns = (
        func.count(LLMCall.id),
        func.sum(case((provider, 1), else_=0)),
        func.sum(case((provider & (LLMCall.outcome == "ok"), 1), else_=0)),
        func.sum(LLMCall.input_tokens),
        func.sum(LLMCall.output_tokens),
        func.sum(LLMCall.cached_tokens),
        func.sum(LLMCall.cache_write_tokens),
        func.sum(LLMCall.cost_micros),
        func.sum(case((LLMCall.cache == "exact", 1), else_=0)),
        func.sum(case((LLMCall.cache == "semantic", 1), else_=0)),
    )
    grouped = session.execute(
        base.add_columns(LLMCall.model, *columns).group_by(LLMCall.model).order_by(LLMCall.model)
    ).all()
    total = session.execute(base.add_columns(literal("(all)"), *columns)).one()
    pcts = _percentiles(session, base.where(provider))
    out = []
    for row in [*grouped, *([total] if grouped else [])]:
        name = str(row[0])
        n, calls, ok, i, o, c, w, cost, exact, semantic = (int(v or 0) for v in row[1:])
        p50, p95 = pcts.get(None if name == "(all)" else name, (None, None))
        out.append(
            MetricsRow(
                model=name,
                requests=n,
                provider_calls=calls,
                success_rate=ok / calls if calls else None,
                p50_latency_ms=p50,
                p95_latency_ms=p95,
                input_tokens=i,
                output_tokens=o,
                cached_tokens=c,
                cache_write_tokens=w,
                cost_usd=from_micros(cost),
                exact_hits=exact,
                semantic_hits=semantic,
                cache_hit_rate=(exact + semantic) / n if n else None,
            )
        )
    return out


def _percentiles(
    session: Session, base: Any
) -> dict[str | None, tuple[float | None, float | None]]:
    """(p50, p95) per model and for all (key None) over the rows ``base`` selects."""
    if session.get_bind().dialect.name == "postgresql":
        p50 = func.percentile_cont(0.5).within_group(LLMCall.latency_ms)
        p95 = func.percentile_cont(0.95).within_group(LLMCall.latency_ms)
        result: dict[str | None, tuple[float | None, float | None]] = {
            m: (_f(a), _f(b))
            for m, a, b in session.execute(
                base.add_columns(LLMCall.model, p50, p95).group_by(LLMCall.model)
            ).all()
        }
        a, b = session.execute(base.add_columns(p50, p95)).one()
        result[None] = (_f(a), _f(b))
        return result
    by_model: dict[str, list[float]] = {}
    for m, latency in session.execute(base.add_columns(LLMCall.model, LLMCall.latency_ms)).all():
        by_model.setdefault(m, []).append(float(latency))
    result = {m: (percentile(v, 0.5), percentile(v, 0.95)) for m, v in by_model.items()}
    every = [x for v in by_model.values() for x in v]
    result[None] = (percentile(every, 0.5), percentile(every, 0.95))
    return result


def _f(value: Any) -> float | None:
    return None if value is None else float(value)


def percentile(values: Sequence[float], q: float) -> float | None:
    """``percentile_cont``: linear interpolation between the closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    lower = int(pos)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (pos - lower)


def cache_hit_counts(
    session: Session, *, since: dt.datetime | None = None, tenant: str | None = None
) -> dict[str, int]:
    """Ledger rows by cache kind: ``none`` (provider attempts), ``exact``, ``semantic``."""
    query = _window(select(LLMCall.cache, func.count(LLMCall.id)), since, None, tenant)
    rows = session.execute(query.group_by(LLMCall.cache)).all()
    counts = {"none": 0, "exact": 0, "semantic": 0}
    counts.update({str(k): int(n) for k, n in rows})
    return counts


class OutputSize(BaseModel):
    """What a task's calls have answered, in output tokens (paid calls that succeeded)."""

    task: str
    calls: int
    mean: float
    p95: int
    p99: int


# Enough recent calls to see a task's usual answer, few enough to read in one query.
OUTPUT_HISTORY_ROWS = 5000


def output_sizes(
    session: Session, *, tenant: str = DEFAULT_TENANT, rows: int = OUTPUT_HISTORY_ROWS
) -> dict[str, OutputSize]:
    """Each task's output size over ``tenant``'s most recent successful, uncached calls."""
    recent = session.execute(
        select(LLMCall.task, LLMCall.output_tokens)
        .where(
            LLMCall.tenant == tenant,
            LLMCall.outcome == "ok",
            LLMCall.cache == "none",
            LLMCall.output_tokens > 0,
        )
        .order_by(LLMCall.at.desc())
        .limit(rows)
    ).all()
    by_task: dict[str, list[int]] = {}
    for task, tokens in recent:
        by_task.setdefault(str(task), []).append(int(tokens))
    out = {}
    for task, sizes in by_task.items():
        sizes.sort()

        def pct(q: float, sizes: list[int] = sizes) -> int:
            return sizes[min(len(sizes) - 1, int(q * len(sizes)))]

        out[task] = OutputSize(
            task=task, calls=len(sizes), mean=sum(sizes) / len(sizes), p95=pct(0.95), p99=pct(0.99)
        )
    return out
