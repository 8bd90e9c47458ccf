"""The ledger: background writes that never block or drop, and the cost/metrics queries
(the same numbers on SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from minutes.llm.calls import AttemptRecord
from minutes.store import ledger
from minutes.store.db import Store
from minutes.store.ledger import LedgerRecorder, insert_rows, percentile, row_of
from minutes.store.models import LLMCall

DAY1 = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
DAY2 = dt.datetime(2026, 11, 21, 15, 30, tzinfo=dt.UTC)


def attempt(
    at: dt.datetime = DAY1,
    *,
    model: str = "gpt-4-turbo",
    provider: str = "openai",
    task: str = "extract_actions",
    cost: str = "0.001",
    latency: float = 100.0,
    outcome: str = "ok",
    cache: str = "none",
    tokens: tuple[int, int, int] = (100, 10, 0),
) -> AttemptRecord:
    return AttemptRecord(
        at=at,
        task=task,
        prompt_name="action_item_extraction",
        prompt_version="2.1",
        meeting_id="m1",
        provider=provider,
        model=model,
        input_tokens=tokens[0],
        output_tokens=tokens[1],
        cached_tokens=tokens[2],
        cost_usd=Decimal(cost),
        latency_ms=latency,
        outcome=outcome,
        cache=cache,  # type: ignore[arg-type]
    )


def rows_in(store: Store) -> int:
    with store.read() as s:
        return int(s.scalar(select(func.count(LLMCall.id))) or 0)


def test_recorded_attempts_become_rows_with_exact_money(store: Store, tmp_path: Path) -> None:
    rec = LedgerRecorder(store, spill_path=tmp_path / "spill.jsonl")
    rec.record(attempt(cost="0.013000", tokens=(1000, 100, 400)))
    rec.record(attempt(outcome="RateLimited", cost="0"))
    assert rec.flush(5)
    rec.close()
    with store.read() as s:
        rows = s.scalars(select(LLMCall).order_by(LLMCall.id)).all()
    assert [(r.outcome, r.cost_micros, r.cached_tokens) for r in rows] == [
        ("ok", 13_000, 400),
        ("RateLimited", 0, 0),
    ]
    assert rows[0].at == DAY1.replace(tzinfo=None)  # stored as naive UTC
    assert (rows[0].prompt_name, rows[0].prompt_version, rows[0].meeting_id) == (
        "action_item_extraction",
        "2.1",
        "m1",
    )


def test_record_never_blocks_even_while_the_database_hangs(
    sqlite_store: Store, tmp_path: Path
) -> None:
    release = threading.Event()

    def slow_writer(store: Store, rows: Sequence[dict[str, Any]]) -> None:
        release.wait(10)
        insert_rows(store, rows)

    rec = LedgerRecorder(sqlite_store, writer=slow_writer, spill_path=tmp_path / "s.jsonl")
    started = time.perf_counter()
    for _ in range(200):
        rec.record(attempt())
    assert time.perf_counter() - started < 0.5  # queued, not written
    assert rec.pending == 200
    release.set()
    assert rec.flush(10)
    assert rows_in(sqlite_store) == 200
    rec.close()


def test_a_failing_write_is_retried_and_nothing_is_dropped(
    store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    failures = {"left": 3}

    def flaky(s: Store, rows: Sequence[dict[str, Any]]) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        insert_rows(s, rows)

    rec = LedgerRecorder(
        store, writer=flaky, backoff_initial_s=0.01, spill_path=tmp_path / "s.jsonl"
    )
    for i in range(5):
        rec.record(attempt(latency=float(i)))
    assert rec.flush(10)
    rec.close()
    assert rec.failures == 3
    assert "ledger write failed" in caplog.text
    with store.read() as s:
        latencies = s.scalars(select(LLMCall.latency_ms).order_by(LLMCall.id)).all()
    assert latencies == [0.0, 1.0, 2.0, 3.0, 4.0]  # all of them, in order


def test_rows_unwritable_at_close_are_spilled_and_written_by_the_next_run(
    sqlite_store: Store, tmp_path: Path
) -> None:
    spill = tmp_path / "ledger-pending.jsonl"

    def down(s: Store, rows: Sequence[dict[str, Any]]) -> None:
        raise OperationalError("INSERT", {}, Exception("connection refused"))

    rec = LedgerRecorder(sqlite_store, writer=down, backoff_initial_s=0.01, spill_path=spill)
    rec.record(attempt(cost="0.5"))
    rec.record(attempt(cost="0.25"))
    rec.close(timeout=0.3)
    assert spill.is_file() and len(spill.read_text().splitlines()) == 2
    assert rows_in(sqlite_store) == 0

    nxt = LedgerRecorder(sqlite_store, spill_path=spill)  # the database is back
    assert nxt.flush(5)
    nxt.close()
    assert not spill.exists()
    with sqlite_store.read() as s:
        assert ledger.total_cost(s) == Decimal("0.75")


def seed(store: Store) -> None:
    insert_rows(
        store,
        [
            row_of(a)
            for a in (
                attempt(DAY1, cost="0.010", latency=100),
                attempt(DAY1, cost="0.020", latency=200, task="extract_decisions"),
                attempt(DAY1, cost="0", latency=5000, outcome="ProviderTimeout"),
                attempt(
                    DAY1, model="claude-3-sonnet", provider="anthropic", cost="0.003", latency=400
                ),
                attempt(DAY2, model="claude-3-sonnet", provider="anthropic", cost="0.004"),
                attempt(DAY2, cost="0", latency=1, cache="exact", tokens=(0, 0, 0)),
                attempt(DAY2, cost="0", latency=2, cache="semantic", tokens=(0, 0, 0)),
            )
        ],
    )


def test_costs_by_day_model_task_and_provider(store: Store) -> None:
    seed(store)
    with store.read() as s:
        by_day = ledger.costs(s, by="day")
        by_model = ledger.costs(s, by="model")
        by_task = ledger.costs(s, by="task")
        by_provider = ledger.costs(s, by="provider")
        day2_only = ledger.costs(s, since=dt.datetime(2026, 11, 21, tzinfo=dt.UTC), by="model")
        until_day2 = ledger.costs(s, until=dt.datetime(2026, 11, 21, tzinfo=dt.UTC), by="day")
    assert [(r.key, r.requests, r.cost_usd, r.cache_hits, r.failures) for r in by_day] == [
        ("2026-11-20", 4, Decimal("0.033"), 0, 1),
        ("2026-11-21", 3, Decimal("0.004"), 2, 0),
    ]
    assert [(r.key, r.cost_usd) for r in by_model] == [
        ("claude-3-sonnet", Decimal("0.007")),
        ("gpt-4-turbo", Decimal("0.030")),
    ]
    assert {r.key: r.cost_usd for r in by_task} == {
        "extract_actions": Decimal("0.017"),
        "extract_decisions": Decimal("0.020"),
    }
    assert {r.key: r.requests for r in by_provider} == {"anthropic": 2, "openai": 5}
    assert [(r.key, r.requests) for r in day2_only] == [("claude-3-sonnet", 1), ("gpt-4-turbo", 2)]
    assert [r.key for r in until_day2] == ["2026-11-20"]
    assert by_model[0].input_tokens == 200 and by_model[0].output_tokens == 20


def test_metrics_percentiles_rates_and_cache_hits(store: Store) -> None:
    seed(store)
    with store.read() as s:
        rows = {r.model: r for r in ledger.metrics(s, since=DAY1 - dt.timedelta(hours=1))}
        only = ledger.metrics(s, since=DAY1 - dt.timedelta(hours=1), model="claude-3-sonnet")
    gpt, every = rows["gpt-4-turbo"], rows["(all)"]
    # gpt provider latencies 100, 200, 5000: percentile_cont interpolates
    assert (gpt.requests, gpt.provider_calls) == (5, 3)
    assert gpt.p50_latency_ms == pytest.approx(200.0)
    assert gpt.p95_latency_ms == pytest.approx(200 + 0.9 * 4800)
    assert gpt.success_rate == pytest.approx(2 / 3)
    assert (gpt.exact_hits, gpt.semantic_hits, gpt.cache_hit_rate) == (1, 1, pytest.approx(2 / 5))
    # all provider latencies: 100, 100 (sonnet day 2), 200, 400, 5000
    assert every.p50_latency_ms == pytest.approx(200.0)
    assert every.p95_latency_ms == pytest.approx(400 + 0.8 * 4600)
    assert every.cost_usd == Decimal("0.037")
    assert [r.model for r in only] == ["claude-3-sonnet", "(all)"]
    assert only[0].success_rate == 1.0 and only[0].p50_latency_ms == pytest.approx(250.0)


def test_metrics_window_excludes_older_rows(store: Store) -> None:
    seed(store)
    with store.read() as s:
        rows = ledger.metrics(s, since=dt.datetime(2026, 11, 21, tzinfo=dt.UTC))
    assert rows[-1].requests == 3


def test_python_percentile_matches_percentile_cont() -> None:
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.95) == 7.0
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    assert percentile([10, 20, 30, 40, 50], 0.95) == pytest.approx(48.0)
