"""A minimal valid reply for every pipeline prompt, for tests that only need a working LLM."""

from __future__ import annotations

import json
from typing import Any

from minutes.llm.registry import load_registry
from minutes.testing import FakeLLMServer, RecordedRequest


def scripted(req: RecordedRequest) -> str:
    text = "\n".join(m["content"] for m in req.messages if m["role"] == "user")
    if '"points"' in text:
        return json.dumps({"points": []})
    if '"items"' in text:
        return json.dumps({"items": []})
    if '"decisions"' in text:
        return json.dumps({"decisions": []})
    if '"priority"' in text:
        return json.dumps({"priority": "normal", "reason": "routine"})
    return "A short summary."


def served_models(fake_server: FakeLLMServer) -> dict[str, dict[str, str]]:
    """Registry overrides that send every bundled model of a remote provider (chat and
    embedding) to the fake server."""
    base = {
        "openai": fake_server.openai_base_url,
        "deepseek": fake_server.openai_base_url,
        "anthropic": fake_server.anthropic_base_url,
        "ollama": fake_server.ollama_base_url,
    }
    return {
        e.name: {"base_url": base[e.provider]}
        for e in load_registry().values()
        if e.provider in base
    }


# The routing the gateway tests are written against: the design's 2024 task map and fallback
# chain (legacy models, still in the registry and served here by the fake server), so that
# each test of retries, fallbacks and breakers names the models it scripts. The bundled
# defaults (models of today) are tested on their own, in tests/llm/test_registry_today.py.
DESIGN_MODELS = (
    "gpt-4-turbo",
    "gpt-3.5-turbo",
    "claude-3-opus",
    "claude-3-sonnet",
    "deepseek-v2",
    "llama-3-70b",
    "text-embedding-ada-002",
)
DESIGN_ROUTING: dict[str, Any] = {
    "fallback_chain": ["gpt-4-turbo", "claude-3-opus", "deepseek-v2", "llama-3-70b"],
    "tasks": {
        "chunk_key_points": {
            "model": "gpt-3.5-turbo",
            "complexity": "simple",
            "task_type": "summarization",
        },
        "consolidate_key_points": {
            "model": "gpt-4-turbo",
            "complexity": "moderate",
            "task_type": "summarization",
        },
        "generate_narrative": {
            "model": "claude-3-sonnet",
            "complexity": "moderate",
            "task_type": "summarization",
        },
        "extract_actions": {
            "model": "gpt-4-turbo",
            "complexity": "complex",
            "task_type": "extraction",
        },
        "extract_decisions": {
            "model": "gpt-4-turbo",
            "complexity": "complex",
            "task_type": "extraction",
        },
        "generate_tldr": {
            "model": "gpt-3.5-turbo",
            "complexity": "simple",
            "task_type": "summarization",
        },
        "classify_action_priority": {
            "model": "gpt-3.5-turbo",
            "complexity": "simple",
            "task_type": "classification",
        },
        "classify_priority": {
            "model": "deepseek-v2",
            "complexity": "simple",
            "task_type": "classification",
        },
        "generate_embeddings": {
            "model": "text-embedding-ada-002",
            "complexity": "simple",
            "task_type": "extraction",
        },
    },
}
