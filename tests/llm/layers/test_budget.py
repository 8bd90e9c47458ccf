"""Budgets: estimated before each call; over the limit a call is downgraded to a cheaper
model, refused for the extractive engine, or fails, as configured."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from decimal import Decimal

import pytest

from minutes.errors import BudgetExceeded
from minutes.examples import example_path
from minutes.llm.calls import ChatMessage, LLMRequest, ModelCall
from minutes.llm.layers.budget import estimate_call
from minutes.pipeline.options import PipelineOptions
from minutes.pipeline.runner import run_pipeline
from minutes.store.db import Store
from minutes.store.ledger import insert_rows, row_of
from minutes.testing import FakeLLMServer, Reply
from minutes.transcripts import load_transcript

GPT4 = "gpt-4-turbo-2024-04-09"
NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


def request(text: str = "Summarise: we shipped the release.", **kw: object) -> LLMRequest:
    return LLMRequest(
        task="extract_actions",
        messages=[ChatMessage(role="user", content=text)],
        model="gpt-4-turbo",
        max_tokens=1000,
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
def budget_env(monkeypatch: pytest.MonkeyPatch):
    def configure(daily: str | None = None, monthly: str | None = None, mode: str = "downgrade"):
        if daily is not None:
            monkeypatch.setenv("MINUTES_BUDGET__DAILY_USD", daily)
        if monthly is not None:
            monkeypatch.setenv("MINUTES_BUDGET__MONTHLY_USD", monthly)
        monkeypatch.setenv("MINUTES_BUDGET__ON_EXCEED", mode)

    return configure


def gpt4_estimate(gw) -> Decimal:
    call = ModelCall(
        entry=gw.registry["gpt-4-turbo"], request=request(), messages=request().messages
    )
    return estimate_call(call)


def test_the_estimate_is_prompt_tokens_plus_the_output_ceiling_at_registry_prices(
    make_gateway,
) -> None:
    gw = make_gateway()
    # ~11 prompt tokens (+4 framing) at $0.01/1K, 1000 output tokens at $0.03/1K
    assert Decimal("0.0301") < gpt4_estimate(gw) < Decimal("0.0303")


async def test_within_budget_the_call_goes_ahead_and_is_counted(
    make_gateway, fake_server: FakeLLMServer, budget_env
) -> None:
    budget_env(daily="1.00")
    gw = make_gateway(now=lambda: NOW)
    fake_server.script(GPT4, Reply(content="ok", input_tokens=1000, output_tokens=100))
    result = await gw.complete(request())
    assert (result.model, result.cost_usd) == ("gpt-4-turbo", Decimal("0.013000"))
    assert gw.budget.remaining() == {"daily": Decimal("0.987000")}


async def test_over_budget_the_call_moves_to_a_cheaper_model(
    make_gateway, fake_server: FakeLLMServer, budget_env
) -> None:
    budget_env(daily="0.02")  # gpt-4-turbo could cost ~$0.03
    fake_server.models = []  # no Ollama: the cheapest capable model is deepseek-v2
    gw = make_gateway(now=lambda: NOW)
    fake_server.script("deepseek-chat", Reply(content="cheap answer"))
    result = await gw.complete(request())
    assert (result.text, result.model, result.provider) == (
        "cheap answer",
        "deepseek-v2",
        "deepseek",
    )
    assert fake_server.calls(model=GPT4) == 0
    assert result.attempts[-1].model == "deepseek-v2"  # the ledger row names the real model


async def test_extractive_mode_refuses_without_calling_anything(
    make_gateway, fake_server: FakeLLMServer, budget_env
) -> None:
    budget_env(daily="0.02", mode="extractive")
    gw = make_gateway(now=lambda: NOW)
    with pytest.raises(BudgetExceeded, match=re.escape("daily budget of $0.02")) as info:
        await gw.complete(request())
    assert info.value.fatal is False
    assert fake_server.calls() == 0


async def test_fail_mode_raises_a_fatal_budget_exceeded(
    make_gateway, fake_server: FakeLLMServer, budget_env
) -> None:
    budget_env(daily="0.02", mode="fail")
    gw = make_gateway(now=lambda: NOW)
    with pytest.raises(BudgetExceeded) as info:
        await gw.complete(request())
    assert info.value.fatal is True and info.value.exit_code == 8
    assert fake_server.calls() == 0


async def test_spend_already_in_the_ledger_counts_per_day_and_month(
    make_gateway, fake_server: FakeLLMServer, budget_env, store: Store
) -> None:
    def spent(at: dt.datetime, usd: str) -> dict[str, object]:
        from minutes.llm.calls import AttemptRecord

        return row_of(
            AttemptRecord(
                at=at,
                task="t",
                provider="openai",
                model="gpt-4-turbo",
                cost_usd=Decimal(usd),
                outcome="ok",
            )
        )

    insert_rows(
        store,
        [
            spent(NOW - dt.timedelta(hours=2), "0.40"),  # today
            spent(NOW - dt.timedelta(days=5), "0.55"),  # this month, not today
            spent(NOW - dt.timedelta(days=40), "9.00"),  # last month
        ],
    )
    budget_env(daily="0.42", monthly="5.00", mode="extractive")
    gw = make_gateway(store=store, now=lambda: NOW)
    with pytest.raises(
        BudgetExceeded, match=re.escape("daily budget of $0.42 would be crossed: $0.4000 spent")
    ):
        await gw.complete(request())

    budget_env(daily="10", monthly="0.97", mode="extractive")
    gw = make_gateway(store=store, now=lambda: NOW)
    with pytest.raises(
        BudgetExceeded, match=re.escape("monthly budget of $0.97 would be crossed: $0.9500 spent")
    ):
        await gw.complete(request())
    assert fake_server.calls() == 0


async def test_concurrent_calls_cannot_all_squeeze_under_the_limit(
    make_gateway, fake_server: FakeLLMServer, budget_env
) -> None:
    budget_env(daily="0.10", mode="extractive")  # room for three ~$0.03 estimates
    gw = make_gateway(now=lambda: NOW)
    fake_server.default_reply = "ok"
    results = await asyncio.gather(
        *(gw.complete(request()) for _ in range(10)), return_exceptions=True
    )
    refused = [r for r in results if isinstance(r, BudgetExceeded)]
    assert (len(results) - len(refused), len(refused)) == (3, 7)
    assert fake_server.calls(model=GPT4) == 3


async def test_a_cache_hit_is_served_even_over_budget(
    make_gateway, fake_server: FakeLLMServer, budget_env, sqlite_store: Store
) -> None:
    warm = make_gateway(store=sqlite_store)
    fake_server.script(GPT4, Reply(content="cached answer"))
    await warm.complete(request())
    warm.flush()  # its cache entry is written in the background
    budget_env(daily="0", mode="fail")
    gw = make_gateway(store=sqlite_store, now=lambda: NOW)
    result = await gw.complete(request())
    assert (result.text, result.cache) == ("cached answer", "exact")
    with pytest.raises(BudgetExceeded):
        await gw.complete(request("a different question"))
    assert fake_server.calls() == 1


async def test_over_budget_pipeline_stages_fall_back_to_the_extractive_engine(
    make_gateway, fake_server: FakeLLMServer, budget_env
) -> None:
    budget_env(daily="0", mode="extractive")
    gw = make_gateway(now=lambda: NOW)
    transcript = load_transcript(example_path("standup.vtt"))
    notes = await run_pipeline(transcript, options=PipelineOptions(), gateway=gw)
    assert fake_server.calls() == 0
    assert notes.engine == "extractive" and notes.degraded
    assert all("BudgetExceeded" in r for r in notes.degraded_reasons)
    assert notes.action_items  # the extractive engine still found them


async def test_a_meeting_s_calls_share_its_limit_and_another_meeting_has_its_own(
    make_gateway, fake_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MINUTES_BUDGET__MAX_USD_PER_MEETING", "0.05")
    monkeypatch.setenv("MINUTES_BUDGET__ON_EXCEED", "extractive")
    gw = make_gateway(now=lambda: NOW)
    spend = Reply(content="ok", input_tokens=1000, output_tokens=1000)  # $0.04 on gpt-4-turbo
    fake_server.script(GPT4, spend, spend)
    first = await gw.complete(request(meeting_id="m1"))  # up to $0.0302: within $0.05
    assert first.cost_usd == Decimal("0.040000")
    with pytest.raises(BudgetExceeded, match=r"per-meeting budget of \$0.05 would be crossed"):
        await gw.complete(request(meeting_id="m1"))  # $0.04 spent + up to $0.0302
    other = await gw.complete(request(meeting_id="m2"))
    assert other.cost_usd == Decimal("0.040000")
    assert len(fake_server.requests) == 2  # the refused call reached no provider


async def test_a_request_s_own_meeting_limit_moves_the_call_to_a_cheaper_model(
    make_gateway, fake_server: FakeLLMServer
) -> None:
    gw = make_gateway(now=lambda: NOW)  # no configured limit: the request brings one
    fake_server.models = []  # no Ollama
    fake_server.script("deepseek-chat", Reply(content="cheap answer"))
    result = await gw.complete(request(meeting_id="m1", meeting_max_usd=Decimal("0.02")))
    # gpt-4-turbo could cost $0.0302; the most capable cheaper model that fits answers
    assert (result.text, result.model) == ("cheap answer", "deepseek-v2")


async def test_without_any_limit_the_budget_layer_counts_nothing(
    make_gateway, fake_server: FakeLLMServer
) -> None:
    gw = make_gateway(now=lambda: NOW)
    fake_server.script(GPT4, Reply(content="ok"))
    await gw.complete(request(meeting_id="m1"))
    assert gw.budget.meeting_spent("m1") == Decimal(0)  # passed straight through
