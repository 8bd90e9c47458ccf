"""A server's probe is asked once per check, however many registry models it serves, and its
answer is reused by later checks for ``reuse_s`` seconds; a server that did not answer is
asked again at once."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from minutes.llm.providers.availability import check_all
from minutes.llm.registry import ModelEntry, load_registry


class _Ollama(ThreadingHTTPServer):
    """A server that answers Ollama's model list and counts how often it was asked."""

    asked = 0
    pulled: tuple[str, ...] = ("llama3.1:8b",)


class _Tags(BaseHTTPRequestHandler):
    server: _Ollama

    def do_GET(self) -> None:
        self.server.asked += 1
        body = json.dumps({"models": [{"name": m, "model": m} for m in self.server.pulled]})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def ollama(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Ollama]:
    server = _Ollama(("127.0.0.1", 0), _Tags)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("OLLAMA_HOST", f"http://127.0.0.1:{server.server_address[1]}")
    yield server  # tests/conftest.py forgets kept answers before every test
    server.shutdown()
    server.server_close()


def _ollama_models() -> list[ModelEntry]:
    entries = [e for e in load_registry().values() if e.provider == "ollama"]
    assert len(entries) >= 2, "the bundled registry lists several Ollama models"
    return entries


async def test_one_ollama_serves_all_its_models_with_one_probe(ollama: _Ollama) -> None:
    entries = _ollama_models()
    found = await check_all(entries)
    assert ollama.asked == 1
    assert found["llama3.1-8b"].available
    others = [e.name for e in entries if e.name != "llama3.1-8b"]
    assert all("not pulled" in found[n].reason for n in others)


async def test_an_answer_is_reused_only_when_asked_to(ollama: _Ollama) -> None:
    entries = _ollama_models()
    await check_all(entries, reuse_s=0)
    await check_all(entries, reuse_s=0)
    assert ollama.asked == 2
    await check_all(entries, reuse_s=60)
    ollama.pulled = ()
    again = await check_all(entries, reuse_s=60)
    assert ollama.asked == 3
    assert again["llama3.1-8b"].available  # the kept answer, within its minute
    fresh = await check_all(entries, reuse_s=0)
    assert ollama.asked == 4
    assert not fresh["llama3.1-8b"].available


async def test_a_server_that_did_not_answer_is_asked_again(ollama: _Ollama) -> None:
    entries = _ollama_models()
    port = ollama.server_address[1]
    ollama.shutdown()
    ollama.server_close()
    down = await check_all(entries, reuse_s=60)
    assert all("unreachable" in a.reason for a in down.values())
    # The same port answers again: the refusal was not kept.
    back = _Ollama(("127.0.0.1", port), _Tags)
    threading.Thread(target=back.serve_forever, daemon=True).start()
    try:
        up = await check_all(entries, reuse_s=60)
        assert up["llama3.1-8b"].available
        assert back.asked == 1
    finally:
        back.shutdown()
        back.server_close()
