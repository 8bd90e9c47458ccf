"""Every HTTP client of the providers shares the process's one TLS context: a client that
built its own would read the whole CA bundle again (66 ms a client, most of a service
worker's CPU under load before this)."""

from __future__ import annotations

import importlib
import ssl
from collections.abc import Iterator
from unittest import mock

import pytest

from minutes.llm.providers.availability import check_availability
from minutes.llm.providers.chat import build_chat_model, sdk_http_client
from minutes.llm.providers.tls import tls_context
from minutes.llm.registry import load_registry
from minutes.testing import FakeLLMServer


@pytest.fixture
def contexts_made(monkeypatch: pytest.MonkeyPatch) -> Iterator[mock.MagicMock]:
    for env in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "DEEPSEEK_API_KEY"):
        monkeypatch.setenv(env, "sk-test")
    # What the SDKs make once, as they are imported (langchain-openai keeps one), is not
    # what this counts: the contexts made per client.
    for module in (
        "langchain_openai",
        "langchain_anthropic",
        "langchain_deepseek",
        "langchain_ollama",
    ):
        importlib.import_module(module)
    tls_context()  # the process's own, made once
    with mock.patch("ssl.create_default_context", wraps=ssl.create_default_context) as made:
        yield made


def test_chat_models_and_their_sdk_clients_make_no_tls_context_of_their_own(
    contexts_made: mock.MagicMock,
) -> None:
    registry = load_registry()
    by_provider = {e.provider: e for e in registry.values() if e.kind == "chat"}
    for provider in ("openai", "deepseek", "anthropic", "ollama"):
        entry = by_provider[provider]
        client = sdk_http_client(provider, 5.0)
        build_chat_model(entry, timeout=5.0, http_client=client)
    assert contexts_made.call_count == 0


async def test_a_probe_makes_no_tls_context_of_its_own(
    contexts_made: mock.MagicMock, fake_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", fake_server.ollama_base_url)
    entry = next(e for e in load_registry().values() if e.provider == "ollama")
    await check_availability(entry)
    assert contexts_made.call_count == 0


def test_the_context_is_made_once_per_process() -> None:
    assert tls_context() is tls_context()
    assert tls_context().verify_mode == ssl.CERT_REQUIRED
