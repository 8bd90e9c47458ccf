"""Shared fixtures: a fake LLM server on loopback, and gateways wired to it through the real
SDKs (the registry's base URLs point at the server; keys are set in the environment)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from minutes.config import ResilienceSettings, RouterSettings, SchedulerSettings, Settings
from minutes.llm.gateway import Gateway
from minutes.llm.providers.availability import forget_probes
from minutes.llm.registry import load_registry
from minutes.testing import FakeLLMServer
from scripted_replies import DESIGN_MODELS, DESIGN_ROUTING, served_models

# Database fixtures (SQLite, the machine's PostgreSQL, a pgvector server): tests/dbfixtures.py
pytest_plugins = ("dbfixtures",)


@pytest.fixture(autouse=True)
def _isolated_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # No test may pick up a developer's real keys, config file or Ollama.
    for var in (
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "DEEPSEEK_API_KEY",
        "OPENAI_BASE_URL",
        "ANTHROPIC_BASE_URL",
        "DEEPSEEK_BASE_URL",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("OLLAMA_HOST", "127.0.0.1:9")  # discard port: nothing listens
    # An empty config file: a MINUTES_CONFIG naming a missing file is an error.
    config = tmp_path_factory.mktemp("cfg") / "none.toml"
    config.touch()
    monkeypatch.setenv("MINUTES_CONFIG", str(config))
    # Nor write to the user's store: each test gets its own SQLite file and data dir.
    data = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    monkeypatch.setenv("MINUTES_DATABASE_URL", f"sqlite:///{data / 'minutes.db'}")
    # Nor see a server's answer from another test (the session's fake server changes its
    # models per test; a run reuses a server's answer for seconds).
    forget_probes()


@pytest.fixture(scope="session")
def _fake_server_session() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


@pytest.fixture
def fake_server(_fake_server_session: FakeLLMServer) -> Iterator[FakeLLMServer]:
    _fake_server_session.reset()
    _fake_server_session.models = ["llama3:70b"]
    yield _fake_server_session
    _fake_server_session.reset()


class Sleeps:
    """An injectable sleep that records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


GatewayFactory = Callable[..., Gateway]


@pytest.fixture
def make_gateway(
    fake_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch, sleeps: Sleeps
) -> GatewayFactory:
    """Gateway(**overrides) with every provider of the registry served by the fake server."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-ds-test")

    def factory(
        *,
        resilience: dict[str, Any] | None = None,
        router: dict[str, Any] | None = None,
        models: dict[str, dict[str, Any]] | None = None,
        scheduler: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Gateway:
        # The design's world: its models routable, today's left to the tests that name them.
        inline: dict[str, dict[str, Any]] = {
            name: {**fields, "auto_route": name in DESIGN_MODELS}
            for name, fields in served_models(fake_server).items()
        }
        for name, fields in (models or {}).items():
            inline[name] = {**inline.get(name, {}), **fields}
        settings = Settings(
            models=inline,
            resilience=ResilienceSettings(
                **{
                    "max_attempts": 3,
                    "timeout_s": 5.0,
                    "backoff_initial_s": 0.1,
                    **(resilience or {}),
                }
            ),
            router=RouterSettings.model_validate(router or DESIGN_ROUTING),
            scheduler=SchedulerSettings.model_validate(scheduler or {}),
        )
        kwargs.setdefault("sleep", sleeps)
        return Gateway(settings, load_registry(None, inline), **kwargs)

    return factory
