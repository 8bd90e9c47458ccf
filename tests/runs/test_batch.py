"""Provider Batch APIs end to end over HTTP with the real SDKs against the fake server: submit,
a restart (new Store and Gateway objects), collect; nothing sent or paid twice; the ledger
priced at the registry's batch discount; per-request failures retried in the next round."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from sqlalchemy import func, select

from minutes.config import ResilienceSettings, RouterSettings, Settings
from minutes.llm.batch.api import BatchAPI, BatchItem, batch_api
from minutes.llm.calls import Usage
from minutes.llm.cost import price
from minutes.llm.registry import ModelEntry, load_registry
from minutes.pipeline.options import PipelineOptions
from minutes.runs.batch import BatchInput, advance_run, start_run
from minutes.store import batches as repo
from minutes.store.db import Store, open_store
from minutes.store.models import BatchRequestRow, LLMCall, NotesRow
from minutes.testing import FakeLLMServer, RecordedRequest
from minutes.units import to_micros
from pipeline.scripted import good_model, make_transcript, stage_of


@pytest.fixture
def settings(fake_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    return Settings(
        models={
            "gpt-4-turbo": {"base_url": fake_server.openai_base_url},
            "gpt-3.5-turbo": {"base_url": fake_server.openai_base_url},
            "claude-3-sonnet": {"base_url": fake_server.anthropic_base_url},
            "claude-3-opus": {"base_url": fake_server.anthropic_base_url},
        },
        router=RouterSettings(fallback_chain=[]),
        resilience=ResilienceSettings(backoff_initial_s=0.01, backoff_max_s=0.05, timeout_s=5),
    )


def two_meetings() -> list[BatchInput]:
    one = make_transcript()
    other = one.model_copy(update={"title": "Mobile launch sync, take two"})
    return [BatchInput(one), BatchInput(other)]


FAST: dict[str, Any] = {"poll_s": 0.02, "settle_s": 0.05}


def batch_requests(fake_server: FakeLLMServer) -> list[RecordedRequest]:
    return [r for r in fake_server.requests if r.api.endswith("-batch")]


@pytest.mark.parametrize("model", ["gpt-4-turbo", "claude-3-sonnet"])
async def test_submit_restart_collect_pays_once_at_the_batch_discount(
    settings: Settings, fake_server: FakeLLMServer, db_url: str, model: str
) -> None:
    fake_server.default_reply = good_model
    fake_server.batch_completion_delay = 0.2
    first = open_store(db_url)
    run_id, skipped = start_run(first, two_meetings(), PipelineOptions(model=model))
    assert skipped == []
    view = await advance_run(settings, first, run_id, **FAST)  # submit the first stage, return
    assert view.status == "running"
    assert [j.status for j in view.jobs] == ["in_progress"]
    # Per meeting: the map, the action items and the decisions of its one chunk.
    assert view.requests == {"submitted": 6}
    assert fake_server.calls(api="openai") + fake_server.calls(api="anthropic") == 0
    first.close()

    # The process is gone; a new one collects (new Store, new Gateway, new queue).
    second = open_store(db_url)
    view = await advance_run(settings, second, run_id, wait=True, **FAST)
    assert view.status == "done"
    assert [m.status for m in view.meetings] == ["done", "done"]
    rounds = sorted({j.round for j in view.jobs})
    assert len(rounds) >= 3  # map/extract, then reduce, narrative + priority, then TL;DR
    n = view.requests["succeeded"]
    assert view.requests == {"succeeded": n}

    sent = batch_requests(fake_server)
    assert len(sent) == n  # every request answered once: nothing re-sent
    assert {stage_of(r) for r in sent} >= {"map", "actions", "decisions", "narrative", "tldr"}
    entry = load_registry(None, settings.models)[model]
    with second.read() as session:
        rows = list(session.scalars(select(LLMCall)))
        requests = {r.custom_id: r for r in session.scalars(select(BatchRequestRow))}
        notes = list(session.scalars(select(NotesRow)))
    # One ledger row per request, none twice. The two meetings share their text, so a call of
    # one can be answered by the cache from the other's batch answer (a free row of its
    # own), depending on which is asked first: only the provider's answers are counted here.
    answered = [r for r in rows if r.cache == "none"]
    assert len(answered) == n
    assert all(r.cost_micros == 0 for r in rows if r.cache != "none")  # exact or semantic hits
    for row in rows:
        usage = Usage(row.input_tokens, row.output_tokens, row.cached_tokens)
        assert row.cost_micros == to_micros(price(entry, usage, batch=True))
        assert row.cost_micros < to_micros(price(entry, usage)) or row.cost_micros == 0
        assert row.model == model and row.outcome == "ok" and row.meeting_id
    assert sum(r.cost_micros for r in requests.values()) == sum(r.cost_micros for r in rows)
    assert len(notes) == 2
    for n_row in notes:
        assert n_row.engine == "llm" and not n_row.degraded

    # Collecting again finds the run done: nothing sent, nothing billed.
    again = await advance_run(settings, second, run_id, wait=True, **FAST)
    assert again.status == "done"
    assert len(batch_requests(fake_server)) == len(sent)
    with second.read() as session:
        assert session.scalar(select(func.count()).select_from(LLMCall)) == len(rows)
    second.close()


async def test_ingesting_the_same_results_twice_records_them_once(
    settings: Settings, fake_server: FakeLLMServer, sqlite_store: Store
) -> None:
    fake_server.default_reply = good_model
    run_id, _ = start_run(sqlite_store, two_meetings()[:1], PipelineOptions(model="gpt-4-turbo"))
    await advance_run(settings, sqlite_store, run_id, **FAST)
    with sqlite_store.read() as session:
        job = repo.load_run(session, run_id).jobs[0]
        ids = list(repo.request_states(session, run_id))
    result = [repo.Ingested(custom_id=i, ok=True, text="{}", cost_micros=7) for i in ids]
    with sqlite_store.transaction() as session:
        assert repo.ingest(session, run_id, job, result) == 3
    with sqlite_store.transaction() as session:
        assert repo.ingest(session, run_id, job, result) == 0
    with sqlite_store.read() as session:
        assert session.scalar(select(func.count()).select_from(LLMCall)) == 3


async def test_a_failed_batch_request_is_asked_again_in_the_next_round(
    settings: Settings, fake_server: FakeLLMServer, sqlite_store: Store
) -> None:
    fake_server.default_reply = good_model
    fake_server.fail_batch_requests(lambda r: stage_of(r) == "narrative", times=1)
    run_id, _ = start_run(sqlite_store, two_meetings()[:1], PipelineOptions(model="gpt-4-turbo"))
    view = await advance_run(settings, sqlite_store, run_id, wait=True, **FAST)
    assert view.status == "done"
    assert view.requests["failed"] == 1
    narratives = [r for r in batch_requests(fake_server) if stage_of(r) == "narrative"]
    assert len(narratives) == 2
    with sqlite_store.read() as session:
        failed = session.scalars(select(LLMCall).where(LLMCall.outcome != "ok")).all()
        notes = session.scalars(select(NotesRow)).one()
    assert [(r.outcome, r.cost_micros) for r in failed] == [("ProviderUnavailable", 0)]
    assert not notes.degraded and notes.notes["narrative"].startswith("The team met")


async def test_models_without_a_batch_api_run_live_and_stored_meetings_are_skipped(
    settings: Settings, fake_server: FakeLLMServer, sqlite_store: Store, monkeypatch: Any
) -> None:
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-ds")
    settings = settings.model_copy(
        update={
            "models": {**settings.models, "deepseek-v2": {"base_url": fake_server.openai_base_url}}
        }
    )
    fake_server.default_reply = good_model
    inputs = two_meetings()[:1]
    run_id, _ = start_run(sqlite_store, inputs, PipelineOptions(model="deepseek-v2"))
    view = await advance_run(settings, sqlite_store, run_id, **FAST)
    assert view.status == "done" and view.jobs == []
    assert batch_requests(fake_server) == [] and fake_server.calls(api="openai") >= 6
    _, skipped = start_run(sqlite_store, inputs, PipelineOptions(model="deepseek-v2"))
    assert [s.input for s in skipped] == inputs and all(s.stored for s in skipped)
    _, skipped = start_run(sqlite_store, inputs, PipelineOptions(), force=True)
    assert skipped == []


async def test_cancelled_batches_leave_their_requests_unbilled(
    settings: Settings, fake_server: FakeLLMServer, sqlite_store: Store
) -> None:
    from minutes.runs.batch import cancel_run

    fake_server.default_reply = good_model
    fake_server.batch_completion_delay = 30
    run_id, _ = start_run(sqlite_store, two_meetings()[:1], PipelineOptions(model="claude-3-opus"))
    await advance_run(settings, sqlite_store, run_id, **FAST)
    assert await cancel_run(settings, sqlite_store, run_id) == 1
    fake_server.batch_completion_delay = 0
    fake_server.default_reply = good_model
    view = await asyncio.wait_for(
        advance_run(settings, sqlite_store, run_id, wait=True, **FAST), timeout=30
    )
    with sqlite_store.read() as session:
        assert session.scalar(
            select(func.sum(LLMCall.cost_micros)).where(LLMCall.outcome != "ok")
        ) in (None, 0)
    assert view.status == "done"
    assert view.requests.get("failed", 0) == 3  # the cancelled first stage, asked again


class _Died(BaseException):
    """The process ends here: like kill -9, nothing after it runs (no except, no record)."""


def _dying(*, after_accept: bool) -> Callable[..., BatchAPI]:
    """The real Batch API, but the process dies on its first submit: before the provider
    heard of the batch, or right after it accepted it (before its id could be recorded)."""

    class Dying:
        def __init__(self, entry: ModelEntry, *, timeout: float) -> None:
            self.real = batch_api(entry, timeout=timeout)

        async def submit(self, items: Sequence[BatchItem], metadata: dict[str, str]) -> Any:
            if after_accept:
                await self.real.submit(items, metadata)
            raise _Died

        def __getattr__(self, name: str) -> Any:
            return getattr(self.real, name)

    return Dying


async def _decoy(settings: Settings, model: str, size: int) -> None:
    """Someone else's batch of the same size, sent just before: not to be taken for ours."""
    entry = load_registry(None, settings.models)[model]
    params = {
        "model": entry.model_id,
        "max_tokens": 5,
        "messages": [{"role": "user", "content": "hi"}],
    }
    items = [BatchItem(custom_id=f"other-{n}", params=params) for n in range(size)]
    await batch_api(entry, timeout=5).submit(items, {"minutes_run": "other", "minutes_job": "x"})


