"""Whether a registry model can be called now, and why not: its key is set, its server
answers, its file or package is installed."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from minutes.llm.providers.endpoints import OLLAMA_DEFAULT_HOST, api_key, base_url
from minutes.llm.providers.tls import tls_context
from minutes.llm.registry import ModelEntry


@dataclass(frozen=True)
class Availability:
    available: bool
    reason: str = ""


async def check_availability(
    entry: ModelEntry, *, probe_timeout: float = 0.5, reuse_s: float = 0.0
) -> Availability:
    """Whether ``entry`` can be called now: its key is set, its server answers, its file exists."""
    return await _check(entry, _Probes(probe_timeout, reuse_s))


async def check_all(
    entries: list[ModelEntry], *, probe_timeout: float = 0.5, reuse_s: float = 0.0
) -> dict[str, Availability]:
    """The availability of every entry. A server several entries share is asked once (Ollama's
    model list serves all its models), and a server's answer is reused for ``reuse_s`` seconds
    by later checks in this process."""
    probes = _Probes(probe_timeout, reuse_s)
    results = await asyncio.gather(*(_check(e, probes) for e in entries))
    return {e.name: r for e, r in zip(entries, results, strict=True)}


async def _check(entry: ModelEntry, probes: _Probes) -> Availability:
    if entry.provider == "local":
        if entry.kind == "embedding":
            from minutes.llm.providers.embeddings import local_embedder_available

            ok, why = local_embedder_available()
            return Availability(ok, why)
        from minutes.llm.providers.local import default_gguf_path, local_available

        ok, why = local_available(entry.model_path or default_gguf_path())
        return Availability(ok, why)
    if entry.requires_key and not api_key(entry):
        return Availability(False, f"{entry.key_env} is not set")
    if entry.provider == "ollama":
        return await _probe_ollama(entry, probes)
    if not entry.requires_key and (url := base_url(entry)):
        # A keyless OpenAI-compatible server: it is available when it answers.
        return await _probe_http(f"{url.rstrip('/')}/models", probes)
    return Availability(True, "key set")


@dataclass(frozen=True)
class _Answer:
    """What one GET of a probe URL gave: ``why`` is set when it gave nothing usable."""

    why: str = ""
    status: int = 0
    body: Any = None


# Answers that came back (a server that answered, below 500), by URL, with when they go
# stale. Only those: a refused connection costs a TCP connect and is asked again, as is a
# server in error, so a server that comes up or recovers is seen at once; one that goes down
# within ``reuse_s`` fails its first call, which the gateway's retries, fallback and breaker
# handle as they would any outage.
_answers: dict[str, tuple[float, _Answer]] = {}


def forget_probes() -> None:
    """Drop the reused answers (tests that change a server between runs in one process)."""
    _answers.clear()


class _Probes:
    """One check's probes: each URL fetched at most once, reusing a recent answer."""

    def __init__(self, probe_timeout: float, reuse_s: float) -> None:
        self.timeout = probe_timeout
        self.reuse_s = reuse_s
        self._pending: dict[str, asyncio.Task[_Answer]] = {}

    async def get(self, url: str, *, want_json: bool) -> _Answer:
        if self.reuse_s > 0 and (kept := _answers.get(url)) and kept[0] > time.monotonic():
            return kept[1]
        task = self._pending.get(url)
        if task is None:
            task = self._pending[url] = asyncio.ensure_future(self._fetch_and_keep(url, want_json))
        return await task

    async def _fetch_and_keep(self, url: str, want_json: bool) -> _Answer:
        answer = await self._fetch(url, want_json)
        if self.reuse_s > 0 and not answer.why and answer.status < 500:
            _answers[url] = (time.monotonic() + self.reuse_s, answer)
        return answer

    async def _fetch(self, url: str, want_json: bool) -> _Answer:
        if (why := await _refused(url, self.timeout)) is not None:
            return _Answer(why)
        import httpx

        try:
            async with httpx.AsyncClient(timeout=self.timeout, verify=tls_context()) as client:
                resp = await client.get(url)
                if want_json:
                    resp.raise_for_status()
                    return _Answer(status=resp.status_code, body=resp.json())
        except (httpx.HTTPError, ValueError) as exc:
            return _Answer(type(exc).__name__)
        return _Answer(status=resp.status_code)


async def _refused(url: str, probe_timeout: float) -> str | None:
    """Why nothing listens at ``url``'s host and port, else None. A plain TCP connect first:
    on a machine with no local server (the usual case) the answer comes without loading
    httpx, which is most of a start-up's probing time."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        async with asyncio.timeout(probe_timeout):
            _, writer = await asyncio.open_connection(parts.hostname, port)
    except (OSError, TimeoutError) as exc:
        return type(exc).__name__
    writer.close()
    return None


async def _probe_http(url: str, probes: _Probes) -> Availability:
    answer = await probes.get(url, want_json=False)
    if answer.why:
        return Availability(False, f"{url} unreachable: {answer.why}")
    if answer.status >= 500:
        return Availability(False, f"{url} answered {answer.status}")
    return Availability(True, "server reachable")


async def _probe_ollama(entry: ModelEntry, probes: _Probes) -> Availability:
    host = base_url(entry) or OLLAMA_DEFAULT_HOST
    answer = await probes.get(f"{host}/api/tags", want_json=True)
    if answer.why:
        return Availability(False, f"Ollama at {host} unreachable: {answer.why}")
    models = answer.body.get("models", []) if isinstance(answer.body, dict) else []
    names = {m.get("name") for m in models} | {m.get("model") for m in models}
    if entry.model_id not in names and f"{entry.model_id}:latest" not in names:
        return Availability(False, f"{entry.model_id} not pulled on Ollama at {host}")
    return Availability(True, "server reachable")


async def any_auto_chat_model(
    entries: list[ModelEntry], *, probe_timeout: float = 0.5, reuse_s: float = 0.0
) -> dict[str, Availability]:
    """The availability of the chat models the router may pick by itself (``auto_route``),
    for a caller that only needs to know whether any LLM could answer: it probes no local
    GGUF model (loading llama.cpp) and no embedding model."""
    wanted = [e for e in entries if e.kind == "chat" and e.auto_route]
    return await check_all(wanted, probe_timeout=probe_timeout, reuse_s=reuse_s)
