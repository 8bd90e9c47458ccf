"""The prompt_evaluations repository on SQLite and PostgreSQL: rows round-trip, the latest row
per (prompt, version, model, dataset) wins, history is newest first."""

from __future__ import annotations

import datetime as dt

from minutes.store.db import Store
from minutes.store.evaluations import (
    EvaluationRecord,
    evaluation_history,
    latest_evaluations,
    save_evaluations,
)


def record(run: str, version: str, f1: float, minute: int, **kw: str) -> EvaluationRecord:
    fields = {"model": "gpt-4-turbo", "dataset": "dev", **kw}
    return EvaluationRecord(
        run_id=run,
        prompt_name="action_item_extraction",
        prompt_version=version,
        dataset_hash="abc",
        engine="llm",
        metrics={"figures": {"action_items.f1": f1}},
        samples=13,
        created_at=dt.datetime(2026, 11, 25, 10, minute),
        **fields,
    )


def test_latest_per_version_model_and_dataset_and_history(store: Store) -> None:
    with store.transaction() as s:
        save_evaluations(s, [record("r1", "2.0", 0.5, 0), record("r1", "2.1", 0.6, 0)])
        save_evaluations(s, [record("r2", "2.1", 0.7, 5)])
        save_evaluations(s, [record("r3", "2.1", 0.4, 6, dataset="ami-dev")])
    with store.read() as s:
        latest = latest_evaluations(s)
        history = evaluation_history(s, "action_item_extraction", "2.1")
        every = evaluation_history(s, "action_item_extraction")
    got = {(r.prompt_version, r.dataset): r.metrics["figures"]["action_items.f1"] for r in latest}
    assert got == {("2.0", "dev"): 0.5, ("2.1", "dev"): 0.7, ("2.1", "ami-dev"): 0.4}
    assert [r.run_id for r in history] == ["r3", "r2", "r1"]
    assert len(every) == 4 and every[-1].prompt_version == "2.0"
    assert history[0].samples == 13 and history[0].created_at == dt.datetime(2026, 11, 25, 10, 6)
