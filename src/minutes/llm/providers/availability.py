"""Whether a registry model can be called now, and why not: its key is set, its server
answers, its file or package is installed."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urlsplit

from minutes.llm.providers.endpoints import OLLAMA_DEFAULT_HOST, api_key, base_url
from minutes.llm.providers.tls import tls_context
from minutes.llm.registry import ModelEntry


@dataclass(frozen=True)
class Availability:
    available: bool
    reason: str = ""


async def check_availability(entry: ModelEntry, *, probe_timeout: float = 0.5) -> Availability:
    """Whether ``entry`` can be called now: its key is set, its server answers, its file exists."""
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
        return await _probe_ollama(entry, probe_timeout)
    if not entry.requires_key and (url := base_url(entry)):
        # A keyless OpenAI-compatible server: it is available when it answers.
        return await _probe_http(f"{url.rstrip('/')}/models", probe_timeout)
    return Availability(True, "key set")


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


async def _probe_http(url: str, probe_timeout: float) -> Availability:
    if (why := await _refused(url, probe_timeout)) is not None:
        return Availability(False, f"{url} unreachable: {why}")
    import httpx

    try:
        async with httpx.AsyncClient(timeout=probe_timeout, verify=tls_context()) as client:
            resp = await client.get(url)
    except httpx.HTTPError as exc:
        return Availability(False, f"{url} unreachable: {type(exc).__name__}")
    if resp.status_code >= 500:
        return Availability(False, f"{url} answered {resp.status_code}")
    return Availability(True, "server reachable")


async def _probe_ollama(entry: ModelEntry, probe_timeout: float) -> Availability:
    host = base_url(entry) or OLLAMA_DEFAULT_HOST
    if (why := await _refused(host, probe_timeout)) is not None:
        return Availability(False, f"Ollama at {host} unreachable: {why}")
    import httpx

    try:
        async with httpx.AsyncClient(timeout=probe_timeout, verify=tls_context()) as client:
            resp = await client.get(f"{host}/api/tags")
            resp.raise_for_status()
            tags = resp.json()
    except (httpx.HTTPError, ValueError) as exc:
        return Availability(False, f"Ollama at {host} unreachable: {type(exc).__name__}")
    names = {m.get("name") for m in tags.get("models", [])} | {
        m.get("model") for m in tags.get("models", [])
    }
    if entry.model_id not in names and f"{entry.model_id}:latest" not in names:
        return Availability(False, f"{entry.model_id} not pulled on Ollama at {host}")
    return Availability(True, "server reachable")


async def check_all(
    entries: list[ModelEntry], *, probe_timeout: float = 0.5
) -> dict[str, Availability]:
    results = await asyncio.gather(
        *(check_availability(e, probe_timeout=probe_timeout) for e in entries)
    )
    return {e.name: r for e, r in zip(entries, results, strict=True)}


async def any_auto_chat_model(
    entries: list[ModelEntry], *, probe_timeout: float = 0.5
) -> dict[str, Availability]:
    """The availability of the chat models the router may pick by itself (``auto_route``),
    for a caller that only needs to know whether any LLM could answer: it probes no local
    GGUF model (loading llama.cpp) and no embedding model."""
    wanted = [e for e in entries if e.kind == "chat" and e.auto_route]
    return await check_all(wanted, probe_timeout=probe_timeout)
