"""One fake server for the whole session (start/stop costs ~0.2 s); each test gets it reset."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from minutes.testing import FakeLLMServer


@pytest.fixture(scope="session")
def _session_server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


@pytest.fixture
def srv(_session_server: FakeLLMServer) -> Iterator[FakeLLMServer]:
    _session_server.reset()
    _session_server.embedding_dim = 64
    _session_server.models = []
    yield _session_server
    _session_server.reset()
