"""Where a registry model is reached and with which key, from the entry and the providers'
usual environment variables. Light on purpose: the availability check and the CLI read these
without loading LangChain or a provider SDK."""

from __future__ import annotations

import os

from minutes.errors import ConfigError
from minutes.llm.registry import DEFAULT_BASE_URL_ENV, ModelEntry

OLLAMA_DEFAULT_HOST = "http://127.0.0.1:11434"


def api_key(entry: ModelEntry) -> str | None:
    env = entry.key_env
    return os.environ.get(env) or None if env else None


def base_url(entry: ModelEntry) -> str | None:
    if entry.base_url:
        return entry.base_url
    env = DEFAULT_BASE_URL_ENV[entry.provider]
    url = os.environ.get(env) if env else None
    if entry.provider == "ollama":
        url = _normalise_ollama_host(url or OLLAMA_DEFAULT_HOST)
    return url or None


def _normalise_ollama_host(host: str) -> str:
    # OLLAMA_HOST is often given bare ("0.0.0.0:11434"), as the ollama CLI accepts it.
    if "://" not in host:
        host = f"http://{host}"
    return host.rstrip("/")


def key_or_placeholder(entry: ModelEntry) -> str:
    # OpenAI-compatible local servers need no key, but the SDK refuses to start without one.
    key = api_key(entry)
    if key:
        return key
    if entry.requires_key:
        raise ConfigError(f"{entry.name}: no API key; set {entry.key_env}")
    return "unused"
