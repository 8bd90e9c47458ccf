"""A minimal valid reply for every pipeline prompt, for tests that only need a working LLM."""

from __future__ import annotations

import json

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
    """Registry overrides that send every bundled chat model to the fake server."""
    return {
        "gpt-4-turbo": {"base_url": fake_server.openai_base_url},
        "gpt-3.5-turbo": {"base_url": fake_server.openai_base_url},
        "claude-3-opus": {"base_url": fake_server.anthropic_base_url},
        "claude-3-sonnet": {"base_url": fake_server.anthropic_base_url},
        "deepseek-v2": {"base_url": fake_server.openai_base_url},
        "llama-3-70b": {"base_url": fake_server.ollama_base_url},
    }
