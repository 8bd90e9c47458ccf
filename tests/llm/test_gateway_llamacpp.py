"""The gateway, unchanged, driving a real OpenAI-compatible model server: llama-cpp-python's,
running SmolLM2-135M. Registered as a user would: an ``openai`` entry with a base URL."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import pytest
from pydantic import BaseModel

from minutes.config import ResilienceSettings, RouterSettings, Settings
from minutes.llm.calls import ChatMessage, LLMRequest, MemoryRecorder
from minutes.llm.gateway import Gateway
from minutes.llm.registry import load_registry

if TYPE_CHECKING:
    from conftest import LlamaCppServer

pytestmark = pytest.mark.llamacpp


class Verdict(BaseModel):
    priority: Literal["high", "normal", "low"]


def gateway(server: LlamaCppServer, recorder: MemoryRecorder) -> Gateway:
    models = {
        "smol-server": {
            "provider": "openai",
            "model_id": server.model,
            "base_url": server.base_url,
            "requires_key": False,
            "tier": "complex",
            "input_per_1k": "0",
            "output_per_1k": "0",
            "context_window": 2048,
            "max_output_tokens": 64,
            "strengths": ["classification", "extraction", "summarization"],
        }
    }
    settings = Settings(
        models=models,
        router=RouterSettings(fallback_chain=[]),
        resilience=ResilienceSettings(timeout_s=120, max_attempts=2),
    )
    return Gateway(settings, load_registry(None, models), recorder=recorder)


async def test_keyless_server_is_probed_available_and_routed_to(llamacpp_server) -> None:
    gw = gateway(llamacpp_server, MemoryRecorder())
    availability = await gw.availability()
    assert availability["smol-server"].available
    assert availability["smol-server"].reason == "server reachable"
    chain = await gw.plan(
        LLMRequest(task="classify_priority", messages=[ChatMessage(role="user", content="x")])
    )
    assert [e.name for e in chain] == ["smol-server"]


async def test_completion_with_real_usage_and_the_output_cap(llamacpp_server) -> None:
    rec = MemoryRecorder()
    gw = gateway(llamacpp_server, rec)
    result = await gw.complete(
        LLMRequest(
            task="generate_tldr",
            messages=[ChatMessage(role="user", content="Say hello to the team in one sentence.")],
            max_tokens=16,
        )
    )
    assert result.text.strip()
    assert result.model == "smol-server"
    assert result.input_tokens > 5
    assert 0 < result.output_tokens <= 16
    assert [r.outcome for r in rec.records] == ["ok"]
    assert rec.records[0].input_tokens == result.input_tokens


async def test_structured_output_is_schema_constrained_and_validated(llamacpp_server) -> None:
    gw = gateway(llamacpp_server, MemoryRecorder())
    result = await gw.structured(
        LLMRequest(
            task="classify_priority",
            messages=[
                ChatMessage(role="system", content="You classify meeting priority."),
                ChatMessage(
                    role="user", content="The production database is down for all customers."
                ),
            ],
            max_tokens=32,
        ),
        Verdict,
    )
    assert isinstance(result.data, Verdict)
    assert result.data.priority in ("high", "normal", "low")
