"""The gateway end to end over real HTTP: the real SDKs talk to the fake server."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from pydantic import BaseModel

from minutes.errors import AllModelsFailed, NoModelAvailable
from minutes.llm.calls import ChatMessage, LLMRequest
from minutes.testing import FakeLLMServer, Fault, Reply

OPENAI_4 = "gpt-4-turbo-2024-04-09"
OPUS = "claude-3-opus-20240229"


def req(task: str = "extract_actions", text: str = "Summarise: we shipped.", **kw) -> LLMRequest:
    return LLMRequest(task=task, messages=[ChatMessage(role="user", content=text)], **kw)


class Points(BaseModel):
    points: list[str]


async def test_every_provider_through_its_real_sdk_with_reported_usage(
    make_gateway, fake_server: FakeLLMServer
) -> None:
    gw = make_gateway()
    fake_server.script(
        OPENAI_4,
        Reply(content="from openai", input_tokens=1000, output_tokens=100, cached_tokens=400),
    )
    fake_server.script(
        OPUS,
        Reply(content="from anthropic", input_tokens=1000, output_tokens=100, cached_tokens=400),
    )
    fake_server.script(
        "deepseek-chat", Reply(content="from deepseek", input_tokens=1000, output_tokens=100)
    )
    fake_server.script("llama3:70b", Reply(content="from ollama", input_tokens=50, output_tokens=5))

    r = await gw.complete(req(model="gpt-4-turbo"))
    assert (r.text, r.provider, r.input_tokens, r.output_tokens, r.cached_tokens) == (
        "from openai",
        "openai",
        1000,
        100,
        400,
    )
    # OpenAI bills cached input at the input price in our registry: 1000*0.01 + 100*0.03 per 1K
    assert r.cost_usd == Decimal("0.013000")

    r = await gw.complete(req(model="claude-3-opus"))
    assert (r.text, r.provider, r.input_tokens, r.cached_tokens) == (
        "from anthropic",
        "anthropic",
        1000,
        400,
    )
    # 600 fresh * 0.015 + 400 cached * 0.0015 + 100 out * 0.075, per 1K
    assert r.cost_usd == Decimal("0.017100")

    r = await gw.complete(req(model="deepseek-v2"))
    assert (r.text, r.provider) == ("from deepseek", "deepseek")
    assert r.cost_usd == Decimal("0.000168")

    r = await gw.complete(req(model="llama-3-70b"))
    assert (r.text, r.provider, r.input_tokens, r.output_tokens) == ("from ollama", "ollama", 50, 5)
    assert r.cost_usd == 0

    sent = {q.model: q.api for q in fake_server.requests}
    assert sent == {
        OPENAI_4: "openai",
        OPUS: "anthropic",
        "deepseek-chat": "openai",
        "llama3:70b": "ollama",
    }


async def test_fallback_order_after_retries_are_exhausted(
    make_gateway, fake_server, sleeps
) -> None:
    gw = make_gateway()
    fake_server.script(OPENAI_4, Fault.status(500), Fault.status(503), Fault.status(500))
    fake_server.script(OPUS, "opus answers")
    r = await gw.complete(req())
    assert (r.model, r.text) == ("claude-3-opus", "opus answers")
    assert [q.model for q in fake_server.requests] == [OPENAI_4] * 3 + [OPUS]
    assert [a.outcome for a in r.attempts] == ["ProviderUnavailable"] * 3 + ["ok"]
    assert len(sleeps.waits) == 2  # between the three attempts at gpt-4-turbo


async def test_retry_after_is_honoured(make_gateway, fake_server, sleeps) -> None:
    gw = make_gateway()
    fake_server.script(OPENAI_4, Fault.rate_limit(retry_after=2.5), "after the wait")
    r = await gw.complete(req())
    assert r.text == "after the wait"
    assert sleeps.waits == [2.5]
    assert fake_server.calls(model=OPENAI_4) == 2


async def test_retry_after_with_real_time(make_gateway, fake_server) -> None:
    import asyncio

    gw = make_gateway(sleep=asyncio.sleep)
    fake_server.script(OPENAI_4, Fault.rate_limit(retry_after=1), "ok")
    t0 = time.monotonic()
    await gw.complete(req())
    stamps = [q.received_at for q in fake_server.requests]
    assert stamps[1] - stamps[0] >= 1.0
    assert time.monotonic() - t0 >= 1.0


async def test_auth_errors_are_not_retried_and_go_to_the_next_model(
    make_gateway, fake_server, sleeps
) -> None:
    gw = make_gateway()
    fake_server.script(OPENAI_4, Fault.status(401))
    fake_server.script(OPUS, "fine")
    r = await gw.complete(req())
    assert r.model == "claude-3-opus"
    assert fake_server.calls(model=OPENAI_4) == 1
    assert sleeps.waits == []
    assert r.attempts[0].outcome == "AuthenticationFailed"


async def test_bad_request_is_not_retried(make_gateway, fake_server) -> None:
    gw = make_gateway()
    fake_server.script(OPENAI_4, Fault.status(400))
    fake_server.script(OPUS, "fine")
    r = await gw.complete(req())
    assert r.attempts[0].outcome == "BadRequest"
    assert fake_server.calls(model=OPENAI_4) == 1


async def test_a_stall_past_the_timeout_is_retried(make_gateway, fake_server) -> None:
    gw = make_gateway(resilience={"timeout_s": 0.5})
    fake_server.script(OPENAI_4, Fault.stall(3), "quick now")
    r = await gw.complete(req())
    assert r.text == "quick now"
    assert r.attempts[0].outcome == "ProviderTimeout"


async def test_a_malformed_body_is_a_retried_provider_fault(make_gateway, fake_server) -> None:
    gw = make_gateway()
    fake_server.script(OPENAI_4, Fault.malformed(), "valid")
    r = await gw.complete(req())
    assert r.text == "valid"
    assert r.attempts[0].outcome == "ProviderUnavailable"


async def test_all_models_failing_lists_every_attempt(make_gateway, fake_server) -> None:
    gw = make_gateway(resilience={"max_attempts": 1})
    fake_server.default_reply = lambda _req: Fault.status(503)
    with pytest.raises(AllModelsFailed) as info:
        await gw.complete(req())
    tried = [a.model for a in info.value.attempts]
    assert tried == ["gpt-4-turbo", "claude-3-opus", "deepseek-v2", "llama-3-70b"]
    assert all(a.error_type == "ProviderUnavailable" for a in info.value.attempts)


async def test_circuit_breaker_skips_an_open_provider_without_calling_it(
    make_gateway, fake_server
) -> None:
    gw = make_gateway(
        resilience={"max_attempts": 1, "breaker_threshold": 2, "breaker_cooldown_s": 60}
    )
    fake_server.script(OPENAI_4, Fault.status(500), Fault.status(500))
    fake_server.script(OPUS, "one", "two", "three")
    await gw.complete(req())
    await gw.complete(req())
    assert gw.breaker.state("openai") == "open"
    before = fake_server.calls(model=OPENAI_4)
    r = await gw.complete(req())
    assert r.model == "claude-3-opus"
    assert fake_server.calls(model=OPENAI_4) == before == 2


async def test_breaker_probes_again_after_the_cooldown(make_gateway, fake_server) -> None:
    clock = [0.0]
    gw = make_gateway(
        resilience={"max_attempts": 1, "breaker_threshold": 1, "breaker_cooldown_s": 30},
        clock=lambda: clock[0],
    )
    fake_server.script(OPENAI_4, Fault.status(500), "recovered")
    fake_server.script(OPUS, "fallback")
    assert (await gw.complete(req())).model == "claude-3-opus"
    clock[0] += 31
    r = await gw.complete(req())
    assert (r.model, r.text) == ("gpt-4-turbo", "recovered")
    assert gw.breaker.state("openai") == "closed"


async def test_structured_output_is_repaired_without_a_second_call(
    make_gateway, fake_server
) -> None:
    gw = make_gateway()
    fake_server.script(OPENAI_4, '```json\n{"points": ["a", "b",],}\n```')
    r = await gw.structured(req(), Points)
    assert r.data == Points(points=["a", "b"])
    assert fake_server.calls() == 1
    # the schema travels with the prompt
    assert '"points"' in fake_server.requests[0].messages[-1]["content"]


async def test_invalid_output_is_re_asked_once_with_the_error(make_gateway, fake_server) -> None:
    gw = make_gateway()
    fake_server.script(
        OPENAI_4,
        Reply(content='{"points": "not a list"}', input_tokens=100, output_tokens=10),
        Reply(content='{"points": ["fixed"]}', input_tokens=150, output_tokens=10),
    )
    r = await gw.structured(req(), Points)
    assert r.data == Points(points=["fixed"])
    reask = fake_server.requests[1].messages
    assert reask[-2] == {"role": "assistant", "content": '{"points": "not a list"}'}
    assert "points" in reask[-1]["content"] and "corrected JSON" in reask[-1]["content"]
    # both calls are paid for
    assert (r.input_tokens, r.output_tokens) == (250, 20)
    assert r.cost_usd == Decimal("0.003100")


async def test_still_invalid_after_re_ask_moves_to_the_next_model(
    make_gateway, fake_server
) -> None:
    gw = make_gateway()
    fake_server.script(OPENAI_4, "no json here", "still none")
    fake_server.script(OPUS, '{"points": ["from opus"]}')
    r = await gw.structured(req(), Points)
    assert (r.model, r.data) == ("claude-3-opus", Points(points=["from opus"]))
    assert fake_server.calls(model=OPENAI_4) == 2


async def test_context_window_skip_happens_before_any_call(make_gateway, fake_server) -> None:
    gw = make_gateway(router={"fallback_chain": ["llama-3-70b", "claude-3-opus"]})
    long_text = "word " * 9000  # ~9K tokens: over llama-3-70b's 8K window
    fake_server.script(OPUS, "fits")
    r = await gw.complete(req(task="generate_tldr", text=long_text, model=None))
    assert r.model != "llama-3-70b"
    assert fake_server.calls(model="llama3:70b") == 0


async def test_a_named_model_that_is_unavailable_is_a_clear_error(
    make_gateway, monkeypatch
) -> None:
    gw = make_gateway()
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    with pytest.raises(NoModelAvailable, match="ANTHROPIC_API_KEY"):
        await gw.complete(req(model="claude-3-opus"))


async def test_keys_missing_means_no_llm_available(monkeypatch) -> None:
    from minutes.llm.gateway import Gateway

    gw = Gateway()
    assert not await gw.any_chat_model_available()
    with pytest.raises(NoModelAvailable, match="no LLM is available"):
        await gw.complete(req())


async def test_attempts_reach_the_recorder_failed_ones_included(make_gateway, fake_server) -> None:
    from minutes.llm.calls import MemoryRecorder

    rec = MemoryRecorder()
    gw = make_gateway(recorder=rec)
    fake_server.script(
        OPENAI_4, Fault.status(500), Reply(content="ok", input_tokens=10, output_tokens=2)
    )
    await gw.complete(req(prompt_name="key_points_map", prompt_version="1.0"))
    assert [(r.model, r.outcome) for r in rec.records] == [
        ("gpt-4-turbo", "ProviderUnavailable"),
        ("gpt-4-turbo", "ok"),
    ]
    assert rec.records[1].prompt_version == "1.0" and rec.records[1].input_tokens == 10


async def test_embeddings_through_the_openai_sdk(make_gateway, fake_server) -> None:
    gw = make_gateway(
        models={"local-minilm": {"requires_key": True, "api_key_env": "NOPE_NOT_SET"}}
    )
    vectors = await gw.embed(["alpha", "beta"], model="text-embedding-ada-002")
    assert len(vectors) == 2 and len(vectors[0]) > 0
    assert fake_server.calls(api="openai-embeddings") == 1
