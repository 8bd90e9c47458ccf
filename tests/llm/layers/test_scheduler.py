"""The scheduler: concurrency, request-rate and token-rate limits per model, shared by every
call of the process, against the fake server over HTTP."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from minutes.config import Limits, SchedulerSettings
from minutes.llm.calls import ChatMessage, LLMRequest
from minutes.llm.gateway import Gateway
from minutes.llm.layers.scheduler import Scheduler, limits_for
from minutes.llm.registry import load_registry
from minutes.testing import FakeLLMServer, Fault


def ask(n: int, model: str = "gpt-3.5-turbo") -> LLMRequest:
    return LLMRequest(
        task="t", messages=[ChatMessage(role="user", content=f"q{n}")], model=model, max_tokens=50
    )


def test_limits_come_from_config_models_then_registry_then_provider_fallbacks() -> None:
    registry = load_registry(
        None, {"gpt-3.5-turbo": {"max_concurrency": 3, "tokens_per_minute": None}}
    )
    settings = SchedulerSettings(
        providers={"openai": Limits(max_concurrency=9, requests_per_minute=7, tokens_per_minute=5)},
        models={"gpt-3.5-turbo": Limits(requests_per_minute=2)},
    )
    got = limits_for(registry["gpt-3.5-turbo"], settings)
    assert got == Limits(max_concurrency=3, requests_per_minute=2, tokens_per_minute=5)
    # deepseek-v2 sets nothing in the registry: the provider fallback (concurrency only).
    assert limits_for(registry["deepseek-v2"], SchedulerSettings()).max_concurrency == 16
    assert limits_for(registry["deepseek-v2"], SchedulerSettings()).requests_per_minute is None


async def test_no_more_than_max_concurrency_requests_in_flight(
    make_gateway: Any, fake_server: FakeLLMServer
) -> None:
    fake_server.latency = 0.05
    gw = make_gateway(models={"gpt-3.5-turbo": {"max_concurrency": 2}})
    await asyncio.gather(*(gw.complete(ask(i)) for i in range(8)))
    assert fake_server.peak_in_flight == 2
    assert gw.scheduler.stats()["gpt-3.5-turbo-0125"].max_in_flight == 2


async def test_requests_per_minute_spaces_requests_out(
    make_gateway: Any, fake_server: FakeLLMServer
) -> None:
    # 600/min with a 0.1 s burst window: one request per 0.1 s.
    gw = make_gateway(
        models={"gpt-3.5-turbo": {"requests_per_minute": 600, "max_concurrency": 10}},
        scheduler={"burst_s": 0.1},
    )
    started = time.monotonic()
    await asyncio.gather(*(gw.complete(ask(i)) for i in range(5)))
    assert time.monotonic() - started >= 0.38
    times = sorted(r.received_at for r in fake_server.requests)
    # Arrival times jitter with connection set-up (the first request opens the connection),
    # so only the spread is checked: unlimited, all five arrive within a few milliseconds.
    assert times[-1] - times[0] >= 0.25


async def test_tokens_per_minute_holds_back_a_call_over_the_allowance(
    make_gateway: Any, fake_server: FakeLLMServer
) -> None:
    # A call counts its prompt (~5 tokens with framing) and its 50-token ceiling: with 120 a
    # minute two calls pass and the third must wait (about 20 s) for the bucket to leak.
    gw = make_gateway(models={"gpt-3.5-turbo": {"tokens_per_minute": 120}})
    await gw.complete(ask(0))
    await gw.complete(ask(1))
    third = asyncio.create_task(gw.complete(ask(2)))
    await asyncio.sleep(0.3)
    assert not third.done()
    assert fake_server.calls() == 2
    third.cancel()


async def test_the_scheduler_keeps_an_overloaded_server_from_answering_429(
    make_gateway: Any, fake_server: FakeLLMServer
) -> None:
    # The server refuses more than 3 requests at once, as a provider's concurrency limit does.
    fake_server.overload(3, retry_after=0.01)
    fake_server.latency = 0.03
    limited = make_gateway(models={"gpt-3.5-turbo": {"max_concurrency": 3}})
    await asyncio.gather(*(limited.complete(ask(i)) for i in range(15)))
    assert fake_server.overloaded == 0

    unlimited = make_gateway(scheduler={"enabled": False})
    outcomes = await asyncio.gather(
        *(unlimited.complete(ask(i)) for i in range(15)), return_exceptions=True
    )
    assert fake_server.overloaded >= 10  # the storm the limits prevent
    assert any(isinstance(o, Exception) for o in outcomes) or fake_server.overloaded > 0


async def test_a_429_pauses_the_models_other_calls(
    make_gateway: Any, fake_server: FakeLLMServer
) -> None:
    fake_server.script("gpt-3.5-turbo-0125", Fault.rate_limit(retry_after=0.4))
    gw = make_gateway(sleep=asyncio.sleep)
    first = asyncio.create_task(gw.complete(ask(0)))
    for _ in range(200):  # until the 429 is in
        await asyncio.sleep(0.01)
        if gw.scheduler.stats().get("gpt-3.5-turbo-0125", None) and (
            gw.scheduler.stats()["gpt-3.5-turbo-0125"].rate_limited == 1
        ):
            break
    started = time.monotonic()
    await gw.complete(ask(1))  # must wait out the rest of the pause
    assert time.monotonic() - started >= 0.2
    await first
    assert gw.scheduler.stats()["gpt-3.5-turbo-0125"].rate_limited == 1
    assert fake_server.calls() == 3


def test_buckets_are_per_event_loop_so_two_runs_in_one_process_work(
    make_gateway: Any,
) -> None:
    gw = make_gateway(models={"gpt-3.5-turbo": {"max_concurrency": 1}})
    for _ in range(2):
        result = asyncio.run(gw.complete(ask(0)))
        assert result.text == "ok"


async def test_every_gateway_shares_one_scheduler_unless_given_its_own(
    make_gateway: Any,
) -> None:
    assert make_gateway().scheduler is make_gateway().scheduler
    own = Scheduler()
    gw = Gateway(make_gateway().settings, make_gateway().registry, scheduler=own)
    assert gw.scheduler is own