@pytest.mark.parametrize("model", ["gpt-4-turbo", "claude-3-sonnet"])
@pytest.mark.parametrize("after_accept", [True, False], ids=["accepted", "never-sent"])
async def test_a_batch_sent_before_the_process_died_is_found_again_not_sent_twice(
    settings: Settings, fake_server: FakeLLMServer, db_url: str, model: str, after_accept: bool
) -> None:
    fake_server.default_reply = good_model
    # Still running when the next process looks: Anthropic's lookup must wait for the end.
    fake_server.batch_completion_delay = 0.3
    await _decoy(settings, model, size=6)
    first = open_store(db_url)
    run_id, _ = start_run(first, two_meetings(), PipelineOptions(model=model))
    with pytest.raises(_Died):
        await advance_run(settings, first, run_id, api=_dying(after_accept=after_accept), **FAST)
    with first.read() as session:
        [job] = repo.load_run(session, run_id).jobs
    first.close()
    assert (job.status, job.provider_batch_id) == ("submitting", None)
    assert len(fake_server.batch_ids()) == (2 if after_accept else 1)  # the decoy, ours

    second = open_store(db_url)
    view = await asyncio.wait_for(
        advance_run(settings, second, run_id, wait=True, **FAST), timeout=60
    )
    assert view.status == "done" and [m.status for m in view.meetings] == ["done", "done"]
    sent = fake_server.batch_custom_ids()
    ours = [cid for ids in sent.values() for cid in ids if not cid.startswith("other-")]
    assert len(ours) == len(set(ours))  # no request submitted twice
    if after_accept:  # the accepted batch was adopted by the interrupted job
        assert view.jobs[0].provider_batch_id == fake_server.batch_ids()[1]
        assert view.jobs[0].status == "ended" and "failed" not in view.requests
    else:  # the provider never had it: its requests failed unbilled and were sent again
        assert view.jobs[0].status == "failed" and view.jobs[0].error == "submission interrupted"
        assert view.requests["failed"] == 6
    with second.read() as session:
        answered = session.scalars(select(LLMCall).where(LLMCall.cache == "none")).all()
        assert session.scalar(select(func.count()).select_from(NotesRow)) == 2
    # One paid row per request the provider answered; the decoy's are not ours.
    assert len([r for r in answered if r.outcome == "ok"]) == len(ours)
    assert all(r.cost_micros == 0 for r in answered if r.outcome != "ok")
    second.close()
